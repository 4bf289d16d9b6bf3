/*
 * memstress: dirty a working set at a set rate in virtual time, then check every byte of it. Under
 * hv it is the guest that live migration copies while it runs: a page the migration loses shows
 * up as a bad page at the end.
 *
 * Options (key=value words; numbers take k/M/G suffixes, 2^10/2^20/2^30):
 *   wss=8M              working-set size in bytes, rounded up to 4K pages; it must fit in the free
 *                       RAM above the image (lib/mem.h), or the run reports ERROR
 *   rate=2000           page writes per 1M TSC ticks (0: none), M being 2^20 here as in every
 *                       option value. Under hvsim RDTSC reads virtual time, one tick per retired
 *                       guest instruction, so this is writes per 2^20 guest instructions
 *   duration=32M        length of the write phase in TSC ticks
 *   pattern=hotcold     which page each write goes to:
 *                         seq      pages 0, 1, 2, ... wrapping around at the end of the set
 *                         uniform  uniformly random pages
 *                         hotcold  90% of writes to the hot pages (the first tenth of the set, at
 *                                  least one page), uniformly; the others to the rest, uniformly
 *   seed=1              seeds the PRNG (SplitMix64) and the page contents
 *   yield=1M            under hv, HC_YIELD at most once per this many ticks (0: never)
 *   selftest-corrupt=0  1: before the check, flip one byte of the page written last (page 0 if
 *                       none was), which proves the checker: the run must then report FAILURE
 *                       naming that page
 *
 * The set is filled first (version 0 of every page, lib/pagever.h). The write phase then makes
 * exactly W = floor(duration * rate / 2^20) writes, write k (from 0) not before tick
 * floor(k * 2^20 / rate) of the phase (W must be below 2^32). A guest that falls behind (hv
 * took the time) catches up, so W and the output do not depend on how fast the guest ran; the
 * phase lasts at least 'duration' ticks. Each write stores one 8-byte word of the page and bumps
 * its version. At the end every page is checked against its version: SUCCESS, or FAILURE naming
 * the first bad page (its number in the set, from 0) and the count of bad pages.
 *
 * Output (deterministic: page numbers, never addresses):
 *   memstress: N pages, pattern P, W writes in D ticks, seed S
 *   wrote W pages (U distinct)
 *   verified N pages
 */
#include "args.h"
#include "hypercall.h"
#include "mem.h"
#include "pagever.h"
#include "prng.h"
#include "tsc.h"
#include "workload.h"

#define RATE_SHIFT 20 /* rate counts writes per 2^20 ticks */
#define HOT_PERCENT_OF_PAGES 10
#define HOT_PERCENT_OF_WRITES 90

#define PATTERNS(X) X(seq) X(uniform) X(hotcold)
#define PATTERN_ENUM(name) PATTERN_##name,
#define PATTERN_NAME(name) #name,
enum pattern { PATTERNS(PATTERN_ENUM) };
static const char *const pattern_names[] = { PATTERNS(PATTERN_NAME) NULL };

static struct {
	uint64_t wss, rate, duration, pattern, seed, yield, corrupt;
} opt = { .wss = 8 << 20, .rate = 2000, .duration = 32 << 20, .pattern = PATTERN_hotcold, .seed = 1,
	  .yield = 1 << 20 };

static const struct arg_spec specs[] = {
	{ "wss", ARG_NUM, &opt.wss, PAGE_SIZE, 1ull << 40, NULL, "working-set size in bytes" },
	{ "rate", ARG_NUM, &opt.rate, 0, 1ull << RATE_SHIFT, NULL, "page writes per 1M TSC ticks" },
	{ "duration", ARG_NUM, &opt.duration, 0, 1ull << 40, NULL, "write phase in TSC ticks" },
	{ "pattern", ARG_CHOICE, &opt.pattern, 0, 0, pattern_names, "which pages the writes go to" },
	{ "seed", ARG_NUM, &opt.seed, 0, UINT64_MAX, NULL, "PRNG seed" },
	{ "yield", ARG_NUM, &opt.yield, 0, UINT64_MAX, NULL, "TSC ticks between HC_YIELDs under hv" },
	{ "selftest-corrupt", ARG_NUM, &opt.corrupt, 0, 1, NULL, "1: corrupt a page before the check" },
};

struct picker {
	struct prng prng;
	uint64_t pages, hot;
};

static uint64_t pick_seq(struct picker *p, uint64_t k)
{
	return k % p->pages;
}

static uint64_t pick_uniform(struct picker *p, uint64_t k)
{
	(void)k;
	return prng_below(&p->prng, p->pages);
}

static uint64_t pick_hotcold(struct picker *p, uint64_t k)
{
	(void)k;
	bool hot = prng_below(&p->prng, 100) < HOT_PERCENT_OF_WRITES || p->hot == p->pages;
	return hot ? prng_below(&p->prng, p->hot) : p->hot + prng_below(&p->prng, p->pages - p->hot);
}

#define PATTERN_PICKER(name) pick_##name,
static uint64_t (*const pickers[])(struct picker *, uint64_t) = { PATTERNS(PATTERN_PICKER) };

/* floor(ticks * rate / 2^20), without overflow for the options' ranges. */
static uint64_t writes_in(uint64_t ticks)
{
	uint64_t low = ticks & ((1ull << RATE_SHIFT) - 1);
	return (ticks >> RATE_SHIFT) * opt.rate + ((low * opt.rate) >> RATE_SHIFT);
}

static void write_phase(struct pagever *pv, uint64_t writes)
{
	struct picker picker = { .prng = prng_seed(opt.seed), .pages = pv->pages };
	struct hv_yield_clock clock;
	uint64_t start = rdtsc();

	picker.hot = pv->pages * HOT_PERCENT_OF_PAGES / 100 ? pv->pages * HOT_PERCENT_OF_PAGES / 100 : 1;
	hv_yield_clock_start(&clock, opt.yield);
	for (uint64_t k = 0; k < writes; k++) {
		uint64_t due = (k / opt.rate << RATE_SHIFT) + ((k % opt.rate) << RATE_SHIFT) / opt.rate;
		while (rdtsc() - start < due) {
			hv_yield_if_due(&clock);
			cpu_relax();
		}
		uint64_t page = pickers[opt.pattern](&picker, k);
		pagever_write(pv, page, pv->base + page * PAGEVER_WORDS);
		hv_yield_if_due(&clock);
	}
	while (rdtsc() - start < opt.duration) {
		hv_yield_if_due(&clock);
		cpu_relax();
	}
}

static uint64_t distinct_pages(const struct pagever *pv)
{
	uint64_t n = 0;
	for (uint64_t p = 0; p < pv->pages; p++)
		n += pv->version[p] != 0;
	return n;
}

static void memstress_main(void)
{
	struct pagever pv;

	workload_parse_args(specs, sizeof specs / sizeof specs[0]);
	uint64_t pages = (opt.wss + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t writes = writes_in(opt.duration);
	if (writes > UINT32_MAX) /* page versions are 32-bit */
		workload_report(RESULT_ERROR, "duration * rate asks for %lu writes, more than 2^32 - 1", writes);
	if (!pagever_init(&pv, pages, opt.seed))
		workload_report(RESULT_ERROR, "wss=%lu does not fit: it needs %lu bytes, %lu are free",
				opt.wss, pagever_footprint(pages), mem_free_bytes());
	printk("memstress: %lu pages, pattern %s, %lu writes in %lu ticks, seed %lu\n", pages,
	       pattern_names[opt.pattern], writes, opt.duration, opt.seed);
	write_phase(&pv, writes);
	printk("wrote %lu pages (%lu distinct)\n", writes, distinct_pages(&pv));
	if (opt.corrupt)
		pagever_corrupt(&pv, pv.last_page);
	pagever_verify_or_fail(&pv, writes);
}

WORKLOAD("memstress: dirty a working set at a set rate, then verify it", memstress_main);
