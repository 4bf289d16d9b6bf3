/*
 * VMX for freestanding guest code (test hypervisors): the instructions as inline assembly, the
 * VMCS field encodings this code uses (SDM Vol. 3, Appendix B) and a small helper that enters a
 * 64-bit guest and returns at each VM exit with the guest's registers saved.
 * Portable: nothing here knows it runs in a simulator.
 */
#ifndef WORKLOAD_VMX_H
#define WORKLOAD_VMX_H

#include <stdbool.h>
#include <stdint.h>

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
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_CR0_FIXED0 0x486
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

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Guest general-purpose registers, saved at each VM exit and loaded at each entry. */
struct vmx_gprs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vmx_vcpu {
	uint8_t vmxon[4096] __attribute__((aligned(4096)));
	uint8_t vmcs[4096] __attribute__((aligned(4096)));
	struct vmx_gprs gprs;
	bool launched;
};

/* Turn on VMX (CR4.VMXE, IA32_FEATURE_CONTROL, VMXON) and make vcpu's VMCS current. */
enum vmx_status vmx_start(struct vmx_vcpu *vcpu);
/* Adjust 'want' to a capability MSR's allowed settings (SDM A.3). */
uint32_t vmx_adjust(uint32_t msr, uint32_t want);
/*
 * Fill the host-state area from the running CPU and the guest-state area for a 64-bit ring-0
 * guest that shares the host's GDT, IDT, CR3 and segments, starting at rip/rsp. Controls:
 * minimal (adjusted); the caller sets what its test needs.
 */
void vmx_setup_vmcs(uint64_t guest_rip, uint64_t guest_rsp);
/*
 * VMLAUNCH (first time) or VMRESUME; returns at the next VM exit with the exit reason, or
 * 0xffffffff if the instruction failed (then *status says how).
 */
uint32_t vmx_run(struct vmx_vcpu *vcpu, enum vmx_status *status);
/* Step the guest's RIP past the instruction that exited (VM-exit instruction length). */
void vmx_skip_instruction(void);

/*
 * EPT for test hypervisors (SDM Vol. 3, 29.3.2 "EPT Translation Mechanism", Tables 29-1..29-6):
 * the entry bits, and an identity map of the low guest-physical space built from 2M pages, any of
 * which can be split into 4K pages. The tables live in the caller's memory, which must be
 * identity-mapped (their linear addresses are their physical addresses).
 */
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

#define VMX_EPT_GIB 4     /* the identity map covers guest-physical [0, 4 GiB) */
#define VMX_EPT_SPLITS 8  /* how many 2M pages can be split into 4K pages */

struct vmx_ept {
	uint64_t pml4[512] __attribute__((aligned(4096)));
	uint64_t pdpt[512] __attribute__((aligned(4096)));
	uint64_t pd[VMX_EPT_GIB][512] __attribute__((aligned(4096)));
	uint64_t pt[VMX_EPT_SPLITS][512] __attribute__((aligned(4096)));
	unsigned splits;
};

/*
 * Identity-map [0, VMX_EPT_GIB GiB) with 2M pages, read/write/execute, write-back, each leaf
 * also given 'leaf_flags' (say VMX_EPT_A | VMX_EPT_D to keep them out of dirty logging).
 * Non-leaf entries are read/write/execute with the accessed flag clear.
 */
void vmx_ept_init(struct vmx_ept *ept, uint64_t leaf_flags);
/*
 * Map the 2M page holding 'gpa' with 512 4K pages that keep its rights and memory type, each
 * with 'ad_flags' (VMX_EPT_A, VMX_EPT_D) for the flags. Returns the page table (one already
 * split returns its table as it is), or NULL if 'gpa' is outside the map or no table is left.
 */
uint64_t *vmx_ept_split(struct vmx_ept *ept, uint64_t gpa, uint64_t ad_flags);
/* The entry that maps 'gpa' (a PTE, or a PDE with VMX_EPT_PAGE), or NULL outside the map. */
uint64_t *vmx_ept_leaf(struct vmx_ept *ept, uint64_t gpa);
/* The entries used to translate 'gpa', PML4E first, down to its leaf: returns how many (0: none). */
unsigned vmx_ept_path(struct vmx_ept *ept, uint64_t gpa, uint64_t *entries[4]);
/* The EPTP for these tables: write-back, 4-level walk, accessed/dirty flags if 'ad'. */
uint64_t vmx_ept_pointer(const struct vmx_ept *ept, bool ad);

#endif
