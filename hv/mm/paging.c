/*
 * hv's page tables: the direct map of RAM (2 MiB pages, writable, not executable) and hv's image
 * with 4K pages (text read-only and executable, the rest not executable, rodata read-only).
 * All of it is supervisor-only. Replaces the boot tables of boot/entry.S.
 */
#include "mm/mm.h"

#include "arch/x86.h"

extern char __text_start[], __text_end[], __rodata_end[], __bss_end_virt[];

static uint64_t hv_root;

static uint64_t *table(uint64_t pa) { return phys_to_virt(pa & PTE_ADDR); }

/* The entry for 'va' at the level whose index starts at bit 'shift', creating tables above it. */
static uint64_t *walk_create(uint64_t root, uint64_t va, unsigned leaf_shift, uint64_t flags)
{
	uint64_t *t = table(root);

	for (unsigned shift = 39; shift > leaf_shift; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			uint64_t pa = page_alloc();
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_RW | (flags & PTE_US);
		}
		t = table(*e);
	}
	return &t[(va >> leaf_shift) & 511];
}

bool pt_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *e = walk_create(root, va, 12, flags);
	if (!e)
		return false;
	*e = pa | flags | PTE_P;
	return true;
}

uint64_t pt_lookup(uint64_t root, uint64_t va)
{
	uint64_t *t = table(root), rights = PTE_US | PTE_RW, nx = 0;

	for (unsigned shift = 39;; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return 0;
		rights &= e;
		nx |= e & PTE_NX;
		if (shift == 12 || (e & PTE_PS))
			return (e & ~(PTE_US | PTE_RW | PTE_NX)) | rights | nx;
		t = table(e);
	}
}

static void map_direct(const struct boot_params *bp)
{
	const uint64_t two_m = 1ull << 21;

	for (unsigned i = 0; i < bp->nram; i++) {
		uint64_t end = bp->ram[i].base + bp->ram[i].len;
		end = end > HV_MAX_PHYS ? HV_MAX_PHYS : end;
		for (uint64_t pa = bp->ram[i].base & ~(two_m - 1); pa < end; pa += two_m) {
			uint64_t *e = walk_create(hv_root, DIRECTMAP_BASE + pa, 21, 0);
			if (!e)
				panic("out of memory for the direct map");
			*e = pa | PTE_P | PTE_RW | PTE_PS | PTE_NX;
		}
	}
}

static void map_image(void)
{
	for (uint64_t va = (uint64_t)__text_start; va < (uint64_t)__bss_end_virt; va += PAGE_SIZE) {
		uint64_t flags = va < (uint64_t)__text_end ? 0
			       : va < (uint64_t)__rodata_end ? PTE_NX : PTE_RW | PTE_NX;
		if (!pt_map(hv_root, va, va - KERNEL_VBASE, flags))
			panic("out of memory for hv's page tables");
	}
}

void paging_init(const struct boot_params *bp)
{
	hv_root = page_alloc();
	if (!hv_root)
		panic("no memory for page tables");
	map_direct(bp);
	map_image();
	/* Every hv slot gets its PDPT now, so address spaces made later share all of hv's half. */
	for (unsigned i = GUEST_HALF_SLOTS; i < 512; i++)
		if (!(table(hv_root)[i] & PTE_P)) {
			uint64_t pa = page_alloc();
			if (!pa)
				panic("no memory for page tables");
			table(hv_root)[i] = pa | PTE_P | PTE_RW;
		}
	write_cr3(hv_root);
}

uint64_t paging_hv_root(void)
{
	return hv_root;
}

uint64_t pt_new_space(void)
{
	uint64_t root = page_alloc();
	if (root)
		memcpy(table(root) + GUEST_HALF_SLOTS, table(hv_root) + GUEST_HALF_SLOTS,
		       (512 - GUEST_HALF_SLOTS) * 8);
	return root;
}
