/*
 * Seeing dirty logging (hvsim migrate|replay --view / --png): a live SDL2 window and PNG reports
 * of a migration session. The view only reads the machine: EPT leaves, the PML log and VMCS
 * fields at consistent moments (sim/view/pagestate.h), VM exits as they happen (exitwatch.h) and
 * hv's COM1 output, which it passes on unchanged. A run with and without it computes the same.
 * README "Seeing it: --view and --png" is the user's documentation.
 */
#ifndef HVSIM_SIM_VIEW_VIEW_H
#define HVSIM_SIM_VIEW_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/machine.h"
#include "sim/migstat.h"

/* Virtual time between two looks of the live view, and what 's' runs: 0.1 ms at 1 GHz. */
#define VIEW_QUANTUM 100000

struct view_config {
	const char *cmd;        /* "migrate", "replay": for messages and the header */
	const char *guest;
	bool window;            /* --view */
	const char *png;        /* --png FILE, or NULL */
	const char *screenshot; /* --view-screenshot FILE, or NULL */
	bool all;               /* --tracker all: one view file per tracker */
	uint64_t guest_pages;
	unsigned pml_entries;
};

struct view;

/* Check the files, open the window; EXIT_OK, or EXIT_USAGE after one line on stderr. */
int view_open(struct view **out, const struct view_config *cfg);
/* Watch one run: after machine_create (with the session's COM1 sink set), before booting. */
int view_attach(struct view *v, struct machine *m, enum mig_tracker t, const struct mig_run *run);
/* After machine_run and the end of the @mig stream: the last look; writes the run's view file. */
void view_detach(struct view *v, struct machine *m);
/* After every run: the chart file; with a window, wait for q. false if a file failed. */
bool view_finish(struct view *v, const struct mig_run *const *runs, unsigned n);
void view_close(struct view *v);

/*
 * The files --png FILE writes: "view" FILE (FILE-TRACKER.png with --tracker all), "rounds"
 * FILE-rounds.png, where FILE's ".png" suffix, if any, moves to the end. false if too long.
 */
bool view_png_name(char *buf, size_t n, const char *png, const char *suffix);

#endif
