/*
 * VMX guests: one vCPU each, EPT over guest memory with 4K leaves (so every page can be tracked
 * on its own), hypercalls by VMCALL, and exits for CPUID, HLT, I/O (COM1 and the debug-exit
 * port), EPT violations, PML log full and the preemption timer.
 */
#ifndef HV_VMX_VM_H
#define HV_VMX_VM_H

#include "arch/vmx.h"
#include "domain.h"
#include "gmem.h"

/* Guest registers the VMCS does not hold, saved at each exit (vmx/entry.S). */
struct gprs {
	uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
};

/* One vCPU: its VMCS and the pages the VMCS points at, page-aligned, then its registers. */
struct vcpu {
	uint8_t vmcs[4096];
	uint8_t msr_bitmap[4096]; /* all zero: no RDMSR/WRMSR exits */
	uint64_t pml[PML_LOG_ENTRIES];        /* the PML log (SDM Vol. 3, 29.3.6) */
	struct gprs gprs;
	bool launched;
	uint8_t pad[4096 - sizeof(struct gprs) - sizeof(bool)];
} __attribute__((aligned(4096)));
STATIC_ASSERT(sizeof(struct vcpu) == 4 * 4096, "struct vcpu is four pages");

/* EPT over guest memory: leaves[gfn] is the 4K leaf that maps guest page gfn (one flat array). */
struct ept {
	uint64_t root;    /* PML4 physical address */
	uint64_t *leaves; /* npages entries */
	uint64_t eptp;
};

struct tracker;
struct migration;

struct vm {
	struct domain *dom;
	struct gmem mem;
	struct ept ept;
	struct vcpu *vcpu;
	/* log-dirty (logdirty.h) */
	const struct tracker *tracker;
	uint64_t *dirty;  /* one bit per guest page, set = written since the last harvest */
	bool logging;
	bool guest_logdirty; /* logging was started by the guest's HC_LOGDIRTY */
	unsigned pml_entries; /* how much of the 512-entry log the PML tracker uses (1..512) */
	/* accounting, in TSC ticks (virtual time in hvsim: one tick per instruction) */
	uint64_t exits[EXIT_REASON_MAX];
	uint64_t guest_ticks, track_ticks;
	struct migration *mig;
};

bool vmx_available(void);
bool vmx_init(void);
bool vmx_has_pml(void);
/* VMWRITE to the current VMCS; a failure is hv's bug: panic with the VM-instruction error. */
void vmw(uint64_t field, uint64_t value);
bool vmx_has_ept_ad(void);
/* A fresh VMCS for v, made current: host state, controls and (if asked) the boot guest state. */
bool vcpu_init(struct vcpu *v, const struct gmem *m, uint64_t entry, bool guest_state);
/* Build a VMX guest from its ELF image and run it until it ends; returns its result. */
int vm_run_domain(struct domain *d, const void *elf, uint64_t len, const char *hv_cmdline);

/* Guest memory for the copy helpers: a guest-virtual range through the guest's page tables. */
int vm_copy(struct vm *vm, void *host, uint64_t gva, uint64_t len, bool to_guest);

/* vm.c, for the migration: an empty VM with memory and EPT, and moving the vCPU into it. */
bool vm_create(struct vm *vm, struct domain *d, struct vcpu *vcpu);
void vm_move_vcpu(struct vm *from, struct vm *to);
void vm_destroy(struct vm *vm);
void vm_set_eptp(struct vm *vm, bool ad);

/* ept.c */
bool ept_build(struct ept *ept, const struct gmem *m);
void ept_free(struct ept *ept, const struct gmem *m);
void ept_invalidate(const struct ept *ept);

#endif
