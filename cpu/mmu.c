#include "cpu/mmu.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)

/*
 * Reserved bits with MAXPHYADDR = 46 (Broadwell-EP), SDM Vol. 3, Table 4-14..4-20:
 * PML4E bit 7; a 1G PDPTE bits 29:13; a 2M PDE bits 20:13; XD when EFER.NXE = 0.
 */
#define RSVD_PHY 0x000fc00000000000ull
#define RSVD_1G 0x000000003fffe000ull
#define RSVD_2M 0x00000000001fe000ull

#define IA32E_FORMAT(xd_rsvd)                                                          \
	{                                                                              \
		.name = "ia32e", .present = PTE_P, .large = PTE_PS, .accessed = PTE_A, \
		.dirty = PTE_D,                                                        \
		.rsvd = { 0, RSVD_PHY | (xd_rsvd), RSVD_PHY | (xd_rsvd),               \
			  RSVD_PHY | (xd_rsvd), RSVD_PHY | PTE_PS | (xd_rsvd) },        \
		.rsvd_large = { 0, 0, RSVD_PHY | RSVD_2M | (xd_rsvd),                  \
				RSVD_PHY | RSVD_1G | (xd_rsvd), 0 },                   \
		.large_ok = { false, false, true, true, false },                       \
	}

const struct pt_format ia32e_format_nxe = IA32E_FORMAT(0);
const struct pt_format ia32e_format_nonxe = IA32E_FORMAT(PTE_XD);

const struct pt_format *ia32e_format(const struct mmu_regs *regs)
{
	return (regs->efer & EFER_NXE) ? &ia32e_format_nxe : &ia32e_format_nonxe;
}

static bool canonical(uint64_t va)
{
	uint64_t top = va >> 47; /* bits 63:47 must all equal bit 47 (SDM Vol. 1, 3.3.7.1) */
	return top == 0 || top == 0x1ffff;
}

/* Rights combined over all levels: U/S and R/W are ANDed, XD is ORed (SDM 4.6.1). */
struct rights {
	bool user, writable, nx;
};

static struct rights combine(const struct pt_walk *w)
{
	struct rights r = { true, true, false };
	for (int level = PT_LEVELS; level >= w->leaf_level; level--) {
		r.user &= !!(w->entry[level] & PTE_US);
		r.writable &= !!(w->entry[level] & PTE_RW);
		r.nx |= !!(w->entry[level] & PTE_XD);
	}
	return r;
}

/*
 * The access-rights rules of SDM 4.6.1 for one access type. Returns FAULT_NONE or why it is
 * denied. 'user' is a user-mode access; 'smap_checked' says SMAP applies to a supervisor data
 * access (CR4.SMAP = 1 and either implicit or EFLAGS.AC = 0).
 */
static enum fault_reason check(const struct mmu_regs *regs, struct rights r, enum mmu_access acc,
			       bool user, bool smap_checked, bool implicit)
{
	bool nxe = regs->efer & EFER_NXE;

	if (user) {
		if (!r.user)
			return FAULT_USER;
		if (acc == MMU_WRITE && !r.writable)
			return FAULT_WRITE_PROTECT;
		if (acc == MMU_FETCH && nxe && r.nx)
			return FAULT_NX;
		return FAULT_NONE;
	}
	if (acc == MMU_FETCH) {
		if (r.user && (regs->cr4 & CR4_SMEP))
			return FAULT_SMEP;
		if (nxe && r.nx)
			return FAULT_NX;
		return FAULT_NONE;
	}
	if (r.user && smap_checked)
		return implicit ? FAULT_SMAP_IMPLICIT : FAULT_SMAP;
	if (acc == MMU_WRITE && !r.writable && (regs->cr0 & CR0_WP))
		return FAULT_WRITE_PROTECT;
	return FAULT_NONE;
}

static void page_fault(struct fault *f, const struct mmu_regs *regs, const struct mmu_req *req,
		       enum fault_reason reason)
{
	pf_error_t ec = { 0 };

	ec.present = reason != FAULT_NOT_PRESENT;
	ec.write = req->access == MMU_WRITE;
	ec.user = req->user;
	ec.rsvd = reason == FAULT_RESERVED;
	/* I/D is reported only with SMEP or PAE+NXE (SDM 4.7). */
	ec.fetch = req->access == MMU_FETCH &&
		   ((regs->cr4 & CR4_SMEP) || ((regs->cr4 & CR4_PAE) && (regs->efer & EFER_NXE)));
	*f = (struct fault){ .vector = X86_PF, .has_error_code = 1, .reason = reason,
			     .implicit = req->implicit, .error_code = ec.raw, .cr2 = req->va };
}

static bool paging_unsupported(const struct mmu_regs *regs)
{
	return !(regs->efer & EFER_LMA) || !(regs->cr4 & CR4_PAE) || (regs->cr4 & CR4_LA57);
}

bool mmu_translate(const struct mmu_regs *regs, struct pt_mem *mem, const struct mmu_req *req,
		   struct mmu_result *out, struct fault *f)
{
	struct pt_walk w;
	const struct pt_format *fmt = ia32e_format(regs);

	if (!(regs->cr0 & CR0_PG)) {
		out->pa = req->va & 0xffffffffull;
		out->prot = MMU_PROT_R | MMU_PROT_W | MMU_PROT_X;
		out->leaf_level = 1;
		return true;
	}
	if (paging_unsupported(regs)) {
		*f = (struct fault){ .vector = X86_GP, .has_error_code = 1,
				     .reason = FAULT_UNSUPPORTED_MODE, .cr2 = req->va };
		return false;
	}
	if (!canonical(req->va)) {
		*f = (struct fault){ .vector = X86_GP, .has_error_code = 1,
				     .reason = FAULT_NON_CANONICAL, .cr2 = req->va };
		return false;
	}
	pt_walk(fmt, mem, regs->cr3, req->va, &w);
	if (w.status == PT_TRANSLATE_FAILED) {
		*f = (struct fault){ .reason = FAULT_VM_EXIT, .cr2 = req->va };
		return false;
	}
	if (w.status != PT_OK) {
		page_fault(f, regs, req,
			   w.status == PT_RESERVED ? FAULT_RESERVED : FAULT_NOT_PRESENT);
		return false;
	}

	struct rights r = combine(&w);
	bool smap_checked = (regs->cr4 & CR4_SMAP) && (req->implicit || !req->ac);
	enum fault_reason why = check(regs, r, req->access, req->user, smap_checked, req->implicit);
	if (why != FAULT_NONE) {
		page_fault(f, regs, req, why);
		return false;
	}

	bool dirty = req->access == MMU_WRITE;
	if (!pt_set_accessed_dirty(fmt, mem, &w, dirty)) {
		*f = (struct fault){ .reason = FAULT_VM_EXIT, .cr2 = req->va };
		return false;
	}

	/* Grant the page to this access class for every access type the rules allow now. */
	out->prot = 0;
	if (check(regs, r, MMU_READ, req->user, smap_checked, req->implicit) == FAULT_NONE)
		out->prot |= MMU_PROT_R;
	if ((w.entry[w.leaf_level] & PTE_D) &&
	    check(regs, r, MMU_WRITE, req->user, smap_checked, req->implicit) == FAULT_NONE)
		out->prot |= MMU_PROT_W;
	if (check(regs, r, MMU_FETCH, req->user, smap_checked, req->implicit) == FAULT_NONE)
		out->prot |= MMU_PROT_X;
	out->pa = w.pa;
	out->leaf_level = w.leaf_level;
	return true;
}

bool mmu_probe(const struct mmu_regs *regs, struct pt_mem *mem, uint64_t va, uint64_t *pa)
{
	struct pt_walk w;

	if (!(regs->cr0 & CR0_PG)) {
		*pa = va & 0xffffffffull;
		return true;
	}
	if (paging_unsupported(regs) || !canonical(va))
		return false;
	pt_walk(ia32e_format(regs), mem, regs->cr3, va, &w);
	*pa = w.pa;
	return w.status == PT_OK;
}
