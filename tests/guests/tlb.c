/*
 * TLB semantics a kernel relies on (SDM Vol. 3, 4.10 "Caching Translation Information"):
 *   - after a PTE changes, the CPU MAY keep using the old translation until it is invalidated
 *     (4.10.4.4): such reads are printed as INFO, never checked;
 *   - INVLPG invalidates the page's TLB entries, global or not, and every paging-structure cache
 *     entry (4.10.4.1); MOV to CR3 invalidates all non-global entries; a MOV to CR4 that changes
 *     PGE invalidates all entries, global ones included (4.10.4.1);
 *   - a not-present entry is never cached, so setting P needs no invalidation (4.10.4.3);
 *   - A is set in every entry a walk uses, D in the entry that maps the page on the first write,
 *     and only on a write (4.8 "Accessed and Dirty Flags").
 */
#include "traps.h"
#include "workload.h"

#define CR4_PGE (1ull << 7)

#define SLOTS 0x40000000ull /* PDPT[1]: PD[0] -> pt (4K pages), PD[1] a 2M page */
#define VA_X (SLOTS + 0x0000)
#define VA_G (SLOTS + 0x1000) /* global */
#define VA_D (SLOTS + 0x2000) /* accessed/dirty */
#define VA_NP (SLOTS + 0x3000) /* not present, then present */
#define VA_2M (SLOTS + 0x200000)
#define PA_2M 0x800000ull /* 8 MiB: free RAM above the image */

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint64_t pt2[512] __attribute__((aligned(4096)));
static uint64_t page_a[512] __attribute__((aligned(4096)));
static uint64_t page_b[512] __attribute__((aligned(4096)));
static uint64_t page_c[512] __attribute__((aligned(4096)));
static unsigned failures, checks;

#define MARK_A 0xaaaaaaaaaaaaaaaaull
#define MARK_B 0xbbbbbbbbbbbbbbbbull
#define MARK_C 0xccccccccccccccccull

static void expect_eq(const char *what, uint64_t got, uint64_t want)
{
	checks++;
	if (got == want) {
		printk("PASS %s\n", what);
		return;
	}
	failures++;
	printk("FAIL %s: got %#lx, expected %#lx\n", what, got, want);
}

static const char *mark_name(uint64_t v)
{
	return v == MARK_A ? "A" : v == MARK_B ? "B" : v == MARK_C ? "C" : "?";
}

/* A read the SDM allows to see either translation: reported, not checked. */
static void may_see(const char *what, uint64_t got)
{
	printk("INFO %s: the read saw page %s\n", what, mark_name(got));
}

static uint64_t peek(uint64_t va)
{
	return *(volatile uint64_t *)va;
}

static void poke(uint64_t va, uint64_t v)
{
	*(volatile uint64_t *)va = v;
}

static void setup_paging(void)
{
	page_a[0] = MARK_A;
	page_b[0] = MARK_B;
	page_c[0] = MARK_C;
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW;
	pdpt[0] = 0 | PTE_P | PTE_RW | PTE_PS; /* identity map of 1 GiB, not global */
	pdpt[1] = (uint64_t)pd | PTE_P | PTE_RW;
	pd[0] = (uint64_t)pt | PTE_P | PTE_RW;
	pt2[0] = (uint64_t)page_c | PTE_P | PTE_RW;
	write_cr3((uint64_t)pml4);
}

static void invlpg_and_cr3(void)
{
	pt[0] = (uint64_t)page_a | PTE_P | PTE_RW;
	invlpg(VA_X);
	expect_eq("X maps A", peek(VA_X), MARK_A);
	pt[0] = (uint64_t)page_b | PTE_P | PTE_RW;
	may_see("PTE changed to B, no invalidation", peek(VA_X));
	invlpg(VA_X);
	expect_eq("after INVLPG X the new translation (B) is used", peek(VA_X), MARK_B);

	pt[0] = (uint64_t)page_a | PTE_P | PTE_RW;
	may_see("PTE changed back to A, no invalidation", peek(VA_X));
	write_cr3(read_cr3());
	expect_eq("after MOV CR3 (same value) a non-global change (A) is seen", peek(VA_X), MARK_A);

	/* INVLPG empties every paging-structure cache, whatever address it names (4.10.4.1). */
	pd[0] = (uint64_t)pt2 | PTE_P | PTE_RW;
	may_see("PDE changed to another page table, no invalidation", peek(VA_X));
	invlpg(VA_X);
	expect_eq("after INVLPG the new PDE's table (C) is used", peek(VA_X), MARK_C);
	pd[0] = (uint64_t)pt | PTE_P | PTE_RW;
	invlpg(VA_X);
	expect_eq("PDE restored, INVLPG: A again", peek(VA_X), MARK_A);
}

static void global_pages(void)
{
	uint64_t cr4 = read_cr4();

	write_cr4(cr4 | CR4_PGE);
	pt[1] = (uint64_t)page_a | PTE_P | PTE_RW | PTE_G;
	invlpg(VA_G);
	expect_eq("global page maps A", peek(VA_G), MARK_A);
	pt[1] = (uint64_t)page_b | PTE_P | PTE_RW | PTE_G;
	write_cr3(read_cr3());
	/* MOV CR3 need not flush a global entry, and may: either read is allowed. */
	may_see("global PTE changed to B, then MOV CR3", peek(VA_G));
	invlpg(VA_G);
	expect_eq("after INVLPG a global page's change (B) is seen", peek(VA_G), MARK_B);

	pt[1] = (uint64_t)page_a | PTE_P | PTE_RW | PTE_G;
	may_see("global PTE changed to A, no invalidation", peek(VA_G));
	write_cr4(cr4 & ~CR4_PGE);
	expect_eq("after clearing CR4.PGE the change (A) is seen", peek(VA_G), MARK_A);
	pt[1] = (uint64_t)page_b | PTE_P | PTE_RW | PTE_G;
	may_see("PTE changed to B with PGE clear, no invalidation", peek(VA_G));
	write_cr4(cr4 | CR4_PGE);
	expect_eq("after setting CR4.PGE the change (B) is seen", peek(VA_G), MARK_B);
	write_cr4(cr4);
}

static void not_present_is_not_cached(void)
{
	pt[3] = 0;
	invlpg(VA_NP);
	expect_eq("a read of a not-present page faults", probe_read((void *)VA_NP), true);
	expect_eq("... with #PF", last_trap.vector, 14);
	pt[3] = (uint64_t)page_c | PTE_P | PTE_RW;
	expect_eq("P set, no invalidation: the read succeeds", probe_read((void *)VA_NP), false);
	expect_eq("... and sees the page (C)", peek(VA_NP), MARK_C);
}

static void accessed_dirty(void)
{
	pt[2] = (uint64_t)page_c | PTE_P | PTE_RW;
	pd[0] &= ~PTE_A;
	invlpg(VA_D);
	(void)peek(VA_D);
	expect_eq("a read sets A in the PTE", pt[2] & PTE_A, PTE_A);
	expect_eq("a read sets A in the PDE it used", pd[0] & PTE_A, PTE_A);
	expect_eq("a read leaves D clear", pt[2] & PTE_D, 0);
	/* The TLB now holds the page from a read with D = 0: the write must still set D. */
	poke(VA_D + 8, 1);
	expect_eq("a write after a read sets D", pt[2] & PTE_D, PTE_D);

	pt[2] &= ~(PTE_A | PTE_D);
	invlpg(VA_D);
	poke(VA_D + 8, 2);
	expect_eq("D cleared and invalidated: the next write sets D again", pt[2] & PTE_D, PTE_D);
	expect_eq("... and A", pt[2] & PTE_A, PTE_A);

	/* A 2M page: the PDE is the entry that maps the page, so it gets D (4.8). */
	pd[1] = PA_2M | PTE_P | PTE_RW | PTE_PS;
	invlpg(VA_2M);
	(void)peek(VA_2M + 0x1234 * 8);
	expect_eq("2M page: a read sets A in the PDE", pd[1] & PTE_A, PTE_A);
	expect_eq("2M page: a read leaves D clear", pd[1] & PTE_D, 0);
	poke(VA_2M + 0x1234 * 8, 3);
	expect_eq("2M page: a write sets D in the PDE", pd[1] & PTE_D, PTE_D);
}

static void tlb_main(void)
{
	traps_init();
	setup_paging();
	invlpg_and_cr3();
	global_pages();
	not_present_is_not_cached();
	accessed_dirty();
	if (failures)
		workload_report(RESULT_FAILURE, "%u of %u checks failed", failures, checks);
	printk("%u checks passed\n", checks);
}

WORKLOAD("TLB invalidation (INVLPG, MOV CR3, CR4.PGE) and A/D flags", tlb_main);
