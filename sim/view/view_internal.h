/* The view's state, shared by view.c (the session's side) and window.c (the window's). */
#ifndef HVSIM_SIM_VIEW_VIEW_INTERNAL_H
#define HVSIM_SIM_VIEW_VIEW_INTERNAL_H

#include <SDL.h>

#include "sim/view/canvas.h"
#include "sim/view/console.h"
#include "sim/view/exitwatch.h"
#include "sim/view/pagestate.h"
#include "sim/view/render.h"
#include "sim/view/view.h"

#define VIEW_PATH_MAX 4096

struct view {
	struct view_config cfg;
	struct canvas canvas;
	bool failed; /* a file could not be written */

	/* the run being watched */
	struct machine *m;
	enum mig_tracker tracker;
	const struct mig_run *runs[MIG_TRACKER_COUNT]; /* the session's, this run last */
	unsigned nruns;
	struct exit_watch watch;
	void (*sink)(void *ctx, uint8_t byte); /* the session's COM1 sink, which the view feeds */
	void *sink_ctx;
	struct pagestate ps;
	struct exit_series exits;
	struct console console;
	uint64_t vtime; /* when the picture was taken */

	/* the window (--view) */
	SDL_Window *window;
	struct machine_observer observer;
	bool paused, step, quit;
	uint64_t ppc, first; /* the grid's zoom (render.h, struct view_model) */
	int cell;
	struct grid_geom grid;
	uint32_t last_frame; /* SDL_GetTicks(): frame pacing only, never the run's business */
};

void view_model(const struct view *v, struct view_model *vm, const char *status);
/* Write the canvas to 'name'; false after a line on stderr naming 'opt'. */
bool view_write_png(struct view *v, const char *name, const struct grid_geom *g, const char *opt);

bool window_open(struct view *v, char *err, size_t n);
void window_close(struct view *v);
/* The observer's tick: draw now and then, handle keys, block while paused. */
bool window_tick(void *ctx, struct machine *m);
void window_run_ended(struct view *v);
/* After the last run: show the end until q (or save --view-screenshot and return). */
void window_hold(struct view *v);

#endif
