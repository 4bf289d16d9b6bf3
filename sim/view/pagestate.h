/*
 * What the view knows about each guest page, and where it learns it. Everything comes from state
 * the simulated hardware holds, read at moments when hv is not half-way through changing it:
 *
 *   - the guest's EPT leaves, reached from EPTP in the current VMCS (SDM Vol. 3, 29.3.2): the D
 *     flag (29.3.5) is "written since the last harvest" for the pml and scan trackers, whose
 *     harvest clears it; W clear is "write-protected" for the wp tracker, and W set again is
 *     "written since the last harvest" (hv gives W back at the first write's EPT violation);
 *   - the page-modification log (29.3.6): the GPAs in entries above the PML index, which the CPU
 *     wrote and hv has not drained yet;
 *   - hv's "@mig" records (sim/migstat.h) for the rounds: "begin" (every page is in round 0's
 *     send set), "round n" (hv has just harvested: the pages it found dirty are the next round's
 *     send set), "final" (the stop-and-copy sent the last harvest).
 *
 * A sample is consistent at a VM exit (the guest has stopped; hv has not run) and in VMX
 * non-root operation (hv is not running). hv harvests only while handling a VMX-preemption
 * timer exit and prints "@mig round" right after, so the sample taken at that exit is exactly
 * the set the harvest finds (hv's own writes into guest memory, which the hardware does not see
 * and hv marks dirty by hand, are the one thing missing). The legend is in README "Seeing it:
 * --view and --png".
 */
#ifndef HVSIM_SIM_VIEW_PAGESTATE_H
#define HVSIM_SIM_VIEW_PAGESTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/migstat.h"

struct machine;

/* In the order a cell shows them, top first; a page's state is the first that applies. */
enum page_state {
	PAGE_SENT_FINAL,      /* sent by the stop-and-copy */
	PAGE_PML_LOGGED,      /* written since the harvest, and its GPA is in the PML log */
	PAGE_DIRTY,           /* written since the harvest (EPT D set; wp: W given back) */
	PAGE_SENT_ROUND,      /* in this round's send set, not written since the harvest */
	PAGE_WRITE_PROTECTED, /* wp: the EPT leaf lacks W, so the next write exits */
	PAGE_CLEAN,           /* tracked, none of the above */
	PAGE_UNTRACKED,       /* no dirty logging: before "@mig begin" */
	PAGE_STATE_COUNT
};
const char *page_state_name(enum page_state s);

enum mig_phase { PHASE_WAITING, PHASE_ROUNDS, PHASE_DONE, PHASE_INCOMPLETE };

struct pagestate {
	uint64_t npages;
	enum mig_tracker tracker;
	unsigned pml_entries; /* the log size hv uses: entries 0..pml_entries-1 */
	enum mig_phase phase;
	unsigned round;       /* the pre-copy round under way */
	/* bitmaps of npages bits */
	uint64_t *dirty, *logged, *wprot, *send, *final;
	/* the PML log at the last sample */
	bool pml_on;
	uint16_t pml_index;
	unsigned pml_used;
	uint64_t samples; /* consistent samples taken */
	/* the records seen so far */
	bool seen_begin, seen_final, seen_end;
	unsigned seen_rounds;
};

bool pagestate_init(struct pagestate *ps, uint64_t npages, enum mig_tracker t,
		    unsigned pml_entries);
void pagestate_free(struct pagestate *ps);

/* Read the EPT leaves and the PML log of the machine's current VMCS (at a consistent moment). */
void pagestate_sample(struct pagestate *ps, struct machine *m);

/* hv's records as the session parsed them, after each complete line: the phase and send sets. */
void pagestate_on_record(struct pagestate *ps, struct machine *m, const struct mig_run *run);

enum page_state pagestate_of(const struct pagestate *ps, uint64_t page);
/* counts[s] += pages of [first, first + n) in state s (pages past the end are not counted). */
void pagestate_count(const struct pagestate *ps, uint64_t first, uint64_t n, uint64_t *counts);

#endif
