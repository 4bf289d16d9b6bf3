/*
 * The view's life in a session (view.h): what it attaches to each run, and the files it writes.
 * The window's own loop (keys, pausing, frames) is sim/view/window.c.
 */
#include "sim/view/view_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/exitcode.h"
#include "sim/view/png.h"

static int open_error(const struct view_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int open_error(const struct view_config *cfg, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hvsim %s: ", cfg->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

bool view_png_name(char *buf, size_t n, const char *png, const char *suffix)
{
	size_t len = strlen(png);

	if (len >= 4 && !strcasecmp(png + len - 4, ".png"))
		len -= 4;
	return (size_t)snprintf(buf, n, "%.*s-%s.png", (int)len, png, suffix) < n;
}

/* The view file of tracker t's run. */
static bool view_file(const struct view *v, enum mig_tracker t, char *buf, size_t n)
{
	if (!v->cfg.all)
		return (size_t)snprintf(buf, n, "%s", v->cfg.png) < n;
	return view_png_name(buf, n, v->cfg.png, mig_tracker_name(t));
}

static int check_one(const struct view *v, const char *name)
{
	FILE *f = fopen(name, "ab");

	if (!f)
		return open_error(&v->cfg, "'%s': cannot open for writing: %s", name, strerror(errno));
	fclose(f);
	return EXIT_OK;
}

/* Fail before minutes of simulation if a file cannot be created. */
static int check_files(const struct view *v)
{
	char name[VIEW_PATH_MAX];
	int rc = EXIT_OK;

	if (v->cfg.screenshot && (rc = check_one(v, v->cfg.screenshot)))
		return rc;
	if (!v->cfg.png)
		return EXIT_OK;
	for (unsigned t = 0; t < (v->cfg.all ? MIG_TRACKER_COUNT : 1u); t++) {
		if (!view_file(v, (enum mig_tracker)t, name, sizeof name))
			return open_error(&v->cfg, "--png '%s': name too long", v->cfg.png);
		if ((rc = check_one(v, name)))
			return rc;
	}
	if (!view_png_name(name, sizeof name, v->cfg.png, "rounds"))
		return open_error(&v->cfg, "--png '%s': name too long", v->cfg.png);
	return check_one(v, name);
}

int view_open(struct view **out, const struct view_config *cfg)
{
	struct view *v = calloc(1, sizeof *v);
	char err[300];
	int rc;

	*out = NULL;
	if (!v) {
		fprintf(stderr, "hvsim %s: out of memory for the view\n", cfg->cmd);
		return EXIT_USAGE;
	}
	v->cfg = *cfg;
	if ((rc = check_files(v)) != EXIT_OK) {
		free(v);
		return rc;
	}
	if (!canvas_init(&v->canvas, VIEW_W, VIEW_H, err, sizeof err)) {
		free(v);
		return open_error(cfg, "--view/--png: %s", err);
	}
	if (cfg->window && !window_open(v, err, sizeof err)) {
		view_close(v);
		return open_error(cfg, "--view: %s", err);
	}
	exit_series_init(&v->exits);
	*out = v;
	return EXIT_OK;
}

/* ---- one run ---- */

static void on_exit_seen(void *ctx, unsigned reason)
{
	struct view *v = ctx;

	exit_series_add(&v->exits, v->m->cpu.vtime, reason);
	/* Exits that only feed a tracker never precede a harvest: not worth a look at every page. */
	if (reason != EXIT_EPT_VIOLATION && reason != EXIT_EPT_MISCONFIG && reason != EXIT_PML_FULL)
		pagestate_sample(&v->ps, v->m);
}

/* COM1: the session's sink gets every byte first, then the view reads what it parsed. */
static void on_com1(void *ctx, uint8_t byte)
{
	struct view *v = ctx;

	v->sink(v->sink_ctx, byte);
	console_byte(&v->console, byte);
	if (byte == '\n')
		pagestate_on_record(&v->ps, v->m, v->runs[v->nruns - 1]);
}

int view_attach(struct view *v, struct machine *m, enum mig_tracker t, const struct mig_run *run)
{
	pagestate_free(&v->ps); /* the last run's: the window showed it until now */
	if (!pagestate_init(&v->ps, v->cfg.guest_pages, t, v->cfg.pml_entries)) {
		fprintf(stderr, "hvsim %s: out of memory for the view's page states\n", v->cfg.cmd);
		return EXIT_USAGE;
	}
	assert(v->nruns < MIG_TRACKER_COUNT); /* a session runs each tracker at most once */
	v->m = m;
	v->tracker = t;
	v->runs[v->nruns++] = run;
	exit_series_init(&v->exits);
	console_reset(&v->console);
	v->sink = m->platform.com1.sink;
	v->sink_ctx = m->platform.com1.sink_ctx;
	m->platform.com1.sink = on_com1;
	m->platform.com1.sink_ctx = v;
	exit_watch_start(&v->watch, &m->cpu, on_exit_seen, v);
	if (v->window) {
		v->observer = (struct machine_observer){ .ctx = v, .period = VIEW_QUANTUM, .tick = window_tick };
		m->observer = &v->observer;
	}
	return EXIT_OK;
}

void view_model(const struct view *v, struct view_model *vm, const char *status)
{
	*vm = (struct view_model){
		.title = v->cfg.cmd, .guest = v->cfg.guest, .tracker = v->tracker, .ps = &v->ps,
		.exits = &v->exits, .runs = v->runs, .nruns = v->nruns, .console = &v->console,
		.vtime = v->vtime, .status = status, .ppc = v->ppc, .first = v->first,
		.cell = v->cell,
	};
}

/* The canvas as a PNG file, with where its grid is (README "Seeing it": "hvsim-grid"). */
bool view_write_png(struct view *v, const char *name, const struct grid_geom *g, const char *opt)
{
	char notes[200], err[300];

	snprintf(notes, sizeof notes, "x=%d y=%d cols=%d rows=%d cell=%d first=%llu pages_per_cell=%llu "
		 "pages=%llu", g->x, g->y, g->cols, g->rows, g->cell, (unsigned long long)g->first,
		 (unsigned long long)g->ppc, (unsigned long long)g->npages);
	const struct png_note note[] = { { "hvsim-grid", notes }, { "Software", "hvsim" } };
	if (png_write_surface(name, v->canvas.surface, note, 2, err, sizeof err))
		return true;
	fprintf(stderr, "hvsim %s: %s: %s\n", v->cfg.cmd, opt, err);
	v->failed = true;
	return false;
}

static void write_run_png(struct view *v)
{
	char name[VIEW_PATH_MAX];
	struct view_model vm;
	struct grid_geom g;

	if (!v->cfg.png || !view_file(v, v->tracker, name, sizeof name))
		return;
	view_model(v, &vm, "end of the run");
	vm.ppc = 0; /* the report shows all of memory */
	vm.first = 0;
	vm.cell = 0;
	render_view(&v->canvas, &vm, &g);
	view_write_png(v, name, &g, "--png");
}

void view_detach(struct view *v, struct machine *m)
{
	exit_watch_stop(&v->watch);
	m->platform.com1.sink = v->sink;
	m->platform.com1.sink_ctx = v->sink_ctx;
	if (m->observer == &v->observer)
		m->observer = NULL;
	v->vtime = m->cpu.vtime;
	pagestate_on_record(&v->ps, m, v->runs[v->nruns - 1]); /* a last line without its newline */
	if (m->cpu.nonroot)
		pagestate_sample(&v->ps, m); /* stopped while the guest ran: hv is not half-way */
	v->m = NULL;
	write_run_png(v);
	if (v->window)
		window_run_ended(v);
}

/* ---- the end ---- */

static void write_chart(struct view *v, const struct mig_run *const *runs, unsigned n)
{
	char name[VIEW_PATH_MAX], notes[160], err[300];
	struct canvas c;
	struct chart_geom g;

	if (!v->cfg.png || !view_png_name(name, sizeof name, v->cfg.png, "rounds"))
		return;
	if (!canvas_init(&c, CHART_W, CHART_H, err, sizeof err)) {
		fprintf(stderr, "hvsim %s: --png: %s\n", v->cfg.cmd, err);
		v->failed = true;
		return;
	}
	render_rounds_report(&c, runs, n, &g);
	snprintf(notes, sizeof notes, "x=%d y=%d w=%d h=%d bracket_y=%d", g.x, g.y, g.w, g.h, g.bracket_y);
	const struct png_note note[] = { { "hvsim-chart", notes }, { "Software", "hvsim" } };
	if (!png_write_surface(name, c.surface, note, 2, err, sizeof err)) {
		fprintf(stderr, "hvsim %s: --png: %s\n", v->cfg.cmd, err);
		v->failed = true;
	}
	canvas_free(&c);
}

bool view_finish(struct view *v, const struct mig_run *const *runs, unsigned n)
{
	write_chart(v, runs, n);
	if (v->window)
		window_hold(v);
	return !v->failed;
}

void view_close(struct view *v)
{
	if (!v)
		return;
	window_close(v);
	canvas_free(&v->canvas);
	pagestate_free(&v->ps);
	free(v);
}
