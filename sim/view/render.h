/*
 * The view's picture, drawn from what the view has read (render_view), and the per-round chart
 * (render_rounds). Nothing here looks at a machine: the same model draws the live window and the
 * PNG files.
 */
#ifndef HVSIM_SIM_VIEW_RENDER_H
#define HVSIM_SIM_VIEW_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/migstat.h"
#include "sim/view/canvas.h"
#include "sim/view/console.h"
#include "sim/view/exitwatch.h"
#include "sim/view/pagestate.h"

#define VIEW_W 1280
#define VIEW_H 800
#define CHART_W 960
#define CHART_H 540
#define GRID_MIN_CELL 4  /* pixels: below this a cell's mix cannot be seen */
#define GRID_MAX_CELL 32 /* the largest cells that fitting picks */
#define GRID_ZOOM_CELL 64 /* the largest cells zooming in makes */

/* The legend's colours (README "Seeing it" lists them). */
struct rgb page_state_rgb(enum page_state s);

/* Where the grid is and what it shows: page p is in cell (p - first) / ppc, row-major. */
struct grid_geom {
	int x, y, cols, rows, cell;
	uint64_t first, ppc, npages;
};

/* Pages per cell, a power of two, that fits all of npages into w x h. */
uint64_t grid_fit_ppc(uint64_t npages, int w, int h);
/* Cells of 'cell' pixels (0: the largest that fit the pages from 'first', up to GRID_MAX_CELL). */
void grid_layout(struct grid_geom *g, int x, int y, int w, int h, uint64_t npages, uint64_t ppc,
		 int cell, uint64_t first);

struct view_model {
	const char *title;  /* "hvsim migrate" */
	const char *guest;
	enum mig_tracker tracker;
	const struct pagestate *ps;
	const struct exit_series *exits;
	const struct mig_run *const *runs; /* the session's runs so far, this one last */
	unsigned nruns;
	const struct console *console;
	uint64_t vtime;
	const char *status; /* a line for the header: "paused", ... */
	/* the grid's zoom: pages per cell (0: fit all of memory), cell size (0: fit) and first page */
	uint64_t ppc, first;
	int cell;
};

/* The grid's area in the view (for zooming). */
#define VIEW_GRID_X 12
#define VIEW_GRID_Y 64
#define VIEW_GRID_W 744
#define VIEW_GRID_H 700

void render_view(struct canvas *c, const struct view_model *m, struct grid_geom *g);

/* Where the chart's group brackets are: one run of bracket pixels per group (README "Seeing it"). */
struct chart_geom {
	int x, y, w, h; /* the plot area; the bars stand on its bottom edge */
	int bracket_y;  /* a row with one bracket per group of bars, nothing else */
};

/* A round number at or above v for an axis: 1, 2 or 5 times a power of ten. */
uint64_t chart_nice_max(uint64_t v);

void render_rounds(struct canvas *c, int x, int y, int w, int h, const struct mig_run *const *runs,
		   unsigned n, struct chart_geom *out);
/* The chart alone, CHART_W x CHART_H, with a title: the --png report's second file. */
void render_rounds_report(struct canvas *c, const struct mig_run *const *runs, unsigned n,
			  struct chart_geom *out);

#endif
