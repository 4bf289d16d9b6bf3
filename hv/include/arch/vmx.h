/*
 * VMX for freestanding code (hv/ and test hypervisors): the VMCS field encodings (SDM Vol. 3,
 * Appendix B), the instructions as inline assembly with their VMsucceed/VMfail outcome (31.2),
 * and the EPT entry and EPTP bits (29.3.2, 25.6.11). Portable: nothing here knows it runs in a
 * simulator.
 */
#ifndef ARCH_VMX_H
#define ARCH_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86.h"

enum vmcs_enc {
	VPID = 0x0000, PML_INDEX = 0x0812,
	GUEST_ES_SEL = 0x0800, GUEST_CS_SEL = 0x0802, GUEST_SS_SEL = 0x0804, GUEST_DS_SEL = 0x0806,
	GUEST_FS_SEL = 0x0808, GUEST_GS_SEL = 0x080a, GUEST_LDTR_SEL = 0x080c, GUEST_TR_SEL = 0x080e,
	HOST_ES_SEL = 0x0c00, HOST_CS_SEL = 0x0c02, HOST_SS_SEL = 0x0c04, HOST_DS_SEL = 0x0c06,
	HOST_FS_SEL = 0x0c08, HOST_GS_SEL = 0x0c0a, HOST_TR_SEL = 0x0c0c,
	IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004, PML_ADDRESS = 0x200e,
	TSC_OFFSET = 0x2010, EPT_POINTER = 0x201a, GUEST_PHYSICAL_ADDRESS = 0x2400,
	VMCS_LINK_POINTER = 0x2800, GUEST_IA32_PAT = 0x2804, GUEST_IA32_EFER = 0x2806,
	HOST_IA32_PAT = 0x2c00, HOST_IA32_EFER = 0x2c02,
	PIN_CONTROLS = 0x4000, PROC_CONTROLS = 0x4002, EXCEPTION_BITMAP = 0x4004,
	PF_ERROR_MASK = 0x4006, PF_ERROR_MATCH = 0x4008, CR3_TARGET_COUNT = 0x400a,
	EXIT_CONTROLS = 0x400c, ENTRY_CONTROLS = 0x4012, ENTRY_INTR_INFO = 0x4016,
	ENTRY_EXCEPTION_ERROR = 0x4018, ENTRY_INSN_LEN = 0x401a, PROC2_CONTROLS = 0x401e,
	VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTR_INFO = 0x4404,
	EXIT_INTR_ERROR = 0x4406, IDT_VECTORING_INFO = 0x4408, EXIT_INSN_LEN = 0x440c,
	EXIT_INSN_INFO = 0x440e,
	GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
	GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480a,
	GUEST_LDTR_LIMIT = 0x480c, GUEST_TR_LIMIT = 0x480e, GUEST_GDTR_LIMIT = 0x4810,
	GUEST_IDTR_LIMIT = 0x4812, GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818,
	GUEST_DS_AR = 0x481a, GUEST_FS_AR = 0x481c, GUEST_GS_AR = 0x481e, GUEST_LDTR_AR = 0x4820,
	GUEST_TR_AR = 0x4822, GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY = 0x4826,
	GUEST_SYSENTER_CS = 0x482a, PREEMPTION_TIMER = 0x482e, HOST_SYSENTER_CS = 0x4c00,
	CR0_MASK = 0x6000, CR4_MASK = 0x6002, CR0_SHADOW = 0x6004, CR4_SHADOW = 0x6006,
	EXIT_QUALIFICATION = 0x6400, GUEST_LINEAR_ADDRESS = 0x640a,
	GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_ES_BASE = 0x6806,
	GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680a, GUEST_DS_BASE = 0x680c,
	GUEST_FS_BASE = 0x680e, GUEST_GS_BASE = 0x6810, GUEST_LDTR_BASE = 0x6812,
	GUEST_TR_BASE = 0x6814, GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818,
	GUEST_DR7 = 0x681a, GUEST_RSP = 0x681c, GUEST_RIP = 0x681e, GUEST_RFLAGS = 0x6820,
	GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
	HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e, HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

/* Capability MSRs (SDM Appendix A). */
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_MISC 0x485
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define MSR_VMX_TRUE_PIN 0x48d
#define MSR_VMX_TRUE_PROC 0x48e
#define MSR_VMX_TRUE_EXIT 0x48f
#define MSR_VMX_TRUE_ENTRY 0x490
#define MSR_VMX_PROC2 0x48b
#define MSR_VMX_EPT_VPID_CAP 0x48c

/* VMX instruction outcome: RFLAGS.CF / ZF after the instruction (SDM Vol. 3, 31.2). */
enum vmx_status { VMX_OK = 0, VMX_FAIL_INVALID = 1, VMX_FAIL_VALID = 2 };

#define VMX_STATUS_ASM "setc %b[cf]; setz %b[zf]"
static inline enum vmx_status vmx_status_of(uint8_t cf, uint8_t zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

static inline enum vmx_status vmxon(uint64_t pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxon %[pa]; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf) : [pa] "m"(pa) : "cc", "memory");
	return vmx_status_of(cf, zf);
}
static inline enum vmx_status vmxoff(void)
{
	uint8_t cf, zf;
	__asm__ volatile("vmxoff; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf) : : "cc", "memory");
	return vmx_status_of(cf, zf);
}
static inline enum vmx_status vmclear(uint64_t pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmclear %[pa]; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf) : [pa] "m"(pa) : "cc", "memory");
	return vmx_status_of(cf, zf);
}
static inline enum vmx_status vmptrld(uint64_t pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmptrld %[pa]; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf) : [pa] "m"(pa) : "cc", "memory");
	return vmx_status_of(cf, zf);
}
static inline enum vmx_status vmptrst(uint64_t *pa)
{
	uint8_t cf, zf;
	__asm__ volatile("vmptrst %[pa]; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf), [pa] "=m"(*pa) : : "cc", "memory");
	return vmx_status_of(cf, zf);
}
static inline enum vmx_status vmread(uint64_t field, uint64_t *value)
{
	uint8_t cf, zf;
	__asm__ volatile("vmread %[f], %[v]; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf), [v] "=r"(*value) : [f] "r"(field) : "cc");
	return vmx_status_of(cf, zf);
}
static inline enum vmx_status vmwrite(uint64_t field, uint64_t value)
{
	uint8_t cf, zf;
	__asm__ volatile("vmwrite %[v], %[f]; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf) : [f] "r"(field), [v] "rm"(value) : "cc", "memory");
	return vmx_status_of(cf, zf);
}
static inline uint64_t vmreadz(uint64_t field)
{
	uint64_t v = 0;
	vmread(field, &v);
	return v;
}
static inline enum vmx_status invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, rsvd; } d = { eptp, 0 };
	uint8_t cf, zf;
	__asm__ volatile("invept %[d], %[t]; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf) : [d] "m"(d), [t] "r"(type) : "cc", "memory");
	return vmx_status_of(cf, zf);
}
static inline enum vmx_status invvpid(uint64_t type, uint16_t vpid, uint64_t la)
{
	struct { uint64_t vpid, la; } d = { vpid, la };
	uint8_t cf, zf;
	__asm__ volatile("invvpid %[d], %[t]; " VMX_STATUS_ASM : [cf] "=q"(cf), [zf] "=q"(zf) : [d] "m"(d), [t] "r"(type) : "cc", "memory");
	return vmx_status_of(cf, zf);
}

/* EPT entry bits (SDM Vol. 3, Tables 29-1..29-6). */
#define VMX_EPT_R (1ull << 0)
#define VMX_EPT_W (1ull << 1)
#define VMX_EPT_X (1ull << 2)
#define VMX_EPT_RWX (VMX_EPT_R | VMX_EPT_W | VMX_EPT_X)
#define VMX_EPT_MEMTYPE_SHIFT 3      /* leaf entries: bits 5:3, the EPT memory type */
#define VMX_EPT_WB (6ull << VMX_EPT_MEMTYPE_SHIFT)
#define VMX_EPT_PAGE (1ull << 7)     /* a PDE or PDPTE that maps a page */
#define VMX_EPT_A (1ull << 8)        /* accessed, with EPTP bit 6 (29.3.5) */
#define VMX_EPT_D (1ull << 9)        /* dirty, leaf entries only */
#define VMX_EPT_ADDR 0x000ffffffffff000ull

/* EPTP (SDM Vol. 3, 25.6.11) and the INVEPT types (31.3, INVEPT). */
#define VMX_EPTP_WB 6ull
#define VMX_EPTP_WALK_4 (3ull << 3)  /* page-walk length - 1 */
#define VMX_EPTP_AD (1ull << 6)
#define VMX_INVEPT_SINGLE 1
#define VMX_INVEPT_ALL 2

/* IA32_VMX_EPT_VPID_CAP bit 21 (SDM A.10); secondary controls (Table 25-7). */
#define VMX_CAP_EPT_AD (1ull << 21)
#define VMX_PROC_SECONDARY (1u << 31)
#define VMX_PROC2_EPT (1u << 1)
#define VMX_PROC2_PML (1u << 17)
#define PML_LOG_ENTRIES 512 /* the log is one 4K page of GPAs (SDM Vol. 3, 29.3.6) */


/* IA32_FEATURE_CONTROL (SDM Vol. 3, 24.7). */
#define FC_LOCK (1ull << 0)
#define FC_VMXON_OUTSIDE_SMX (1ull << 2)

/* VM-execution, exit and entry controls (SDM Vol. 3, 25.6-25.8). */
#define PIN_PREEMPT_TIMER (1u << 6)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_UNCOND_IO (1u << 24)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define EXIT_HOST_64 (1u << 9)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPT (1u << 22)
#define ENTRY_IA32E (1u << 9)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* Basic exit reasons (SDM Vol. 3, Appendix C). */
enum vmx_exit_reason {
	EXIT_EXCEPTION = 0, EXIT_EXTINT = 1, EXIT_TRIPLE_FAULT = 2, EXIT_INTR_WINDOW = 7,
	EXIT_CPUID = 10, EXIT_HLT = 12, EXIT_INVLPG = 14, EXIT_RDTSC = 16, EXIT_VMCALL = 18,
	EXIT_CR_ACCESS = 28, EXIT_IO = 30, EXIT_RDMSR = 31, EXIT_WRMSR = 32,
	EXIT_BAD_GUEST_STATE = 33, EXIT_BAD_MSR_LOAD = 34, EXIT_EPT_VIOLATION = 48,
	EXIT_EPT_MISCONFIG = 49, EXIT_PREEMPT_TIMER = 52, EXIT_PML_FULL = 62,
	EXIT_REASON_MAX = 64
};
#define EXIT_REASON_ENTRY_FAILED (1u << 31)

/* EPT-violation exit qualification (SDM Vol. 3, Table 28-7). */
#define EPTV_READ (1ull << 0)
#define EPTV_WRITE (1ull << 1)
#define EPTV_FETCH (1ull << 2)

#endif
