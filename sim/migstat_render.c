/*
 * Rendering parsed migration statistics (sim/migstat.h): a text table, JSON and CSV. The columns
 * come from the record tables in sim/migstat.c, so a key added there appears everywhere.
 */
#define _GNU_SOURCE /* vasprintf */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/migstat.h"

/* ---- a text grid: cells added row by row, printed with each column as wide as its widest cell ---- */

struct grid {
	unsigned cols;
	const char *align; /* per column: 'l' or 'r' */
	char **cell;
	unsigned count, cap;
	bool nomem;
};

static void grid_init(struct grid *g, const char *align)
{
	*g = (struct grid){ .cols = (unsigned)strlen(align), .align = align };
}

static void grid_put(struct grid *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void grid_put(struct grid *g, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (g->count == g->cap) {
		unsigned cap = g->cap ? 2 * g->cap : 64;
		char **grown = realloc(g->cell, cap * sizeof *grown);
		if (!grown) {
			g->nomem = true;
			return;
		}
		g->cell = grown;
		g->cap = cap;
	}
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		g->nomem = true;
		return;
	}
	g->cell[g->count++] = text;
}

static bool grid_print(FILE *f, struct grid *g, const char *indent)
{
	size_t width[32] = { 0 };

	if (g->nomem || g->cols > sizeof width / sizeof width[0] || g->count % g->cols)
		return false;
	for (unsigned i = 0; i < g->count; i++)
		if (strlen(g->cell[i]) > width[i % g->cols])
			width[i % g->cols] = strlen(g->cell[i]);
	for (unsigned i = 0; i < g->count; i++) {
		unsigned col = i % g->cols;
		bool last = col == g->cols - 1;
		int w = (int)width[col];
		if (!col)
			fputs(indent, f);
		if (g->align[col] == 'l' && last)
			fputs(g->cell[i], f); /* no trailing blanks */
		else if (g->align[col] == 'l')
			fprintf(f, "%-*s", w, g->cell[i]);
		else
			fprintf(f, "%*s", w, g->cell[i]);
		fputs(last ? "\n" : "  ", f);
	}
	return true;
}

static void grid_free(struct grid *g)
{
	for (unsigned i = 0; i < g->count; i++)
		free(g->cell[i]);
	free(g->cell);
}

/* ---- small formatting helpers ---- */

static const char *percent(char buf[16], uint64_t part, uint64_t whole)
{
	if (!whole)
		return "-";
	snprintf(buf, 16, "%.1f%%", 100.0 * (double)part / (double)whole);
	return buf;
}

/* "32 MiB" for an exact multiple of a binary unit, else the byte count. */
static const char *bytes_text(char buf[32], uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (u + 1 < sizeof unit / sizeof unit[0] && bytes && !(bytes % 1024)) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, 32, "%llu %s", (unsigned long long)bytes, unit[u]);
	return buf;
}

/* "pml_full=3 preempt=12" (or "-"), in a growing string; NULL if out of memory. */
static char *counts_text(const struct mig_count *c, unsigned n)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%s=%llu", i ? " " : "", c[i].name, (unsigned long long)c[i].count);
	if (!n)
		fputs("-", f);
	fclose(f);
	return s;
}

/* ---- text table ---- */

static const struct mig_field *round_columns(unsigned *n)
{
	*n = mig_records[MIG_FINAL].nfields;
	return mig_records[MIG_FINAL].fields; /* a round's keys but n, which is the first column */
}

static void round_row(struct grid *g, const struct mig_round *rd, bool final)
{
	unsigned n;
	const struct mig_field *f = round_columns(&n);
	char buf[24], pct[16];

	if (final)
		grid_put(g, "final");
	else
		grid_put(g, "%llu", (unsigned long long)rd->n);
	for (unsigned i = 0; i < n; i++)
		grid_put(g, "%s", mig_field_text(rd, &f[i], buf));
	grid_put(g, "%s", percent(pct, rd->track_ticks, rd->ticks));
	grid_put(g, "%llu", (unsigned long long)rd->more.exits_total);
}

static bool rounds_table(FILE *f, const struct mig_run *r)
{
	struct grid g;
	unsigned n;
	const struct mig_field *cols = round_columns(&n);
	char align[32] = "r";

	for (unsigned i = 0; i < n + 2; i++)
		strcat(align, "r");
	grid_init(&g, align);
	grid_put(&g, "round");
	for (unsigned i = 0; i < n; i++)
		grid_put(&g, "%s", cols[i].key);
	grid_put(&g, "track%%");
	grid_put(&g, "exits");
	for (unsigned i = 0; i < r->nrounds; i++)
		round_row(&g, &r->rounds[i], false);
	if (r->have_final)
		round_row(&g, &r->final, true);
	bool ok = grid_print(f, &g, "  ");
	grid_free(&g);
	return ok;
}

static void begin_line(FILE *f, const struct mig_run *r)
{
	const struct mig_begin *b = &r->begin;
	char mem[32], bw[32];

	fprintf(f, "tracker %s: guest %s, %llu pages (%s), bandwidth %s per virtual second, "
		   "max_rounds %llu, threshold %llu pages\n", mig_tracker_name(b->tracker), b->guest,
		(unsigned long long)b->pages, bytes_text(mem, b->pages * MIG_PAGE_SIZE),
		bytes_text(bw, b->bandwidth), (unsigned long long)b->max_rounds,
		(unsigned long long)b->threshold);
}

static void end_lines(FILE *f, const struct mig_run *r)
{
	const struct mig_end *e = &r->end;

	fprintf(f, "  %-13s %llu ticks (%.3f us of virtual time)\n", "downtime",
		(unsigned long long)e->downtime_ticks,
		(double)e->downtime_ticks * 1e6 / (double)MIG_TICKS_PER_SECOND);
	fprintf(f, "  %-13s %llu pages in %llu rounds (%.2f x guest RAM)\n", "sent",
		(unsigned long long)e->sent, (unsigned long long)e->rounds,
		(double)e->sent / (double)r->begin.pages);
	fprintf(f, "  %-13s %s, %llu pages lost; guest result %s\n", "verification",
		mig_verify_name(e->verify), (unsigned long long)e->lost, mig_result_name(e->result));
}

static bool tracking_line(FILE *f, const struct mig_run *r)
{
	const struct mig_totals *t = &r->total;
	char pct[16];
	char *reasons = counts_text(t->by_reason, t->nreasons);

	if (!reasons)
		return false;
	fprintf(f, "  %-13s %llu of %llu ticks (%s); %llu exits: %s\n", "tracking",
		(unsigned long long)t->track_ticks, (unsigned long long)t->ticks,
		percent(pct, t->track_ticks, t->ticks), (unsigned long long)t->exits, reasons);
	free(reasons);
	return true;
}

static bool run_block(FILE *f, const struct mig_run *r)
{
	bool ok = true;

	if (!r->have_begin) {
		fprintf(f, "tracker %s: no migration statistics\n", r->label);
	} else {
		begin_line(f, r);
		fputc('\n', f);
		ok = rounds_table(f, r);
		fputc('\n', f);
		if (r->have_end)
			end_lines(f, r);
		ok = ok && tracking_line(f, r);
	}
	if (r->err)
		fprintf(f, "  %-13s %s\n", "error", r->error);
	return ok;
}

#define COMPARE_END_COLUMNS 5 /* downtime_ticks .. result: from @mig end */

static void compare_row(struct grid *g, const struct mig_run *r)
{
	const struct mig_totals *t = &r->total;
	char pct[16];
	char *reasons = counts_text(t->by_reason, t->nreasons);

	grid_put(g, "%s", r->label);
	grid_put(g, "%llu", (unsigned long long)t->track_ticks);
	grid_put(g, "%s", percent(pct, t->track_ticks, t->ticks));
	grid_put(g, "%llu", (unsigned long long)t->exits);
	if (r->have_end) {
		grid_put(g, "%llu", (unsigned long long)r->end.downtime_ticks);
		grid_put(g, "%llu", (unsigned long long)r->end.sent);
		grid_put(g, "%llu", (unsigned long long)r->end.rounds);
		grid_put(g, "%s", mig_verify_name(r->end.verify));
		grid_put(g, "%s", mig_result_name(r->end.result));
	} else {
		for (unsigned i = 0; i < COMPARE_END_COLUMNS; i++)
			grid_put(g, "-");
	}
	grid_put(g, "%s", reasons ? reasons : "?");
	free(reasons);
}

static bool compare_table(FILE *f, const struct mig_run *const *runs, unsigned n)
{
	static const char *const head[] = { "tracker", "track_ticks", "track%", "exits", "downtime_ticks",
					    "sent", "rounds", "verify", "result", "exits by reason" };
	struct grid g;

	grid_init(&g, "lrrrrrrlll");
	for (unsigned i = 0; i < sizeof head / sizeof head[0]; i++)
		grid_put(&g, "%s", head[i]);
	for (unsigned i = 0; i < n; i++)
		compare_row(&g, runs[i]);
	fprintf(f, "comparison (tracking cost = track_ticks over all rounds, share of the migration's ticks):\n");
	bool ok = grid_print(f, &g, "  ");
	grid_free(&g);
	return ok;
}

bool mig_render_table(FILE *f, const struct mig_run *const *runs, unsigned n)
{
	bool ok = true;

	for (unsigned i = 0; i < n; i++) {
		if (i)
			fputc('\n', f);
		ok = run_block(f, runs[i]) && ok;
	}
	if (n > 1) {
		fputc('\n', f);
		ok = compare_table(f, runs, n) && ok;
	}
	return ok && !ferror(f);
}

/* ---- JSON ---- */

static json_t *counts_json(const struct mig_count *c, unsigned n)
{
	json_t *o = json_object();
	for (unsigned i = 0; i < n; i++)
		json_object_set_new(o, c[i].name, json_integer((json_int_t)c[i].count));
	return o;
}

/* Keys the format does not define: a number when the value is one, else the text. */
static json_t *extra_json(const struct mig_more *m)
{
	json_t *o = json_object();
	uint64_t v;

	for (unsigned i = 0; i < m->nextra; i++) {
		const char *s = m->extra[i].value;
		json_object_set_new(o, m->extra[i].key, mig_decimal(s, &v) == MIG_OK
						       ? json_integer((json_int_t)v) : json_string(s));
	}
	return o;
}

static json_t *record_json(const void *rec, enum mig_kind k)
{
	const struct mig_record_spec *spec = &mig_records[k];
	const struct mig_more *more = mig_record_more(rec, k);
	json_t *o = json_object();
	char buf[24];

	for (unsigned i = 0; i < spec->nfields; i++) {
		const struct mig_field *f = &spec->fields[i];
		json_object_set_new(o, f->key, f->type == MIG_FIELD_U64
						       ? json_integer((json_int_t)mig_field_u64(rec, f))
						       : json_string(mig_field_text(rec, f, buf)));
	}
	if (k == MIG_ROUND || k == MIG_FINAL)
		json_object_set_new(o, "exits", counts_json(more->exits, more->nexits));
	json_object_set_new(o, "extra", extra_json(more));
	return o;
}

static json_t *totals_json(const struct mig_totals *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "sent", json_integer((json_int_t)t->sent));
	json_object_set_new(o, "ticks", json_integer((json_int_t)t->ticks));
	json_object_set_new(o, "guest_ticks", json_integer((json_int_t)t->guest_ticks));
	json_object_set_new(o, "track_ticks", json_integer((json_int_t)t->track_ticks));
	json_object_set_new(o, "exits", json_integer((json_int_t)t->exits));
	json_object_set_new(o, "exits_by_reason", counts_json(t->by_reason, t->nreasons));
	return o;
}

static json_t *run_json(const struct mig_run *r)
{
	json_t *o = json_object(), *rounds = json_array();

	json_object_set_new(o, "complete", json_boolean(r->have_end && !r->err));
	json_object_set_new(o, "error", r->err ? json_string(r->error) : json_null());
	json_object_set_new(o, "begin", r->have_begin ? record_json(&r->begin, MIG_BEGIN) : json_null());
	for (unsigned i = 0; i < r->nrounds; i++)
		json_array_append_new(rounds, record_json(&r->rounds[i], MIG_ROUND));
	json_object_set_new(o, "rounds", rounds);
	json_object_set_new(o, "final", r->have_final ? record_json(&r->final, MIG_FINAL) : json_null());
	json_object_set_new(o, "end", r->have_end ? record_json(&r->end, MIG_END) : json_null());
	json_object_set_new(o, "totals", totals_json(&r->total));
	return o;
}

bool mig_render_json(FILE *f, const struct mig_run *const *runs, unsigned n)
{
	json_t *root;

	if (n == 1) {
		root = run_json(runs[0]);
	} else {
		root = json_object();
		for (unsigned i = 0; i < n; i++)
			json_object_set_new(root, runs[i]->label, run_json(runs[i]));
	}
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	fputc('\n', f);
	return rc == 0 && !ferror(f);
}

/* ---- CSV ---- */

/* The exit reasons of all runs, in order of first appearance: one column each. */
struct reason_columns {
	const char **name;
	unsigned n;
};

static bool collect_reasons(struct reason_columns *rc, const struct mig_run *const *runs, unsigned n)
{
	size_t most = 0;

	for (unsigned i = 0; i < n; i++)
		most += runs[i]->total.nreasons;
	rc->n = 0;
	if (!(rc->name = calloc(most + 1, sizeof *rc->name)))
		return false;
	for (unsigned i = 0; i < n; i++) {
		const struct mig_totals *t = &runs[i]->total;
		for (unsigned j = 0; j < t->nreasons; j++) {
			unsigned k = 0;
			while (k < rc->n && strcmp(rc->name[k], t->by_reason[j].name))
				k++;
			if (k == rc->n)
				rc->name[rc->n++] = t->by_reason[j].name;
		}
	}
	return true;
}

static uint64_t exit_count(const struct mig_more *m, const char *reason)
{
	for (unsigned i = 0; i < m->nexits; i++)
		if (!strcmp(m->exits[i].name, reason))
			return m->exits[i].count;
	return 0;
}

static void csv_row(FILE *f, const char *label, const struct mig_round *rd, bool final,
		    const struct reason_columns *rc)
{
	unsigned n;
	const struct mig_field *cols = round_columns(&n);
	char buf[24];

	fprintf(f, "%s,", label);
	if (final)
		fputs("final", f);
	else
		fprintf(f, "%llu", (unsigned long long)rd->n);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, ",%s", mig_field_text(rd, &cols[i], buf));
	fprintf(f, ",%llu", (unsigned long long)rd->more.exits_total);
	for (unsigned i = 0; i < rc->n; i++)
		fprintf(f, ",%llu", (unsigned long long)exit_count(&rd->more, rc->name[i]));
	fputc('\n', f);
}

bool mig_render_csv(FILE *f, const struct mig_run *const *runs, unsigned n)
{
	unsigned ncols;
	const struct mig_field *cols = round_columns(&ncols);
	struct reason_columns rc;

	if (!collect_reasons(&rc, runs, n))
		return false;
	fputs("tracker,round", f);
	for (unsigned i = 0; i < ncols; i++)
		fprintf(f, ",%s", cols[i].key);
	fputs(",exits", f);
	for (unsigned i = 0; i < rc.n; i++)
		fprintf(f, ",exit.%s", rc.name[i]);
	fputc('\n', f);
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < runs[i]->nrounds; j++)
			csv_row(f, runs[i]->label, &runs[i]->rounds[j], false, &rc);
		if (runs[i]->have_final)
			csv_row(f, runs[i]->label, &runs[i]->final, true, &rc);
	}
	free(rc.name);
	return !ferror(f);
}
