/*
 * The per-round chart (render.h): for each pre-copy round and the stop-and-copy, a group of bars,
 * two per run (pages dirtied, pages sent), from hv's own "@mig" figures. Every group has a
 * bracket under it on one pixel row that holds nothing else, so a program can count the groups
 * (README "Seeing it").
 */
#include <stdio.h>
#include <string.h>

#include "sim/view/render.h"
#include "sim/view/theme.h"

#define BRACKET_GAP 3 /* pixels between the bars' base and the bracket row */
#define AXIS_W 56     /* room for the value labels */

/* The groups: rounds 0.. of the longest run, then the stop-and-copy if any run reached it. */
static unsigned chart_groups(const struct mig_run *const *runs, unsigned n, bool *final)
{
	unsigned g = 0;

	*final = false;
	for (unsigned i = 0; i < n; i++) {
		g = runs[i]->nrounds > g ? runs[i]->nrounds : g;
		*final |= runs[i]->have_final;
	}
	return g + *final;
}

/* Run i's round in group g, or NULL where it has none. */
static const struct mig_round *group_round(const struct mig_run *r, unsigned g, unsigned groups,
					   bool final)
{
	if (final && g == groups - 1)
		return r->have_final ? &r->final : NULL;
	return g < r->nrounds ? &r->rounds[g] : NULL;
}

/* A round number above 'v' that reads well: 1, 2 or 5 times a power of ten. */
uint64_t chart_nice_max(uint64_t v)
{
	uint64_t p = 1;

	while (p * 10 <= v)
		p *= 10;
	for (uint64_t m = 1; m <= 10; m = m == 1 ? 2 : m == 2 ? 5 : 10)
		if (p * m >= v)
			return p * m;
	return p * 10;
}

static uint64_t chart_max(const struct mig_run *const *runs, unsigned n, unsigned groups,
			  bool final)
{
	uint64_t max = 10; /* an empty chart still has an axis that reads well */

	for (unsigned i = 0; i < n; i++)
		for (unsigned g = 0; g < groups; g++) {
			const struct mig_round *r = group_round(runs[i], g, groups, final);
			if (r && r->dirtied > max)
				max = r->dirtied;
			if (r && r->sent > max)
				max = r->sent;
		}
	return chart_nice_max(max);
}

static void axis(struct canvas *c, const struct chart_geom *p, uint64_t max)
{
	for (unsigned k = 0; k <= 2; k++) {
		int y = p->y + p->h - (int)((int64_t)p->h * k / 2);
		canvas_hline(c, p->x, y, p->w, k ? rgb_mix(THEME_RULE, THEME_BG, 1, 2) : THEME_RULE);
		canvas_text(c, p->x - AXIS_W + 2, y - c->line / 2, THEME_DIM, "%6llu",
			    (unsigned long long)(max * k / 2));
	}
}

static void bar(struct canvas *c, const struct chart_geom *p, int x, int w, uint64_t v,
		uint64_t max, struct rgb col)
{
	int h = (int)((double)p->h * (double)v / (double)max + 0.5);

	if (v && h < 1)
		h = 1;
	canvas_fill(c, x, p->y + p->h - h, w, h, col);
}

static void legend(struct canvas *c, int x, int y, const struct mig_run *const *runs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned t = runs[i]->begin.tracker;
		canvas_fill(c, x, y + 3, 10, 10, theme_tracker_pale(t));
		x += 14 + canvas_text(c, x + 14, y, THEME_DIM, "%s dirtied", runs[i]->label) + 12;
		canvas_fill(c, x, y + 3, 10, 10, theme_tracker(t));
		x += 14 + canvas_text(c, x + 14, y, THEME_DIM, "%s sent", runs[i]->label) + 20;
	}
}

void render_rounds(struct canvas *c, int x, int y, int w, int h, const struct mig_run *const *runs,
		   unsigned n, struct chart_geom *out)
{
	bool final;
	unsigned groups = chart_groups(runs, n, &final);
	/* legend on top, labels and brackets below */
	struct chart_geom p = { .x = x + AXIS_W, .y = y + c->line + 6, .w = w - AXIS_W,
				.h = h - 2 * c->line - 16 };

	p.bracket_y = p.y + p.h + BRACKET_GAP;
	if (out)
		*out = p;
	legend(c, p.x, y, runs, n);
	uint64_t max = chart_max(runs, n, groups, final);
	axis(c, &p, max);
	if (!groups || !n)
		return;
	int gw = p.w / (int)groups, gap = gw / 5 > 2 ? gw / 5 : 2;
	int bw = (gw - gap) / (int)(2 * n);
	bw = bw > 40 ? 40 : bw < 1 ? 1 : bw;
	unsigned every = groups > 40 ? (groups + 39) / 40 : 1; /* labels that do not collide */
	for (unsigned g = 0; g < groups; g++) {
		int gx = p.x + (int)g * gw + gap / 2, used = bw * 2 * (int)n;
		for (unsigned i = 0; i < n; i++) {
			const struct mig_round *r = group_round(runs[i], g, groups, final);
			unsigned t = runs[i]->begin.tracker;
			if (!r)
				continue;
			bar(c, &p, gx + (int)(2 * i) * bw, bw, r->dirtied, max, theme_tracker_pale(t));
			bar(c, &p, gx + (int)(2 * i + 1) * bw, bw, r->sent, max, theme_tracker(t));
		}
		canvas_fill(c, gx, p.bracket_y, used, 2, THEME_RULE);
		bool last = final && g == groups - 1;
		if (g % every == 0 || last) {
			char label[12];
			if (last)
				snprintf(label, sizeof label, "F");
			else
				snprintf(label, sizeof label, "%u", g);
			canvas_text(c, gx + (used - (int)strlen(label) * c->char_w) / 2, p.bracket_y + 4,
				    THEME_DIM, "%s", label);
		}
	}
}

void render_rounds_report(struct canvas *c, const struct mig_run *const *runs, unsigned n,
			  struct chart_geom *out)
{
	const struct mig_begin *b = n ? &runs[0]->begin : NULL;

	canvas_clear(c, THEME_BG);
	canvas_title(c, 16, 12, THEME_TEXT, "pages dirtied and sent per round");
	if (b)
		canvas_text(c, 16, 12 + c->big_line, THEME_DIM,
			    "guest %s, %llu pages; rounds 0.. are pre-copy, F the stop-and-copy", b->guest,
			    (unsigned long long)b->pages);
	render_rounds(c, 16, 24 + c->big_line + c->line, CHART_W - 40,
		      CHART_H - 40 - c->big_line - c->line, runs, n, out);
	canvas_flush(c);
}
