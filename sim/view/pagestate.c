/* Page states from EPT leaves, the PML log and hv's records (pagestate.h). */
#include "sim/view/pagestate.h"

#include <stdlib.h>
#include <string.h>

#include "sim/machine.h"
#include "vmx/controls.h"
#include "vmx/vmcs.h"

#define PAGE_SHIFT 12
#define EPT_ENTRIES 512
#define EPT_LEVELS 4

/* An EPT paging-structure entry (SDM Vol. 3, Tables 29-1 to 29-6): only what the view reads. */
typedef union {
	uint64_t raw;
	struct {
		uint64_t r : 1, w : 1, x : 1;
		uint64_t memtype : 3, ignore_pat : 1;
		uint64_t large : 1; /* PDPTE: maps 1G; PDE: maps 2M */
		uint64_t a : 1;     /* 29.3.5, with EPTP bit 6 */
		uint64_t d : 1;     /* leaves only */
		uint64_t : 2;
		uint64_t pfn : 40;
		uint64_t : 12;
	};
} epte_t;
_Static_assert(sizeof(epte_t) == 8, "an EPT entry is 64 bits");

static const char *const state_names[PAGE_STATE_COUNT] = {
	[PAGE_SENT_FINAL] = "sent in stop-and-copy", [PAGE_PML_LOGGED] = "in the PML log",
	[PAGE_DIRTY] = "dirty since harvest", [PAGE_SENT_ROUND] = "sent this round",
	[PAGE_WRITE_PROTECTED] = "write-protected", [PAGE_CLEAN] = "clean",
	[PAGE_UNTRACKED] = "not tracked",
};

const char *page_state_name(enum page_state s)
{
	return s < PAGE_STATE_COUNT ? state_names[s] : "?";
}

static uint64_t words(uint64_t bits) { return (bits + 63) / 64; }
static void bit_set(uint64_t *b, uint64_t n) { b[n / 64] |= 1ull << (n % 64); }
static bool bit_test(const uint64_t *b, uint64_t n) { return b[n / 64] >> (n % 64) & 1; }

bool pagestate_init(struct pagestate *ps, uint64_t npages, enum mig_tracker t, unsigned pml_entries)
{
	uint64_t n = words(npages);

	*ps = (struct pagestate){ .npages = npages, .tracker = t, .pml_entries = pml_entries };
	ps->dirty = calloc(n, 8);
	ps->logged = calloc(n, 8);
	ps->wprot = calloc(n, 8);
	ps->send = calloc(n, 8);
	ps->final = calloc(n, 8);
	if (ps->dirty && ps->logged && ps->wprot && ps->send && ps->final)
		return true;
	pagestate_free(ps);
	return false;
}

void pagestate_free(struct pagestate *ps)
{
	free(ps->dirty);
	free(ps->logged);
	free(ps->wprot);
	free(ps->send);
	free(ps->final);
	ps->dirty = ps->logged = ps->wprot = ps->send = ps->final = NULL;
}

/* ---- sampling ---- */

/* Pages [gfn, gfn + n) are mapped by leaf e. */
static void leaf(struct pagestate *ps, uint64_t gfn, uint64_t n, epte_t e)
{
	bool written = ps->tracker == MIG_TRACKER_WP ? e.w : e.d;

	for (uint64_t p = gfn; p < gfn + n; p++) {
		if (written)
			bit_set(ps->dirty, p);
		if (!e.w)
			bit_set(ps->wprot, p);
	}
}

/* The table at host-physical 'table' maps guest pages from gfn0, each entry 512^(level-1). */
static void walk(struct pagestate *ps, const struct phys *phys, uint64_t table, int level,
		 uint64_t gfn0)
{
	const uint8_t *t = phys_host(phys, table, EPT_ENTRIES * 8);
	uint64_t span = 1ull << (9 * (level - 1));

	if (!t)
		return;
	for (unsigned i = 0; i < EPT_ENTRIES && gfn0 + i * span < ps->npages; i++) {
		epte_t e;
		uint64_t gfn = gfn0 + i * span;
		memcpy(&e.raw, t + 8 * i, 8);
		if (!(e.r | e.w | e.x)) /* not present (SDM 29.3.2) */
			continue;
		if (level == 1 || (level <= 3 && e.large))
			leaf(ps, gfn, span < ps->npages - gfn ? span : ps->npages - gfn, e);
		else
			walk(ps, phys, (uint64_t)e.pfn << PAGE_SHIFT, level - 1, gfn);
	}
}

/* The valid entries of the log: those above the index, up to the top hv loads (29.3.6). */
static void sample_pml(struct pagestate *ps, struct machine *m, const uint8_t *fields)
{
	uint64_t top = ps->pml_entries - 1;

	ps->pml_on = vmcs_load(fields, VMCS_SECONDARY_CONTROLS) & PROC2_ENABLE_PML;
	if (!ps->pml_on)
		return;
	/* In non-root operation the CPU holds the index; it reaches the VMCS at the next exit. */
	ps->pml_index = m->cpu.nonroot && m->vmx.ept_on ? m->vmx.ept.pml_index
							: (uint16_t)vmcs_load(fields, VMCS_PML_INDEX);
	uint64_t first = ps->pml_index > top ? 0 : ps->pml_index + 1ull;
	ps->pml_used = (unsigned)(top + 1 - first);
	uint64_t log = vmcs_load(fields, VMCS_PML_ADDRESS);
	for (uint64_t i = first; i <= top; i++) {
		uint64_t gfn = phys_read64(&m->cpu.phys, log + 8 * i) >> PAGE_SHIFT;
		if (gfn < ps->npages)
			bit_set(ps->logged, gfn);
	}
}

void pagestate_sample(struct pagestate *ps, struct machine *m)
{
	const uint8_t *fields = m->vmx.vmcs_fields;
	uint64_t n = words(ps->npages);

	if (ps->phase != PHASE_ROUNDS || !fields)
		return;
	memset(ps->dirty, 0, n * 8);
	memset(ps->wprot, 0, n * 8);
	memset(ps->logged, 0, n * 8);
	uint64_t eptp = vmcs_load(fields, VMCS_EPT_POINTER);
	walk(ps, &m->cpu.phys, eptp & ~0xfffull & ((1ull << 52) - 1), EPT_LEVELS, 0);
	ps->pml_on = false;
	ps->pml_used = 0;
	if (ps->tracker == MIG_TRACKER_PML)
		sample_pml(ps, m, fields);
	ps->samples++;
}

/* ---- hv's records ---- */

void pagestate_on_record(struct pagestate *ps, struct machine *m, const struct mig_run *run)
{
	uint64_t n = words(ps->npages);

	if (run->have_begin && !ps->seen_begin) {
		ps->seen_begin = true;
		ps->phase = PHASE_ROUNDS;
		memset(ps->send, 0xff, n * 8); /* round 0 sends every page */
		/* hv arms the tracker after the line: the next exit's sample shows it */
	}
	while (ps->seen_rounds < run->nrounds) {
		/*
		 * hv has just harvested, with no guest instruction since the exit it is handling:
		 * what the sample at that exit found written is what the next round sends.
		 */
		memcpy(ps->send, ps->dirty, n * 8);
		ps->round = ++ps->seen_rounds;
		pagestate_sample(ps, m); /* after the harvest: consistent again */
	}
	if (run->have_final && !ps->seen_final) {
		/* The stop-and-copy sends the last round's harvest and its own (migrate.c). */
		ps->seen_final = true;
		for (uint64_t w = 0; w < n; w++)
			ps->final[w] = ps->send[w] | ps->dirty[w];
		ps->phase = PHASE_DONE;
	}
	if (run->have_end && !ps->seen_end) {
		ps->seen_end = true;
		if (!run->have_final)
			ps->phase = PHASE_INCOMPLETE;
	}
}

/* ---- what a page shows ---- */

enum page_state pagestate_of(const struct pagestate *ps, uint64_t p)
{
	switch (ps->phase) {
	case PHASE_WAITING:
		return PAGE_UNTRACKED;
	case PHASE_DONE:
		return bit_test(ps->final, p) ? PAGE_SENT_FINAL : PAGE_CLEAN;
	default:
		break;
	}
	if (bit_test(ps->logged, p))
		return PAGE_PML_LOGGED;
	if (bit_test(ps->dirty, p))
		return PAGE_DIRTY;
	if (bit_test(ps->send, p))
		return PAGE_SENT_ROUND;
	if (ps->tracker == MIG_TRACKER_WP && bit_test(ps->wprot, p))
		return PAGE_WRITE_PROTECTED;
	return PAGE_CLEAN;
}

/* 64 pages from a multiple of 64 that all show the same: no bit set but, maybe, all of wprot. */
static bool uniform_word(const struct pagestate *ps, uint64_t w)
{
	bool done = ps->phase == PHASE_DONE;

	if (ps->phase == PHASE_WAITING)
		return true;
	if (done)
		return ps->final[w] == 0 || ps->final[w] == ~0ull;
	return !ps->logged[w] && !ps->dirty[w] && (ps->send[w] == 0 || ps->send[w] == ~0ull) &&
	       (ps->wprot[w] == 0 || ps->wprot[w] == ~0ull);
}

void pagestate_count(const struct pagestate *ps, uint64_t first, uint64_t n, uint64_t *counts)
{
	uint64_t end = first + n < ps->npages ? first + n : ps->npages;

	for (uint64_t p = first; p < end;) {
		if (p % 64 == 0 && end - p >= 64 && uniform_word(ps, p / 64)) {
			counts[pagestate_of(ps, p)] += 64;
			p += 64;
		} else {
			counts[pagestate_of(ps, p++)]++;
		}
	}
}
