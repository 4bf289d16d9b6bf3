/*
 * EPT for a VMX guest (SDM Vol. 3, 29.3.2): 4 levels, 4K leaves only, read/write/execute,
 * write-back. The page tables hold one flat array of leaves, so a tracker reaches the leaf of
 * guest page n as leaves[n]. Entries start with A set (and leaves with D set): nothing is logged
 * until a tracker clears D (29.3.5: the CPU logs a page when it sets D).
 */
#include "vmx/vm.h"

#include "mm/mm.h"

#define EPT_TABLE (VMX_EPT_RWX | VMX_EPT_A)
#define EPT_LEAF (VMX_EPT_RWX | VMX_EPT_WB | VMX_EPT_A | VMX_EPT_D)

static uint64_t *tab(uint64_t pa) { return phys_to_virt(pa); }

bool ept_build(struct ept *ept, const struct gmem *m)
{
	uint64_t npt = ALIGN_UP(m->npages, 512) / 512, npd = ALIGN_UP(npt, 512) / 512;
	uint64_t pts = pages_alloc_contig(npt), pds = pages_alloc_contig(npd);
	uint64_t pdpt = page_alloc(), root = page_alloc();

	if (!pts || !pds || !pdpt || !root || npd > 512)
		return false;
	ept->leaves = tab(pts);
	for (uint64_t n = 0; n < m->npages; n++)
		ept->leaves[n] = m->frames[n] | EPT_LEAF;
	for (uint64_t i = 0; i < npt; i++)
		tab(pds)[i] = (pts + i * PAGE_SIZE) | EPT_TABLE;
	for (uint64_t i = 0; i < npd; i++)
		tab(pdpt)[i] = (pds + i * PAGE_SIZE) | EPT_TABLE;
	tab(root)[0] = pdpt | EPT_TABLE;
	ept->root = root;
	return true;
}

void ept_free(struct ept *ept, const struct gmem *m)
{
	uint64_t npt = ALIGN_UP(m->npages, 512) / 512, npd = ALIGN_UP(npt, 512) / 512;
	uint64_t pdpt = tab(ept->root)[0] & VMX_EPT_ADDR, pds = tab(pdpt)[0] & VMX_EPT_ADDR;

	for (uint64_t i = 0; i < npt; i++)
		page_free(virt_to_phys(ept->leaves) + i * PAGE_SIZE);
	for (uint64_t i = 0; i < npd; i++)
		page_free(pds + i * PAGE_SIZE);
	page_free(pdpt);
	page_free(ept->root);
}

/* After changing leaves: INVEPT single-context (SDM Vol. 3, 29.4.3.1). */
void ept_invalidate(const struct ept *ept)
{
	if (invept(VMX_INVEPT_SINGLE, ept->eptp) != VMX_OK)
		panic("INVEPT failed");
}
