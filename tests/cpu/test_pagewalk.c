/* The shared walker: leaf levels, address composition, A/D writes, and translated table reads. */
#include <stdlib.h>
#include <string.h>

#include "cpu/mmu.h"
#include "tests/lib/harness.h"

static uint64_t ram_words[0x6000 / 8];

static void put(uint64_t pa, uint64_t v)
{
	ram_words[pa / 8] = v;
}

struct counter {
	unsigned calls;
	uint64_t offset;
};

static bool shifted(void *opaque, uint64_t addr, bool write, uint64_t *pa)
{
	struct counter *c = opaque;
	(void)write;
	c->calls++;
	*pa = addr - c->offset;
	return true;
}

START_TEST(leaf_sizes_and_offsets)
{
	struct phys phys = phys_layout((uint8_t *)ram_words, sizeof ram_words);
	struct pt_mem mem = { .phys = &phys };
	struct pt_walk w;
	/* va: PML4[0] PDPT[1] PD[2] PT[3] offset 0x456 */
	uint64_t va = (1ull << 30) | (2ull << 21) | (3ull << 12) | 0x456;

	memset(ram_words, 0, sizeof ram_words);
	put(0x1000, 0x2000 | 1);
	put(0x2000 + 8, 0x3000 | 1);
	put(0x3000 + 16, 0x4000 | 1);
	put(0x4000 + 24, 0xabcd000 | 1);
	pt_walk(&ia32e_format_nxe, &mem, 0x1000, va, &w);
	ck_assert_int_eq(w.status, PT_OK);
	ck_assert_int_eq(w.leaf_level, 1);
	ck_assert_uint_eq(w.pa, 0xabcd456);

	/* A 2M page: the PDE's address bits 51:21 plus va bits 20:0. */
	put(0x3000 + 16, 0x40000000 | 0x80 | 1);
	pt_walk(&ia32e_format_nxe, &mem, 0x1000, va, &w);
	ck_assert_int_eq(w.leaf_level, 2);
	ck_assert_uint_eq(w.pa, 0x40000000 | (va & 0x1fffff));

	/* A 1G page. */
	put(0x2000 + 8, 0x80000000ull | 0x80 | 1);
	pt_walk(&ia32e_format_nxe, &mem, 0x1000, va, &w);
	ck_assert_int_eq(w.leaf_level, 3);
	ck_assert_uint_eq(w.pa, 0x80000000ull | (va & 0x3fffffff));

	/* A/D: A on every level used, D only on the leaf. */
	pt_set_accessed_dirty(&ia32e_format_nxe, &mem, &w, true);
	ck_assert_uint_eq(ram_words[0x1000 / 8], 0x2000 | 1 | 0x20);
	ck_assert_uint_eq(ram_words[(0x2000 + 8) / 8], 0x80000000ull | 0x80 | 1 | 0x20 | 0x40);
}
END_TEST

START_TEST(table_reads_are_translated)
{
	struct phys phys = phys_layout((uint8_t *)ram_words, sizeof ram_words);
	struct counter c = { 0, 0x100000 };
	struct pt_mem mem = { .phys = &phys, .translate = shifted, .opaque = &c };
	struct pt_walk w;

	memset(ram_words, 0, sizeof ram_words);
	/* Tables hold "guest-physical" addresses 0x100000 above where they really are. */
	put(0x1000, 0x102000 | 1);
	put(0x2000, 0x103000 | 1);
	put(0x3000, 0x104000 | 1);
	put(0x4000, 0x555000 | 1);
	pt_walk(&ia32e_format_nxe, &mem, 0x101000, 0x123, &w);
	ck_assert_int_eq(w.status, PT_OK);
	ck_assert_uint_eq(c.calls, 4); /* one translation per paging-structure entry read */
	ck_assert_uint_eq(w.pa, 0x555123);
	/* Memory outside RAM reads as all ones: reserved bits set, never a crash. */
	pt_walk(&ia32e_format_nxe, &(struct pt_mem){ .phys = &phys }, 0x7fff000, 0, &w);
	ck_assert_int_eq(w.status, PT_RESERVED);
}
END_TEST

/* Refuses a write to one guest-physical address, like EPT without W; counts writes. */
struct write_guard {
	uint64_t offset, refuse;
	unsigned writes;
};

static bool guarded(void *opaque, uint64_t addr, bool write, uint64_t *pa)
{
	struct write_guard *g = opaque;
	if (write && addr == g->refuse)
		return false;
	g->writes += write;
	*pa = addr - g->offset;
	return true;
}

/*
 * Setting A/D flags writes the paging-structure entries, and those writes are translated as
 * writes (SDM Vol. 3, 29.3.3.2: the CPU's A/D updates to guest paging structures are data
 * writes for EPT): at the entry's untranslated address, only for entries that change; a refusal
 * stops the update there, entries above it keeping their new flags.
 */
START_TEST(accessed_dirty_writes_are_translated)
{
	struct phys phys = phys_layout((uint8_t *)ram_words, sizeof ram_words);
	struct write_guard g = { .offset = 0x100000, .refuse = 0x103000 + 8 };
	struct pt_mem mem = { .phys = &phys, .translate = guarded, .opaque = &g };
	struct pt_walk w;

	memset(ram_words, 0, sizeof ram_words);
	put(0x1000, 0x102000 | 1 | 0x20); /* PML4E: A already set */
	put(0x2000, 0x103000 | 1);
	put(0x3000 + 8, 0x104000 | 1);    /* PDE index 1 */
	put(0x4000, 0x555000 | 1);
	pt_walk(&ia32e_format_nxe, &mem, 0x101000, 1ull << 21, &w);
	ck_assert_int_eq(w.status, PT_OK);
	ck_assert_uint_eq(w.entry_addr[2], 0x103000 + 8);
	ck_assert_uint_eq(w.entry_pa[2], 0x3000 + 8);
	ck_assert(!pt_set_accessed_dirty(&ia32e_format_nxe, &mem, &w, true));
	ck_assert_uint_eq(g.writes, 1);                         /* the PDPTE; not the PML4E */
	ck_assert_uint_eq(ram_words[0x2000 / 8], 0x103000 | 1 | 0x20);
	ck_assert_uint_eq(ram_words[(0x3000 + 8) / 8], 0x104000 | 1); /* refused: unchanged */
	ck_assert_uint_eq(ram_words[0x4000 / 8], 0x555000 | 1);

	g.refuse = 0;
	ck_assert(pt_set_accessed_dirty(&ia32e_format_nxe, &mem, &w, true));
	ck_assert_uint_eq(g.writes, 3);
	ck_assert_uint_eq(ram_words[0x4000 / 8], 0x555000 | 1 | 0x20 | 0x40);
}
END_TEST

Suite *suite_pagewalk(void)
{
	Suite *s = suite_create("cpu/pagewalk");
	TCase *tc = tcase_create("walk");
	tcase_add_test(tc, leaf_sizes_and_offsets);
	tcase_add_test(tc, table_reads_are_translated);
	tcase_add_test(tc, accessed_dirty_writes_are_translated);
	suite_add_tcase(s, tc);
	return s;
}
