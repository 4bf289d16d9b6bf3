/*
 * The VMX capabilities of a CPU profile, as one table of capability MSRs (SDM Vol. 3, Appendix A
 * "VMX Capability Reporting Facility"). hvsim reports exactly the controls it implements; a VM
 * entry with any other control set fails as on hardware without it (VMfailValid 7).
 */
#ifndef HVSIM_VMX_CAPS_H
#define HVSIM_VMX_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/ept.h"
#include "vmx/vmcs.h"

struct cpu_profile;

#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_VMCS_ENUM 0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

/* hvsim's VMCS revision identifier (IA32_VMX_BASIC bits 30:0). */
#define VMX_REVISION 0x12u
/* IA32_VMX_MISC bits 4:0: the preemption timer counts down when TSC bit 5 changes. */
#define VMX_PREEMPTION_TIMER_RATE 5u
#define VMX_CR3_TARGETS 4u

/* A capability MSR of the profile; false if the index is not one (or the profile lacks VMX). */
bool vmx_caps_rdmsr(const struct cpu_profile *p, uint32_t index, uint64_t *value);

/*
 * Is 'value' an allowed setting of the controls reported by capability MSR 'msr'
 * (bits 31:0 allowed 0-settings, 63:32 allowed 1-settings, SDM A.3-A.5)?
 */
bool vmx_caps_controls_ok(const struct cpu_profile *p, uint32_t msr, uint32_t value);

/* Supported EPT features, for vmx/ept.c. */
void vmx_caps_ept(const struct cpu_profile *p, struct ept_caps *caps);

/* CR0/CR4 bits fixed to 1 and allowed to be 1 in VMX operation (SDM A.7, A.8). */
uint64_t vmx_caps_cr_fixed0(const struct cpu_profile *p, unsigned cr);
uint64_t vmx_caps_cr_fixed1(const struct cpu_profile *p, unsigned cr);

/*
 * Does the VMCS of this profile have field 'f'? A field of a feature the CPU lacks does not exist
 * (SDM Appendix B footnotes): VMREAD/VMWRITE of it fail with VMfailValid(12).
 */
bool vmx_caps_field_exists(const struct cpu_profile *p, enum vmcs_field f);

#endif
