/*
 * A progress bar for long runs (hvsim replay), redrawn in place on one terminal line:
 *
 *   replay [=========>          ]  45%  1234567/2743210 events
 *
 * It is drawn only when the stream is a terminal, so logs, pipes and tests never see it, and the
 * host clock it reads decides only when to redraw, never anything a run prints or computes.
 */
#ifndef HVSIM_SIM_PROGRESS_H
#define HVSIM_SIM_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROGRESS_CELLS_MAX 40 /* bar cells between the brackets, at most */
#define PROGRESS_CELLS_MIN 10 /* fewer would fit: no bar, the figures alone */

struct progress {
	FILE *f;            /* NULL: not drawing */
	const char *label;
	uint64_t total;     /* 0: unknown */
	uint64_t next_draw; /* host monotonic ns */
	unsigned columns;   /* the terminal's width */
	bool drawn;
};

/* Draw on 'f' only if it is a terminal (isatty); total 0: unknown (show a count, no bar). */
void progress_start(struct progress *p, FILE *f, const char *label, uint64_t total);
/* Cheap when called often (every few thousand events): redraws at most ~10 times a second. */
void progress_update(struct progress *p, uint64_t done);
/* Erase the bar (leave the terminal line clean). */
void progress_end(struct progress *p);

/*
 * The line for 'done' of 'total' on a terminal 'columns' wide, without line control: the bar
 * gets what the line leaves, up to PROGRESS_CELLS_MAX cells; cells done are '=', the next '>'.
 * Returns what snprintf would.
 */
int progress_format(char *buf, size_t len, const char *label, uint64_t done, uint64_t total,
		    unsigned columns);

#endif
