/*
 * ptstress: a page-table-heavy guest. It builds its own 4-level page tables, switches CR3 to them
 * and keeps mapping, unmapping and remapping a pool of 4K pages into a window of linear addresses,
 * touching the pages through the new mappings so the CPU sets A and D in its PTEs (under EPT with
 * A/D, those updates are guest-physical writes to the page-table pages: dirty logging must see
 * them). It invalidates exactly as the SDM requires and checks what it reads back, the A/D flags
 * and the faults of unmapped slots; at the end it checks every pool page (lib/pagever.h, shared
 * with memstress) and every PTE against its own record. CPL 0 only: a PV guest reports SKIP.
 *
 * Options (key=value words; numbers take k/M/G suffixes, 2^10/2^20/2^30):
 *   pool=4M             bytes of pool pages (rounded up to 4K pages)
 *   slots=2048          4K slots in the window (rounded up to whole page tables of 512)
 *   ops=20000           operations to run
 *   seed=1              seeds the PRNG (SplitMix64) and the page contents
 *   yield=1M            under hv, HC_YIELD at most once per this many TSC ticks (0: never)
 *   selftest-corrupt=0  1: before the final check, flip one byte of the pool page written last,
 *                       which proves the checker: the run must then report FAILURE
 *
 * Page tables: PML4[0] identity-maps [0, 4 GiB) with 2M pages (code, data, stack, the pool and the
 * tables themselves); PML4[1] holds the window at 512 GiB: one PDPT, one PD, one PT per 512 slots.
 * Each operation (weights in the table below) picks its targets with the PRNG:
 *   map      put a pool page in a slot (taking it from the slot that held it, which is cleared
 *            and invalidated). Not present -> present needs no invalidation (SDM Vol. 3,
 *            4.10.4.3); a present slot gets the new PTE, then INVLPG (4.10.4.1). The page is
 *            read back through the slot at once: a stale translation would show the old page
 *   unmap    clear a slot's PTE, INVLPG; now and then check that a read faults (#PF, P = 0,
 *            CR2 = the address)
 *   read     check a pool page through its slot (or the identity map when it has none); the
 *            slot's PTE must then have A set (4.8)
 *   write    write a pool page's next version the same way; the PTE must then have A and D
 *   age      clear A and D in a slot's PTE, INVLPG (as an OS ages pages)
 *   flush    clear up to 8 slots' PTEs, then one MOV to CR3 for all (4.10.4.1)
 *   ptmove   copy one page table to a spare page, point the PDE at the copy, MOV to CR3
 * Output (deterministic): the configuration, the count of each operation, then "verified N pages"
 * and "checked N PTEs".
 */
#include "args.h"
#include "hypercall.h"
#include "mem.h"
#include "pagever.h"
#include "prng.h"
#include "traps.h"
#include "workload.h"

#define PF_VECTOR 14

#define WINDOW (1ull << 39)   /* PML4 entry 1 */
#define IDENTITY_GIB 4
#define PT_ENTRIES 512
#define NO_SLOT UINT32_MAX
#define FLUSH_BATCH 8
#define PROBE_EVERY 4         /* unmaps between fault checks */

static struct {
	uint64_t pool, slots, ops, seed, yield, corrupt;
} opt = { .pool = 4 << 20, .slots = 2048, .ops = 20000, .seed = 1, .yield = 1 << 20 };

static const struct arg_spec specs[] = {
	{ "pool", ARG_NUM, &opt.pool, PAGE_SIZE, 1ull << 32, NULL, "bytes of pool pages" },
	{ "slots", ARG_NUM, &opt.slots, 1, PT_ENTRIES * PT_ENTRIES, NULL, "4K slots in the window" },
	{ "ops", ARG_NUM, &opt.ops, 0, UINT32_MAX, NULL, "operations to run" }, /* 32-bit page versions */
	{ "seed", ARG_NUM, &opt.seed, 0, UINT64_MAX, NULL, "PRNG seed" },
	{ "yield", ARG_NUM, &opt.yield, 0, UINT64_MAX, NULL, "TSC ticks between HC_YIELDs under hv" },
	{ "selftest-corrupt", ARG_NUM, &opt.corrupt, 0, 1, NULL, "1: corrupt a page before the check" },
};

static struct {
	struct pagever pv;
	uint64_t *pml4, *pd_window, *spare_pt;
	uint32_t *slot_page, *page_slot; /* the mapping as this program made it */
	uint64_t slots, tables, writes, unmaps;
	struct prng prng;
} st;

static void *zeroed_pages(uint64_t bytes)
{
	void *p = mem_alloc_pages(bytes);
	if (!p)
		workload_report(RESULT_ERROR, "out of free RAM (%lu bytes short); lower pool= or slots=",
				bytes - mem_free_bytes());
	return memset(p, 0, bytes);
}

static void reload_cr3(void)
{
	write_cr3(read_cr3());
}

static uint64_t *pte(uint64_t slot)
{
	return (uint64_t *)(st.pd_window[slot / PT_ENTRIES] & PTE_ADDR) + slot % PT_ENTRIES;
}

static volatile uint64_t *slot_va(uint64_t slot)
{
	return (volatile uint64_t *)(WINDOW + slot * PAGE_SIZE);
}

static volatile uint64_t *page_identity(uint64_t page)
{
	return st.pv.base + page * PAGEVER_WORDS;
}

static void build_tables(void)
{
	uint64_t *pdpt_id = zeroed_pages(PAGE_SIZE), *pdpt_w = zeroed_pages(PAGE_SIZE);

	st.pml4 = zeroed_pages(PAGE_SIZE);
	st.pd_window = zeroed_pages(PAGE_SIZE);
	st.pml4[0] = (uint64_t)pdpt_id | PTE_P | PTE_RW;
	st.pml4[1] = (uint64_t)pdpt_w | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < IDENTITY_GIB; g++) {
		uint64_t *pd = zeroed_pages(PAGE_SIZE);
		pdpt_id[g] = (uint64_t)pd | PTE_P | PTE_RW;
		for (uint64_t i = 0; i < PT_ENTRIES; i++)
			pd[i] = (g << 30 | i << 21) | PTE_P | PTE_RW | PTE_PS;
	}
	pdpt_w[0] = (uint64_t)st.pd_window | PTE_P | PTE_RW;
	for (uint64_t t = 0; t < st.tables; t++)
		st.pd_window[t] = (uint64_t)zeroed_pages(PAGE_SIZE) | PTE_P | PTE_RW;
	st.spare_pt = zeroed_pages(PAGE_SIZE);
}

static void expect_pte_flags(uint64_t slot, uint64_t flags, const char *after)
{
	uint64_t e = *pte(slot);
	if ((e & flags) != flags)
		workload_report(RESULT_FAILURE, "slot %lu: PTE %#lx lacks %s after a %s through it (SDM 4.8)",
				slot, e, flags & PTE_D ? "A and D" : "A", after);
}

static void read_page(uint64_t page)
{
	uint64_t slot = st.page_slot[page], w;

	if (slot == NO_SLOT) {
		if (!pagever_check(&st.pv, page, page_identity(page), &w))
			workload_report(RESULT_FAILURE, "pool page %lu, read through the identity map: word %lu is stale",
					page, w);
		return;
	}
	if (!pagever_check(&st.pv, page, slot_va(slot), &w))
		workload_report(RESULT_FAILURE, "pool page %lu, read through slot %lu: word %lu is stale", page,
				slot, w);
	expect_pte_flags(slot, PTE_A, "read");
}

static void write_page(uint64_t page)
{
	uint64_t slot = st.page_slot[page];
	pagever_write(&st.pv, page, slot == NO_SLOT ? page_identity(page) : slot_va(slot));
	st.writes++;
	if (slot != NO_SLOT)
		expect_pte_flags(slot, PTE_A | PTE_D, "write");
}

/* An unmapped, invalidated slot must fault: not present, at its address (4.10.4.1, 6.15). */
static void expect_fault(uint64_t slot)
{
	volatile uint64_t *va = slot_va(slot);
	if (!probe_read(va))
		workload_report(RESULT_FAILURE, "slot %lu is unmapped and invalidated, but a read did not fault", slot);
	if (last_trap.vector != PF_VECTOR || (last_trap.error & PFEC_P) || last_trap.cr2 != (uint64_t)va)
		workload_report(RESULT_FAILURE, "slot %lu: a read took vector %lu error %#lx cr2 %#lx, not #PF(not present) at %p",
				slot, last_trap.vector, last_trap.error, last_trap.cr2, (void *)va);
}

static void clear_slot(uint64_t slot, bool invalidate)
{
	st.page_slot[st.slot_page[slot]] = NO_SLOT;
	st.slot_page[slot] = NO_SLOT;
	*pte(slot) = 0;
	if (invalidate)
		invlpg((uint64_t)slot_va(slot));
}

static uint64_t random_slot(void)
{
	return prng_below(&st.prng, st.slots);
}

static uint64_t random_page(void)
{
	return prng_below(&st.prng, st.pv.pages);
}

static void op_map(void)
{
	uint64_t slot = random_slot(), page = random_page();
	uint64_t old = st.slot_page[slot];

	if (st.page_slot[page] == slot) {
		read_page(page);
		return;
	}
	if (st.page_slot[page] != NO_SLOT)
		clear_slot(st.page_slot[page], true);
	*pte(slot) = (uint64_t)page_identity(page) | PTE_P | PTE_RW;
	if (old != NO_SLOT) {
		st.page_slot[old] = NO_SLOT;
		invlpg((uint64_t)slot_va(slot));
	}
	st.slot_page[slot] = (uint32_t)page;
	st.page_slot[page] = (uint32_t)slot;
	read_page(page);
}

static void op_unmap(void)
{
	uint64_t slot = random_slot();
	if (st.slot_page[slot] == NO_SLOT)
		return;
	clear_slot(slot, true);
	if (++st.unmaps % PROBE_EVERY == 0)
		expect_fault(slot);
}

static void op_read(void)
{
	read_page(random_page());
}

static void op_write(void)
{
	write_page(random_page());
}

static void op_age(void)
{
	uint64_t slot = random_slot();
	if (st.slot_page[slot] == NO_SLOT)
		return;
	*pte(slot) &= ~(PTE_A | PTE_D);
	invlpg((uint64_t)slot_va(slot));
}

static void op_flush(void)
{
	uint64_t slot = 0;
	bool any = false;
	for (unsigned i = 0; i < FLUSH_BATCH; i++) {
		uint64_t s = random_slot();
		if (st.slot_page[s] != NO_SLOT)
			clear_slot(s, false), slot = s, any = true;
	}
	reload_cr3();
	if (any)
		expect_fault(slot);
}

static void op_ptmove(void)
{
	uint64_t t = prng_below(&st.prng, st.tables);
	uint64_t *old = (uint64_t *)(st.pd_window[t] & PTE_ADDR);

	memcpy(st.spare_pt, old, PAGE_SIZE);
	st.pd_window[t] = (uint64_t)st.spare_pt | PTE_P | PTE_RW;
	reload_cr3();
	memset(old, 0, PAGE_SIZE);
	st.spare_pt = old;
}

static const struct op {
	const char *name;
	unsigned weight;
	void (*run)(void);
} ops[] = {
	{ "map", 30, op_map },     { "unmap", 10, op_unmap }, { "read", 20, op_read },
	{ "write", 25, op_write }, { "age", 8, op_age },      { "flush", 4, op_flush },
	{ "ptmove", 3, op_ptmove },
};
#define OP_COUNT (sizeof ops / sizeof ops[0])

static unsigned pick_op(void)
{
	unsigned total = 0, i;
	for (i = 0; i < OP_COUNT; i++)
		total += ops[i].weight;
	uint64_t r = prng_below(&st.prng, total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	return i;
}

static void check_ptes(void)
{
	for (uint64_t s = 0; s < st.slots; s++) {
		uint64_t e = *pte(s), page = st.slot_page[s];
		bool ok = page == NO_SLOT ? e == 0 :
			  (e & (PTE_ADDR | PTE_P | PTE_RW)) == ((uint64_t)page_identity(page) | PTE_P | PTE_RW);
		if (!ok)
			workload_report(RESULT_FAILURE, "slot %lu: PTE %#lx, but the slot %s", s, e,
					page == NO_SLOT ? "is unmapped (and a not-present entry gets no A/D)" :
							  "maps another pool page");
	}
	printk("checked %lu PTEs\n", st.slots);
}

static void ptstress_main(void)
{
	uint64_t count[OP_COUNT] = { 0 };
	struct hv_yield_clock clock;

	workload_parse_args(specs, sizeof specs / sizeof specs[0]);
	if (hv_guest_type() == HV_BOOT_PV)
		workload_report(RESULT_SKIP, "ptstress writes CR3: it needs CPL 0, and a PV guest runs at CPL 3");
	st.tables = (opt.slots + PT_ENTRIES - 1) / PT_ENTRIES;
	st.slots = st.tables * PT_ENTRIES;
	st.prng = prng_seed(opt.seed);
	if (!pagever_init(&st.pv, (opt.pool + PAGE_SIZE - 1) / PAGE_SIZE, opt.seed))
		workload_report(RESULT_ERROR, "pool=%lu does not fit in %lu free bytes", opt.pool, mem_free_bytes());
	st.slot_page = memset(zeroed_pages(st.slots * 4), 0xff, st.slots * 4);
	st.page_slot = memset(zeroed_pages(st.pv.pages * 4), 0xff, st.pv.pages * 4);
	printk("ptstress: %lu pool pages, %lu slots, %lu ops, seed %lu\n", st.pv.pages, st.slots, opt.ops, opt.seed);
	traps_init();
	build_tables();
	uint64_t boot_cr3 = read_cr3();
	write_cr3((uint64_t)st.pml4);
	hv_yield_clock_start(&clock, opt.yield);
	for (uint64_t i = 0; i < opt.ops; i++) {
		unsigned op = pick_op();
		ops[op].run();
		count[op]++;
		hv_yield_if_due(&clock);
	}
	write_cr3(boot_cr3);
	for (unsigned i = 0; i < OP_COUNT; i++)
		printk("%s%s %lu", i ? ", " : "", ops[i].name, count[i]);
	printk("\n");
	check_ptes();
	if (opt.corrupt)
		pagever_corrupt(&st.pv, st.pv.last_page);
	pagever_verify_or_fail(&st.pv, st.writes);
}

WORKLOAD("ptstress: map, unmap and remap pages through the guest's own page tables", ptstress_main);
