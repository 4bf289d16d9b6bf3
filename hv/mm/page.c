/* The physical page allocator: one bit per page of [0, HV_MAX_PHYS), set = free. */
#include "mm/mm.h"

#define NPAGES (HV_MAX_PHYS >> PAGE_SHIFT)

extern char __load_start[], __bss_end[];

static uint64_t freemap[NPAGES / 64];
static uint64_t hint, nfree;

static void set_free(uint64_t pfn, bool free)
{
	uint64_t bit = 1ull << (pfn & 63);
	bool was = freemap[pfn / 64] & bit;

	if (free == was)
		return;
	freemap[pfn / 64] ^= bit;
	nfree += free ? 1 : -1;
}

static void mark(uint64_t lo, uint64_t hi, bool free)
{
	if (lo >= HV_MAX_PHYS)
		return;
	if (hi > HV_MAX_PHYS)
		hi = HV_MAX_PHYS;
	for (uint64_t pfn = lo >> PAGE_SHIFT; pfn < hi >> PAGE_SHIFT; pfn++)
		set_free(pfn, free);
}

void page_alloc_init(const struct boot_params *bp)
{
	for (unsigned i = 0; i < bp->nram; i++) {
		const struct boot_region *r = &bp->ram[i];
		mark(ALIGN_UP(r->base, PAGE_SIZE), (r->base + r->len) & ~(PAGE_SIZE - 1), true);
		if (r->base + r->len > HV_MAX_PHYS)
			printf("hv: RAM above %lu GiB is not used\n", HV_MAX_PHYS >> 30);
	}
	mark(0, 1ull << 20, false);
	mark((uint64_t)__load_start, ALIGN_UP((uint64_t)__bss_end, PAGE_SIZE), false);
	for (unsigned i = 0; i < bp->nmod; i++)
		mark(bp->mod[i].start & ~(PAGE_SIZE - 1), ALIGN_UP(bp->mod[i].end, PAGE_SIZE), false);
}

uint64_t page_alloc(void)
{
	for (uint64_t n = 0; n < NPAGES / 64; n++) {
		uint64_t w = (hint + n) % (NPAGES / 64);
		if (!freemap[w])
			continue;
		uint64_t pfn = w * 64 + (uint64_t)__builtin_ctzll(freemap[w]);
		set_free(pfn, false);
		hint = w;
		memset(phys_to_virt(pfn << PAGE_SHIFT), 0, PAGE_SIZE);
		return pfn << PAGE_SHIFT;
	}
	return 0;
}

static bool is_free(uint64_t pfn)
{
	return freemap[pfn / 64] >> (pfn & 63) & 1;
}

uint64_t pages_alloc_contig(uint64_t n)
{
	for (uint64_t start = 0, run = 0, pfn = 0; n && pfn < NPAGES; pfn++) {
		run = is_free(pfn) ? run + 1 : 0;
		start = run == 1 ? pfn : start;
		if (run < n)
			continue;
		for (uint64_t p = start; p < start + n; p++)
			set_free(p, false);
		memset(phys_to_virt(start << PAGE_SHIFT), 0, n << PAGE_SHIFT);
		return start << PAGE_SHIFT;
	}
	return 0;
}

void page_free(uint64_t pa)
{
	set_free(pa >> PAGE_SHIFT, true);
}

uint64_t pages_free(void)
{
	return nfree;
}
