/*
 * The view's picture (render.h): the memory grid on the left; on the right the legend, the PML
 * log's fill, VM exits per virtual second by reason, the per-round chart and the console.
 */
#include "sim/view/render.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sim/view/theme.h"

#define RIGHT_X 772
#define RIGHT_W 496

static const struct rgb state_rgb[PAGE_STATE_COUNT] = {
	[PAGE_SENT_FINAL] = { 230, 60, 200 },     /* magenta */
	[PAGE_PML_LOGGED] = { 255, 215, 0 },      /* yellow */
	[PAGE_DIRTY] = { 230, 50, 40 },           /* red */
	[PAGE_SENT_ROUND] = { 40, 180, 90 },      /* green */
	[PAGE_WRITE_PROTECTED] = { 60, 110, 220 }, /* blue */
	[PAGE_CLEAN] = { 72, 76, 86 },            /* grey */
	[PAGE_UNTRACKED] = { 40, 42, 50 },        /* dark grey */
};

struct rgb page_state_rgb(enum page_state s)
{
	return s < PAGE_STATE_COUNT ? state_rgb[s] : THEME_TEXT;
}

/* ---- the grid ---- */

uint64_t grid_fit_ppc(uint64_t npages, int w, int h)
{
	uint64_t cells = (uint64_t)(w / GRID_MIN_CELL) * (uint64_t)(h / GRID_MIN_CELL), ppc = 1;

	while ((npages + ppc - 1) / ppc > cells)
		ppc *= 2;
	return ppc;
}

void grid_layout(struct grid_geom *g, int x, int y, int w, int h, uint64_t npages, uint64_t ppc,
		 int cell, uint64_t first)
{
	uint64_t cells = first < npages ? (npages - first + ppc - 1) / ppc : 1;
	int s = cell ? cell : GRID_MAX_CELL;

	while (!cell && s > GRID_MIN_CELL && (uint64_t)(w / s) * (uint64_t)(h / s) < cells)
		s--;
	*g = (struct grid_geom){ .x = x, .y = y, .cell = s, .cols = w / s, .first = first, .ppc = ppc,
				 .npages = npages };
	uint64_t rows = (cells + (uint64_t)g->cols - 1) / (uint64_t)g->cols;
	g->rows = rows < (uint64_t)(h / s) ? (int)rows : h / s;
}

/*
 * A cell of several pages shows their mix: a band per state, as tall as its share of the pages
 * (largest remainders), and at least a pixel for a state any page is in, so that one dirty page
 * among hundreds still shows.
 */
static void cell_bands(int inner, const uint64_t *counts, uint64_t total, int *h)
{
	uint64_t rem[PAGE_STATE_COUNT];
	int sum = 0;

	for (unsigned s = 0; s < PAGE_STATE_COUNT; s++) {
		h[s] = (int)((uint64_t)inner * counts[s] / total);
		rem[s] = (uint64_t)inner * counts[s] % total;
		sum += h[s];
	}
	for (; sum < inner; sum++) {
		unsigned best = 0;
		for (unsigned s = 1; s < PAGE_STATE_COUNT; s++)
			best = rem[s] > rem[best] ? s : best;
		h[best]++;
		rem[best] = 0;
	}
	for (unsigned s = 0; s < PAGE_STATE_COUNT; s++) {
		unsigned big = 0;
		for (unsigned t = 1; t < PAGE_STATE_COUNT; t++)
			big = h[t] > h[big] ? t : big;
		if (counts[s] && !h[s] && h[big] > 1) {
			h[s] = 1;
			h[big]--;
		}
	}
}

static void draw_cell(struct canvas *c, int x, int y, int s, const uint64_t *counts, uint64_t total)
{
	int inner = s >= 6 ? s - 1 : s, h[PAGE_STATE_COUNT];

	cell_bands(inner, counts, total, h);
	for (unsigned st = 0; st < PAGE_STATE_COUNT; st++) {
		canvas_fill(c, x, y, inner, h[st], state_rgb[st]);
		y += h[st];
	}
}

static void draw_grid(struct canvas *c, const struct pagestate *ps, const struct grid_geom *g)
{
	for (int row = 0; row < g->rows; row++)
		for (int col = 0; col < g->cols; col++) {
			uint64_t first = g->first + ((uint64_t)row * (uint64_t)g->cols + (uint64_t)col) * g->ppc;
			uint64_t counts[PAGE_STATE_COUNT] = { 0 }, total = 0;
			if (first >= ps->npages)
				return;
			pagestate_count(ps, first, g->ppc, counts);
			for (unsigned s = 0; s < PAGE_STATE_COUNT; s++)
				total += counts[s];
			draw_cell(c, g->x + col * g->cell, g->y + row * g->cell, g->cell, counts, total);
		}
}

static void grid_caption(struct canvas *c, const struct pagestate *ps, const struct grid_geom *g)
{
	uint64_t shown = (uint64_t)g->rows * (uint64_t)g->cols * g->ppc, last = g->first + shown;

	last = last < ps->npages ? last : ps->npages;
	canvas_text(c, VIEW_GRID_X, VIEW_GRID_Y - c->line - 4, THEME_DIM,
		    "guest-physical memory: %llu pages (%llu MiB); %llu page%s per cell; pages %llu-%llu",
		    (unsigned long long)ps->npages, (unsigned long long)(ps->npages >> 8),
		    (unsigned long long)g->ppc, g->ppc == 1 ? "" : "s", (unsigned long long)g->first,
		    (unsigned long long)(last - 1));
}

/* ---- the header ---- */

static const char *phase_text(const struct pagestate *ps, char *buf, size_t n)
{
	switch (ps->phase) {
	case PHASE_WAITING:
		return "waiting for the migration to begin";
	case PHASE_ROUNDS:
		snprintf(buf, n, "pre-copy round %u", ps->round);
		return buf;
	case PHASE_DONE:
		return "stop-and-copy done: the guest runs on the destination";
	default:
		return "the guest ended before the migration finished";
	}
}

static void header(struct canvas *c, const struct view_model *m)
{
	char phase[48];
	int x = 12;

	x += canvas_title(c, x, 10, THEME_TEXT, "hvsim %s: tracker %s, guest %s", m->title,
			  mig_tracker_name(m->tracker), m->guest);
	canvas_text(c, x + 24, 13, THEME_ACCENT, "%s", phase_text(m->ps, phase, sizeof phase));
}

/* The bottom line: when the picture was taken, and what the keys do. */
static void status_bar(struct canvas *c, const struct view_model *m)
{
	int y = VIEW_GRID_Y + VIEW_GRID_H + 10;
	int x = VIEW_GRID_X + canvas_text(c, VIEW_GRID_X, y, THEME_DIM, "virtual time %.6f s",
					   (double)m->vtime / MIG_TICKS_PER_SECOND);

	if (m->status && *m->status)
		canvas_text(c, x + 24, y, THEME_TEXT, "%s", m->status);
}

/* ---- the right column ---- */

static int legend(struct canvas *c, const struct pagestate *ps, int y)
{
	uint64_t counts[PAGE_STATE_COUNT] = { 0 };

	pagestate_count(ps, 0, ps->npages, counts);
	canvas_text(c, RIGHT_X, y, THEME_TEXT, "pages by state");
	y += c->line + 2;
	for (unsigned s = 0; s < PAGE_STATE_COUNT; s++) {
		canvas_fill(c, RIGHT_X, y + 2, 12, 12, state_rgb[s]);
		canvas_text(c, RIGHT_X + 20, y, THEME_DIM, "%-22s %8llu", page_state_name(s),
			    (unsigned long long)counts[s]);
		y += c->line;
	}
	return y;
}

static int pml_gauge(struct canvas *c, const struct pagestate *ps, int y)
{
	int w = RIGHT_W - 8;

	if (ps->tracker != MIG_TRACKER_PML || !ps->pml_on) {
		canvas_text(c, RIGHT_X, y, THEME_TEXT, "PML log: not in use%s",
			    ps->tracker == MIG_TRACKER_PML ? "" : " by this tracker");
		return y + c->line + 20;
	}
	canvas_text(c, RIGHT_X, y, THEME_TEXT, "PML log: %u of %u entries used (PML index %u)",
		    ps->pml_used, ps->pml_entries, ps->pml_index);
	y += c->line + 2;
	canvas_frame(c, RIGHT_X, y, w, 14, THEME_RULE);
	canvas_fill(c, RIGHT_X + 1, y + 1, (int)((int64_t)(w - 2) * ps->pml_used / ps->pml_entries), 12,
		    state_rgb[PAGE_PML_LOGGED]);
	return y + 20;
}

/* ---- VM exits per virtual second ---- */

static const char *const reason_names[EXIT_REASON_LIMIT] = {
#define EXIT_REASON(name, n, text) [n] = #name,
#include "vmx/exit_reasons.def"
#undef EXIT_REASON
};

static const struct rgb reason_palette[] = {
	{ 120, 160, 220 }, { 240, 110, 80 }, { 250, 210, 60 }, { 90, 200, 140 },
	{ 190, 120, 230 }, { 80, 210, 220 }, { 220, 220, 220 }, { 200, 150, 100 },
};
#define PALETTE_N (sizeof reason_palette / sizeof reason_palette[0])

static const char *reason_short(unsigned r, char *buf, size_t n)
{
	const char *name = r < EXIT_REASON_LIMIT ? reason_names[r] : NULL;
	size_t i = 0;

	if (!name) {
		snprintf(buf, n, "reason %u", r);
		return buf;
	}
	for (; name[i] && i + 1 < n; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = 0;
	return buf;
}

/* The reasons that occurred, in reason order; their colour is their place in this list. */
static unsigned reasons_seen(const struct exit_series *e, unsigned *list)
{
	unsigned n = 0;

	for (unsigned r = 0; r < EXIT_REASON_LIMIT; r++)
		if (e->total[r])
			list[n++] = r;
	return n;
}

static double bucket_rate(const struct exit_series *e, unsigned b, const unsigned *list, unsigned n)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += e->count[b][list[i]];
	return (double)sum * MIG_TICKS_PER_SECOND / (double)e->len;
}

static const char *human(double v, char *buf, size_t n)
{
	if (v >= 1e9)
		snprintf(buf, n, "%.1fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, n, "%.1fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, n, "%.1fk", v / 1e3);
	else
		snprintf(buf, n, "%.0f", v);
	return buf;
}

static int exit_legend(struct canvas *c, const struct exit_series *e, const unsigned *list,
		       unsigned n, int y)
{
	int x = RIGHT_X;
	char name[40];

	for (unsigned i = 0; i < n; i++) {
		reason_short(list[i], name, sizeof name);
		int w = 16 + (int)(strlen(name) + 8) * c->char_w;
		if (x + w > RIGHT_X + RIGHT_W) {
			x = RIGHT_X;
			y += c->line;
		}
		canvas_fill(c, x, y + 3, 10, 10, reason_palette[i % PALETTE_N]);
		x += 14 + canvas_text(c, x + 14, y, THEME_DIM, "%s %llu", name,
				      (unsigned long long)e->total[list[i]]) + 12;
	}
	return y + c->line;
}

/* The chart's title and legend from y, then a plot h pixels high. */
static void exits_chart(struct canvas *c, const struct exit_series *e, int y, int h)
{
	unsigned list[EXIT_REASON_LIMIT], n = reasons_seen(e, list);
	double max = 1;
	char buf[16];

	canvas_text(c, RIGHT_X, y, THEME_TEXT, "VM exits per second of virtual time, by reason");
	y = exit_legend(c, e, list, n, y + c->line + 2) + c->line / 2 + 2;
	for (unsigned b = 0; b < e->used; b++)
		max = bucket_rate(e, b, list, n) > max ? bucket_rate(e, b, list, n) : max;
	max = (double)chart_nice_max((uint64_t)max + 1);
	int px = RIGHT_X + 56, pw = RIGHT_W - 64, bw = pw / EXIT_BUCKETS, top = y, bottom = y + h;
	canvas_hline(c, px, bottom, pw, THEME_RULE);
	canvas_hline(c, px, top, pw, rgb_mix(THEME_RULE, THEME_BG, 1, 2));
	canvas_text(c, RIGHT_X, top - c->line / 2, THEME_DIM, "%6s/s", human(max, buf, sizeof buf));
	canvas_text(c, RIGHT_X, bottom - c->line / 2, THEME_DIM, "%6s/s", "0");
	for (unsigned b = 0; b < e->used; b++) {
		double base = 0;
		for (unsigned i = 0; i < n; i++) {
			double rate = (double)e->count[b][list[i]] * MIG_TICKS_PER_SECOND / (double)e->len;
			int y0 = bottom - (int)(h * base / max), y1 = bottom - (int)(h * (base + rate) / max);
			canvas_fill(c, px + (int)b * bw, y1, bw > 1 ? bw - 1 : 1, y0 - y1,
				    reason_palette[i % PALETTE_N]);
			base += rate;
		}
	}
	canvas_text(c, px, bottom + 2, THEME_DIM, "0 .. %.6f s of virtual time, %u buckets",
		    (double)e->len * EXIT_BUCKETS / MIG_TICKS_PER_SECOND, EXIT_BUCKETS);
}

/* ---- rounds and console ---- */

static void rounds_panel(struct canvas *c, const struct view_model *m, int y, int h)
{
	const struct mig_run *r = m->nruns ? m->runs[m->nruns - 1] : NULL;

	canvas_text(c, RIGHT_X, y, THEME_TEXT, "rounds: %u pre-copy%s; pages dirtied and sent",
		    r ? r->nrounds : 0, r && r->have_final ? " + stop-and-copy" : "");
	render_rounds(c, RIGHT_X, y + c->line + 4, RIGHT_W - 8, h - c->line - 4, m->runs, m->nruns, NULL);
}

static void console_panel(struct canvas *c, const struct console *con, int y, int bottom)
{
	int rows = (bottom - y - c->line - 4) / c->line;
	unsigned newest = console_line(con, 0) && *console_line(con, 0) ? 0 : 1;

	canvas_text(c, RIGHT_X, y, THEME_TEXT, "COM1 (hv and the guest)");
	canvas_fill(c, RIGHT_X, y + c->line + 2, RIGHT_W - 8, bottom - y - c->line - 2, THEME_PANEL);
	int maxc = (RIGHT_W - 16) / c->char_w;
	for (int i = 0; i < rows; i++) {
		const char *l = console_line(con, newest + (unsigned)i);
		if (!l)
			break;
		int ly = bottom - (i + 1) * c->line - 2;
		canvas_text(c, RIGHT_X + 4, ly, strncmp(l, "@mig", 4) ? THEME_TEXT : THEME_DIM, "%.*s",
			    maxc, l);
	}
}

void render_view(struct canvas *c, const struct view_model *m, struct grid_geom *g)
{
	const struct pagestate *ps = m->ps;
	uint64_t ppc = m->ppc ? m->ppc : grid_fit_ppc(ps->npages, VIEW_GRID_W, VIEW_GRID_H);

	canvas_clear(c, THEME_BG);
	header(c, m);
	status_bar(c, m);
	grid_layout(g, VIEW_GRID_X, VIEW_GRID_Y, VIEW_GRID_W, VIEW_GRID_H, ps->npages, ppc, m->cell,
		    m->first);
	grid_caption(c, ps, g);
	draw_grid(c, ps, g);
	int y = legend(c, ps, 44) + 8;
	y = pml_gauge(c, ps, y) + 8;
	exits_chart(c, m->exits, y, 110);
	rounds_panel(c, m, 460, 150);
	console_panel(c, m->console, 620, VIEW_H - 10);
	canvas_flush(c);
}
