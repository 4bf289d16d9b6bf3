/*
 * Linear-address translation for the guest's own paging (IA-32e 4-level), with every permission
 * rule of SDM Vol. 3, 4.6 "Access Rights": U/S, R/W with CR0.WP, XD with EFER.NXE, SMEP, and
 * SMAP with EFLAGS.AC and the explicit/implicit distinction.
 */
#ifndef HVSIM_CPU_MMU_H
#define HVSIM_CPU_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/fault.h"
#include "cpu/pagewalk.h"

enum mmu_access { MMU_READ, MMU_WRITE, MMU_FETCH };

#define CR0_PE (1ull << 0)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_VMXE (1ull << 13)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_LA57 (1ull << 12)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define RFLAGS_AC (1ull << 18)

/* The control state translation depends on. */
struct mmu_regs {
	uint64_t cr0, cr3, cr4, efer;
	unsigned maxphyaddr;
};

/* One access to translate. */
struct mmu_req {
	uint64_t va;
	enum mmu_access access;
	bool user;     /* CPL 3 and not implicit: a user-mode access */
	bool implicit; /* implicit supervisor access (GDT/LDT/IDT/TSS), SMAP-checked regardless of AC */
	bool ac;       /* EFLAGS.AC for explicit supervisor accesses */
};

/* Permission bits, as granted to a whole page for one access class (same as uc_prot). */
#define MMU_PROT_R 1u
#define MMU_PROT_W 2u
#define MMU_PROT_X 4u

struct mmu_result {
	uint64_t pa;
	unsigned prot; /* what this access class may do to the page without another walk */
	int leaf_level;
};

/*
 * Translate req->va. On success sets the accessed flags (and dirty for writes) exactly as the
 * SDM says and fills 'out'; 'prot' never includes W on a page whose D flag is clear, so the first
 * write comes back here to set it. On failure fills 'f' (vector, error code, CR2, reason) and
 * leaves memory unchanged.
 */
bool mmu_translate(const struct mmu_regs *regs, struct pt_mem *mem, const struct mmu_req *req,
		   struct mmu_result *out, struct fault *f);

/* Translate without setting A/D or granting: for debuggers and instruction counting. */
bool mmu_probe(const struct mmu_regs *regs, struct pt_mem *mem, uint64_t va, uint64_t *pa);

extern const struct pt_format ia32e_format_nxe, ia32e_format_nonxe;
const struct pt_format *ia32e_format(const struct mmu_regs *regs);

#endif
