/*
 * EPT translation (SDM Vol. 3, 29.3). The walk and its reserved-bit checks are cpu/pagewalk.c's,
 * given the EPT entry format as data; what is EPT's own is here: the format, the R/W/X rules and
 * the violation's exit qualification, A/D flags with EPTP.AD and page-modification logging.
 */
#include <assert.h>

#include "vmx/ept.h"

/* EPT paging-structure entry bits (SDM 29.3.2, Tables 29-1 to 29-6). */
#define EPTE_R (1ull << 0)
#define EPTE_W (1ull << 1)
#define EPTE_X (1ull << 2)
#define EPTE_XWR (EPTE_R | EPTE_W | EPTE_X)
#define EPTE_LARGE (1ull << 7) /* PDPTE: 1G page; PDE: 2M page; must be 0 in a PML4E */
#define EPTE_A (1ull << 8)     /* with EPTP.AD = 1 (29.3.5) */
#define EPTE_D (1ull << 9)     /* leaf only, with EPTP.AD = 1 */

/*
 * Reserved combinations of bits 5:0 (memory type << 3 | XWR) in a present entry, for
 * pt_format.rsvd_low6: bit n set marks bits 5:0 = n as a misconfiguration (29.3.3.1). Byte m of
 * each mask covers memory type m. Bits 5:3 of non-leaf entries are reserved bits anyway, so the
 * memory-type rule ("the last entry used") can apply at every level.
 */
#define EPT_BAD_WO_WX 0x4444444444444444ull  /* XWR = 010b (write-only), 110b (write/execute) */
#define EPT_BAD_XO 0x1010101010101010ull     /* XWR = 100b (execute-only), unless supported */
#define EPT_BAD_MEMTYPE 0xff000000ffff0000ull /* memory types 2, 3 and 7 are reserved */

#define EPTP_MEMTYPE_UC 0
#define EPTP_MEMTYPE_WB 6
#define EPTP_WALK_4_LEVELS 3 /* page-walk length - 1 */

#define PML_ENTRIES 512 /* the log is one 4K page of 64-bit entries (29.3.6) */

static uint64_t bit_range(unsigned hi, unsigned lo)
{
	return (~0ull >> (63 - hi)) & ~((1ull << lo) - 1);
}

/*
 * The EPT entry format for these capabilities (29.3.2): present if any of bits 2:0 is set;
 * reserved: PML4E bits 7:3, non-leaf PDPTE/PDE bits 6:3 with bit 7 = 0, a 1G PDPTE bits 29:12,
 * a 2M PDE bits 20:12, bits 51:MAXPHYADDR everywhere. A page size the CPU does not support
 * leaves bit 7 a reserved bit (29.3.2, footnote on bit 7 of an EPT PDPTE).
 */
static void ept_format(struct pt_format *f, const struct ept_caps *caps, bool ad)
{
	uint64_t phy = pt_maxphy_rsvd(caps->maxphyaddr);
	uint64_t non_leaf = phy | bit_range(7, 3);

	*f = (struct pt_format){
		.name = ad ? "ept-ad" : "ept",
		.present = EPTE_XWR,
		.large = EPTE_LARGE,
		.accessed = ad ? EPTE_A : 0,
		.dirty = ad ? EPTE_D : 0,
		.rsvd = { 0, phy, non_leaf, non_leaf, non_leaf },
		.rsvd_large = { 0, 0, phy | bit_range(20, 12), phy | bit_range(29, 12), 0 },
		.large_ok = { false, false, caps->pages_2m, caps->pages_1g, false },
		.rsvd_low6 = EPT_BAD_WO_WX | (caps->execute_only ? 0 : EPT_BAD_XO) | EPT_BAD_MEMTYPE,
	};
}

static unsigned prot_of(uint64_t entry)
{
	return ((entry & EPTE_R) ? MMU_PROT_R : 0) | ((entry & EPTE_W) ? MMU_PROT_W : 0) |
	       ((entry & EPTE_X) ? MMU_PROT_X : 0);
}

/* The AND of bits 2:0 over the entries used, from the PML4E down to 'lowest' (29.3.3.2). */
static unsigned rights_down_to(const struct pt_walk *w, int lowest)
{
	unsigned prot = MMU_PROT_R | MMU_PROT_W | MMU_PROT_X;

	for (int level = PT_LEVELS; level >= lowest; level--)
		prot &= prot_of(w->entry[level]);
	return prot;
}

/*
 * With EPTP.AD = 1, the CPU's accesses to guest paging-structure entries are writes for EPT:
 * they need W, set D and are reported with both bits 0 and 1 of the qualification (29.3.3.2,
 * 29.3.5, Table 28-7 footnote). Without it they are data reads (29.3.3.2).
 */
static bool counts_as_write(const struct ept_access *a, bool ad)
{
	return a->access == MMU_WRITE || (a->paging_structure && ad);
}

static unsigned needed_right(const struct ept_access *a, bool ad)
{
	if (counts_as_write(a, ad))
		return MMU_PROT_W;
	return a->access == MMU_FETCH ? MMU_PROT_X : MMU_PROT_R;
}

/* The highest entry that lacks 'right': the one that denies the access. */
static int denying_level(const struct pt_walk *w, unsigned right)
{
	int level = PT_LEVELS;

	while (level > w->leaf_level && (prot_of(w->entry[level]) & right))
		level--;
	return level;
}

/* Exit qualification for an EPT violation (Table 28-7). */
static ept_qual_t violation_qual(const struct ept_access *a, bool ad, unsigned allowed)
{
	ept_qual_t q = { 0 };

	q.read = a->access == MMU_READ || (a->paging_structure && ad);
	q.write = counts_as_write(a, ad);
	q.fetch = a->access == MMU_FETCH;
	q.readable = !!(allowed & MMU_PROT_R);
	q.writable = !!(allowed & MMU_PROT_W);
	q.executable = !!(allowed & MMU_PROT_X);
	q.gla_valid = a->gla_valid;
	/* Bit 8 is defined only when bit 7 is set; otherwise it is cleared. */
	q.gla_translated = a->gla_valid && !a->paging_structure;
	return q;
}

static void violation(struct ept_result *r, const struct ept_access *a, bool ad,
		      unsigned allowed, int level)
{
	r->status = EPT_VIOLATION;
	r->qual = violation_qual(a, ad, allowed);
	r->level = level;
}

/*
 * Set the A/D flags this access needs, with page-modification logging (29.3.5, 29.3.6). Only
 * an access that has a flag to set looks at the PML index; outside 0..511 it is a log-full
 * event: nothing is set and the access does not happen (returns false). A D flag going from 0
 * to 1 writes the 4K-aligned GPA at pml_address + 8 * index and decrements the index, which
 * may wrap from 0 to 0xFFFF.
 */
static bool set_flags_and_log(struct ept_ctx *ctx, const struct pt_format *fmt,
			      struct pt_walk *w, const struct ept_access *a, bool dirty,
			      struct ept_result *r)
{
	struct pt_mem mem = { .phys = ctx->phys };
	unsigned pending = pt_accessed_dirty_pending(fmt, w, dirty);

	if (!pending)
		return true;
	if (ctx->pml && ctx->pml_index >= PML_ENTRIES)
		return false;
	pt_set_accessed_dirty(fmt, &mem, w, dirty);
	if (ctx->pml && (pending & PT_AD_DIRTY)) {
		phys_write64(ctx->phys, ctx->pml_address + 8ull * ctx->pml_index,
			     a->gpa & ~0xfffull);
		ctx->pml_index--;
		r->logged = true;
	}
	return true;
}

/* What a TLB entry may cache: W only once the leaf's D flag is set, if EPTP.AD = 1. */
static unsigned grant(const struct pt_walk *w, unsigned allowed, bool ad)
{
	if (ad && !(w->entry[w->leaf_level] & EPTE_D))
		allowed &= ~MMU_PROT_W;
	return allowed;
}

void ept_translate(struct ept_ctx *ctx, const struct ept_access *a, struct ept_result *r)
{
	eptp_t eptp = { .raw = ctx->eptp };
	struct pt_mem mem = { .phys = ctx->phys };
	struct pt_format fmt;
	struct pt_walk w;

	assert(!(a->paging_structure && a->access == MMU_FETCH));
	*r = (struct ept_result){ .status = EPT_OK };
	ept_format(&fmt, ctx->caps, eptp.ad);
	pt_walk(&fmt, &mem, ctx->eptp, a->gpa, &w);
	assert(w.status != PT_TRANSLATE_FAILED); /* EPT tables are host-physical */
	if (w.status == PT_RESERVED) {
		r->status = EPT_MISCONFIG;
		r->level = w.fault_level;
		return;
	}
	if (w.status == PT_NOT_PRESENT) {
		violation(r, a, eptp.ad, rights_down_to(&w, w.fault_level), w.fault_level);
		return;
	}

	unsigned allowed = rights_down_to(&w, w.leaf_level);
	unsigned need = needed_right(a, eptp.ad);
	if (!(allowed & need)) {
		violation(r, a, eptp.ad, allowed, denying_level(&w, need));
		return;
	}
	if (!a->probe && !set_flags_and_log(ctx, &fmt, &w, a, need == MMU_PROT_W, r)) {
		r->status = EPT_PML_FULL;
		return;
	}
	r->hpa = w.pa;
	r->page_mask = w.page_mask;
	r->level = w.leaf_level;
	r->prot = grant(&w, allowed, eptp.ad);
}

void ept_entry_format(struct pt_format *f, const struct ept_caps *caps, bool ad)
{
	ept_format(f, caps, ad);
}

/* EPTP checks on VM entry (SDM 27.2.1.1 "VM-Execution Control Fields"; 26.2.1.1 in newer SDMs). */
enum eptp_check ept_check_eptp(const struct ept_caps *caps, uint64_t raw)
{
	eptp_t eptp = { .raw = raw };
	bool memtype_ok = (eptp.memtype == EPTP_MEMTYPE_UC && caps->uc) ||
			  (eptp.memtype == EPTP_MEMTYPE_WB && caps->wb);

	if (!memtype_ok)
		return EPTP_MEMTYPE;
	if (eptp.walk_length != EPTP_WALK_4_LEVELS)
		return EPTP_WALK_LENGTH;
	if (eptp.ad && !caps->ad)
		return EPTP_AD;
	/* Bit 7 (supervisor shadow stacks) is reserved without CET; bits 11:8; 63:MAXPHYADDR. */
	if (raw & (bit_range(11, 7) | bit_range(63, caps->maxphyaddr)))
		return EPTP_RESERVED;
	return EPTP_OK;
}

const char *eptp_check_name(enum eptp_check c)
{
	static const char *const names[] = {
		[EPTP_OK] = "ok",
		[EPTP_MEMTYPE] = "unsupported memory type",
		[EPTP_WALK_LENGTH] = "unsupported page-walk length",
		[EPTP_AD] = "accessed/dirty flags not supported",
		[EPTP_RESERVED] = "reserved bit set",
	};
	assert((unsigned)c < sizeof names / sizeof names[0]);
	return names[c];
}
