/*
 * VMX for test hypervisors: a small helper that enters a 64-bit guest and returns at each VM exit
 * with the guest's registers saved, and EPT identity maps. The architecture (VMCS encodings, the
 * instructions, EPT bits) comes from hv/include/arch/vmx.h.
 * Portable: nothing here knows it runs in a simulator.
 */
#ifndef WORKLOAD_VMX_H
#define WORKLOAD_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/vmx.h" /* encodings, instructions, EPT bits: shared with hv/ */

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
