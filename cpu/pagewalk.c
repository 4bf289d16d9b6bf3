#include "cpu/pagewalk.h"

static unsigned level_shift(int level)
{
	return 12 + 9 * (level - 1);
}

static bool entry_address(struct pt_mem *mem, uint64_t addr, uint64_t *pa)
{
	if (!mem->translate) {
		*pa = addr;
		return true;
	}
	return mem->translate(mem->opaque, addr, false, pa);
}

void pt_walk(const struct pt_format *fmt, struct pt_mem *mem, uint64_t root, uint64_t addr,
	     struct pt_walk *w)
{
	uint64_t table = root & PT_ADDR_MASK;

	for (int level = PT_LEVELS; level >= 1; level--) {
		unsigned shift = level_shift(level);
		uint64_t slot = table + ((addr >> shift) & 0x1ff) * 8;
		uint64_t pa, e;

		w->fault_level = level;
		if (!entry_address(mem, slot, &pa)) {
			w->status = PT_TRANSLATE_FAILED;
			return;
		}
		e = phys_read64(mem->phys, pa);
		w->entry[level] = e;
		w->entry_addr[level] = slot;
		w->entry_pa[level] = pa;
		if (!(e & fmt->present)) {
			w->status = PT_NOT_PRESENT;
			return;
		}
		bool large = level > 1 && (e & fmt->large) && fmt->large_ok[level];
		uint64_t rsvd = large ? fmt->rsvd_large[level] : fmt->rsvd[level];
		if ((e & rsvd) || ((fmt->rsvd_low6 >> (e & 0x3f)) & 1)) {
			w->status = PT_RESERVED;
			return;
		}
		if (level == 1 || large) {
			w->leaf_level = level;
			w->page_mask = (1ull << shift) - 1;
			w->pa = (e & PT_ADDR_MASK & ~w->page_mask) | (addr & w->page_mask);
			w->status = PT_OK;
			return;
		}
		table = e & PT_ADDR_MASK;
	}
}

unsigned pt_accessed_dirty_pending(const struct pt_format *fmt, const struct pt_walk *w, bool dirty)
{
	unsigned pending = 0;

	for (int level = PT_LEVELS; level >= w->leaf_level; level--)
		if (fmt->accessed && !(w->entry[level] & fmt->accessed))
			pending |= PT_AD_ACCESSED;
	if (dirty && fmt->dirty && !(w->entry[w->leaf_level] & fmt->dirty))
		pending |= PT_AD_DIRTY;
	return pending;
}

bool pt_set_accessed_dirty(const struct pt_format *fmt, struct pt_mem *mem, struct pt_walk *w,
			   bool dirty)
{
	for (int level = PT_LEVELS; level >= w->leaf_level; level--) {
		uint64_t e = w->entry[level] | fmt->accessed, pa = w->entry_pa[level];
		if (level == w->leaf_level && dirty)
			e |= fmt->dirty;
		if (e == w->entry[level])
			continue;
		if (mem->translate && !mem->translate(mem->opaque, w->entry_addr[level], true, &pa))
			return false;
		w->entry[level] = e;
		phys_write64(mem->phys, pa, e);
	}
	return true;
}
