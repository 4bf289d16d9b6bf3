/*
 * VMX operation for one logical processor: the VMX instructions, VM entry and VM exit, EPT with
 * accessed/dirty flags and PML. vmx_attach() installs the layer into a struct cpu (cpu/virt.h);
 * from then on cpu/ consults it for every instruction Unicorn cannot decode and, in non-root
 * operation, for everything that may cause a VM exit.
 */
#ifndef HVSIM_VMX_VMX_H
#define HVSIM_VMX_VMX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmx/ept.h"

struct cpu;

enum vmx_exit_reason {
#define EXIT_REASON(name, n, text) EXIT_##name = n,
#include "vmx/exit_reasons.def"
#undef EXIT_REASON
	EXIT_REASON_LIMIT = 65
};
const char *vmx_exit_reason_name(unsigned reason);

#define EXIT_REASON_ENTRY_FAILURE (1u << 31)

/* VM-instruction error numbers (SDM Vol. 3, 31.4 "VM Instruction Error Numbers"). */
enum vmx_error {
	VMXERR_VMCALL_IN_ROOT = 1,
	VMXERR_VMCLEAR_INVALID_ADDRESS = 2,
	VMXERR_VMCLEAR_VMXON_POINTER = 3,
	VMXERR_VMLAUNCH_NOT_CLEAR = 4,
	VMXERR_VMRESUME_NOT_LAUNCHED = 5,
	VMXERR_ENTRY_INVALID_CONTROLS = 7,
	VMXERR_ENTRY_INVALID_HOST_STATE = 8,
	VMXERR_VMPTRLD_INVALID_ADDRESS = 9,
	VMXERR_VMPTRLD_VMXON_POINTER = 10,
	VMXERR_VMPTRLD_BAD_REVISION = 11,
	VMXERR_UNSUPPORTED_FIELD = 12,
	VMXERR_READ_ONLY_FIELD = 13,
	VMXERR_VMXON_IN_ROOT = 15,
	VMXERR_ENTRY_MOV_SS_BLOCKING = 26,
	VMXERR_INVALID_INVEPT_OPERAND = 28,
};

/* The neutral record every VM exit is decoded into before it is written to the VMCS. */
struct vmx_exit {
	uint32_t reason; /* basic reason, with bit 31 for a VM-entry failure */
	uint64_t qual;
	uint64_t gla, gpa;
	bool gla_valid, gpa_valid;
	uint32_t intr_info, intr_error;
	uint32_t insn_len, insn_info;
	bool has_insn;
	uint32_t idt_vectoring, idt_vectoring_error; /* the event being delivered, if any */
};

#define VMX_EXIT_RING 64

struct vmx_exit_log {
	uint64_t vtime, rip, qual, gpa;
	uint32_t reason;
};

struct vmx {
	struct cpu *cpu;
	bool on;             /* in VMX operation (after VMXON) */
	uint64_t vmxon_ptr;
	uint64_t vmcs;       /* current-VMCS pointer, or VMCS_NONE (set by vmx_set_vmcs) */
	uint8_t *vmcs_fields; /* its fields in host memory; NULL: none, or not all in RAM */
	struct ept_caps ept_caps;
	struct ept_ctx ept;  /* the running guest's EPT (valid in non-root with EPT on) */
	bool ept_on;
	uint64_t preempt_deadline; /* vtime when the VMX-preemption timer reaches 0, or UINT64_MAX */
	bool intr_window;          /* "interrupt-window exiting" of the running guest */
	struct vmx_exit pending;   /* a memory exit recorded by the TLB fill */
	char entry_error[200];     /* which VM-entry check failed last */
	struct vmx_exit_log ring[VMX_EXIT_RING];
	uint64_t exits;
	uint64_t exit_count[EXIT_REASON_LIMIT];
};

#define VMCS_NONE 0xffffffffffffffffull

void vmx_attach(struct vmx *v, struct cpu *cpu);
/* The last exits (oldest first), for a report after a fault. */
void vmx_dump_exits(const struct vmx *v, FILE *out);

#endif
