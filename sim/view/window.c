/*
 * The live window (--view): every VIEW_QUANTUM instructions of virtual time the machine stops
 * at the observer's tick; at most FRAME_MS apart in wall-clock time the tick draws a frame and
 * reads the keys. Pausing blocks inside the tick, so virtual time stands still; wall-clock time
 * only paces frames and never reaches the run.
 */
#include <stdio.h>
#include <string.h>

#include "sim/view/view_internal.h"

#define FRAME_MS 50 /* 20 frames a second: enough to watch, cheap next to the run */

bool window_open(struct view *v, char *err, size_t n)
{
	/* Ctrl-C must still end hvsim at once, not become a window event. */
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	/* The view draws in software: no OpenGL context (and driver) behind the window's surface. */
	SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
		snprintf(err, n, "cannot open a window (no display? set DISPLAY, or use --png): %s",
			 SDL_GetError());
		return false;
	}
	v->window = SDL_CreateWindow("hvsim", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, VIEW_W,
				     VIEW_H, 0);
	if (!v->window) {
		snprintf(err, n, "cannot open a window: %s", SDL_GetError());
		SDL_QuitSubSystem(SDL_INIT_VIDEO);
		return false;
	}
	return true;
}

void window_close(struct view *v)
{
	if (!v->window)
		return;
	SDL_DestroyWindow(v->window);
	v->window = NULL;
	SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

static const char *status_text(const struct view *v, bool ended)
{
	if (ended)
		return v->cfg.screenshot ? "finished" : "finished: q closes";
	if (v->paused)
		return "paused: space resumes, s steps";
	return "space pauses, s steps, +/- zoom, q quits";
}

static void present(struct view *v, bool ended)
{
	struct view_model vm;
	char title[96];
	SDL_Surface *dst = SDL_GetWindowSurface(v->window);

	view_model(v, &vm, status_text(v, ended));
	render_view(&v->canvas, &vm, &v->grid);
	if (dst) {
		SDL_BlitSurface(v->canvas.surface, NULL, dst, NULL);
		SDL_UpdateWindowSurface(v->window);
	}
	snprintf(title, sizeof title, "hvsim %s: %s, tracker %s", v->cfg.cmd, v->cfg.guest,
		 mig_tracker_name(v->tracker));
	if (strcmp(title, SDL_GetWindowTitle(v->window))) /* a round trip to the X server */
		SDL_SetWindowTitle(v->window, title);
}

/* ---- keys ---- */

/*
 * Zooming in halves the pages per cell down to one, then doubles the cells' size; zooming out
 * undoes it, back to all of memory at once. A grid that no longer shows every page scrolls.
 */
static void zoom(struct view *v, bool in)
{
	uint64_t fit = grid_fit_ppc(v->ps.npages, VIEW_GRID_W, VIEW_GRID_H);
	uint64_t ppc = v->ppc ? v->ppc : fit;
	struct grid_geom natural;

	if (in && ppc > 1) {
		ppc /= 2;
	} else if (in) {
		v->cell = 2 * v->grid.cell < GRID_ZOOM_CELL ? 2 * v->grid.cell : GRID_ZOOM_CELL;
	} else if (v->cell) {
		grid_layout(&natural, 0, 0, VIEW_GRID_W, VIEW_GRID_H, v->ps.npages, ppc, 0, v->first);
		v->cell = v->cell / 2 > natural.cell ? v->cell / 2 : 0;
	} else if (ppc < fit) {
		ppc *= 2;
	}
	v->ppc = ppc >= fit ? 0 : ppc;
	v->first = v->ppc || v->cell ? v->first / ppc * ppc : 0;
}

/* Scroll by whole rows of the grid as it is drawn now. */
static void scroll(struct view *v, int rows)
{
	uint64_t row = (uint64_t)v->grid.cols * v->grid.ppc;
	uint64_t by = row * (uint64_t)(rows < 0 ? -rows : rows);

	if (!v->ppc && !v->cell)
		return; /* all of memory is in view */
	if (rows < 0)
		v->first = v->first > by ? v->first - by : 0;
	else if (v->first + by < v->ps.npages)
		v->first += by;
}

static void key(struct view *v, SDL_Keycode k)
{
	switch (k) {
	case SDLK_q: case SDLK_ESCAPE: v->quit = true; break;
	case SDLK_SPACE: v->paused = !v->paused; break;
	case SDLK_s: v->step = true; v->paused = false; break;
	case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: zoom(v, true); break;
	case SDLK_MINUS: case SDLK_KP_MINUS: zoom(v, false); break;
	case SDLK_DOWN: scroll(v, 1); break;
	case SDLK_UP: scroll(v, -1); break;
	case SDLK_PAGEDOWN: scroll(v, v->grid.rows); break;
	case SDLK_PAGEUP: scroll(v, -v->grid.rows); break;
	case SDLK_HOME: v->first = 0; break;
	default: break;
	}
}

/* Handle one event; true if the picture should be drawn again. */
static bool event(struct view *v, const SDL_Event *e)
{
	switch (e->type) {
	case SDL_QUIT:
		v->quit = true;
		return false;
	case SDL_KEYDOWN:
		key(v, e->key.keysym.sym);
		return true;
	case SDL_WINDOWEVENT:
		return e->window.event == SDL_WINDOWEVENT_EXPOSED;
	default:
		return false;
	}
}

static void poll_events(struct view *v)
{
	SDL_Event e;

	while (SDL_PollEvent(&e))
		event(v, &e);
}

/* Block until a key lets the run go on (or ends it), drawing what changes. */
static void wait_paused(struct view *v, bool ended)
{
	SDL_Event e;

	present(v, ended);
	while ((v->paused || ended) && !v->quit) {
		if (SDL_WaitEventTimeout(&e, 250) && event(v, &e))
			present(v, ended);
		if (ended && v->step) /* no run left to step */
			v->step = false;
	}
}

bool window_tick(void *ctx, struct machine *m)
{
	struct view *v = ctx;
	uint32_t now = SDL_GetTicks();

	if (!v->step && !SDL_TICKS_PASSED(now, v->last_frame + FRAME_MS))
		return true;
	v->last_frame = now;
	v->vtime = m->cpu.vtime;
	if (m->cpu.nonroot)
		pagestate_sample(&v->ps, m); /* the guest is running: hv is not half-way */
	if (v->step) { /* a quantum has run since 's' */
		v->step = false;
		v->paused = true;
	}
	poll_events(v);
	if (v->paused)
		wait_paused(v, false);
	else
		present(v, false);
	return !v->quit;
}

void window_run_ended(struct view *v)
{
	present(v, false);
}

void window_hold(struct view *v)
{
	if (v->cfg.screenshot) {
		present(v, true);
		view_write_png(v, v->cfg.screenshot, &v->grid, "--view-screenshot");
		return;
	}
	if (!v->quit)
		wait_paused(v, true);
}
