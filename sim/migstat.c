/* Parsing hv's "@mig" statistics lines (sim/migstat.h; rendering is in sim/migstat_render.c). */
#include "sim/migstat.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const tracker_names[] = { "pml", "wp", "scan", NULL };
static const char *const verify_names[] = { "ok", "mismatch", "incomplete", NULL };
static const char *const result_names[] = { "SUCCESS", "FAILURE", "ERROR", "SKIP", "CRASHED", NULL };

#define U64(type, f) { #f, MIG_FIELD_U64, offsetof(type, f), NULL }
#define ENUM(type, f, names) { #f, MIG_FIELD_ENUM, offsetof(type, f), names }

static const struct mig_field begin_fields[] = {
	ENUM(struct mig_begin, tracker, tracker_names),
	{ "guest", MIG_FIELD_NAME, offsetof(struct mig_begin, guest), NULL },
	U64(struct mig_begin, pages),
	U64(struct mig_begin, bandwidth),
	U64(struct mig_begin, max_rounds),
	U64(struct mig_begin, threshold),
};

/* The stop-and-copy has the keys of a round but n. */
static const struct mig_field round_fields[] = {
	U64(struct mig_round, n),
	U64(struct mig_round, dirtied),
	U64(struct mig_round, sent),
	U64(struct mig_round, ticks),
	U64(struct mig_round, guest_ticks),
	U64(struct mig_round, track_ticks),
};

static const struct mig_field end_fields[] = {
	U64(struct mig_end, rounds),
	U64(struct mig_end, sent),
	U64(struct mig_end, downtime_ticks),
	ENUM(struct mig_end, verify, verify_names),
	U64(struct mig_end, lost),
	ENUM(struct mig_end, result, result_names),
};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

const struct mig_record_spec mig_records[MIG_KIND_COUNT] = {
	[MIG_BEGIN] = { "begin", begin_fields, LEN(begin_fields), offsetof(struct mig_begin, more) },
	[MIG_ROUND] = { "round", round_fields, LEN(round_fields), offsetof(struct mig_round, more) },
	[MIG_FINAL] = { "final", round_fields + 1, LEN(round_fields) - 1, offsetof(struct mig_round, more) },
	[MIG_END] = { "end", end_fields, LEN(end_fields), offsetof(struct mig_end, more) },
};

_Static_assert(LEN(begin_fields) <= 32 && LEN(round_fields) <= 32 && LEN(end_fields) <= 32,
	       "the parser keeps one bit per key");

const char *mig_tracker_name(enum mig_tracker t)
{
	return t < MIG_TRACKER_COUNT ? tracker_names[t] : "?";
}

const char *mig_verify_name(enum mig_verify v)
{
	return v < LEN(verify_names) - 1 ? verify_names[v] : "?";
}

const char *mig_result_name(enum mig_result r)
{
	return r < LEN(result_names) - 1 ? result_names[r] : "?";
}

static int name_index(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

bool mig_tracker_parse(const char *s, enum mig_tracker *out)
{
	int i = name_index(tracker_names, s);
	if (i < 0)
		return false;
	*out = (enum mig_tracker)i;
	return true;
}

const char *mig_strerror(enum mig_err e)
{
	static const char *const msg[] = {
		[MIG_OK] = "no error",
		[MIG_ERR_SYNTAX] = "malformed @mig line",
		[MIG_ERR_NUMBER] = "bad number",
		[MIG_ERR_FIELD] = "bad or missing key",
		[MIG_ERR_ORDER] = "record out of order",
		[MIG_ERR_RANGE] = "value out of range",
		[MIG_ERR_INCONSISTENT] = "totals disagree with the rounds",
		[MIG_ERR_TOO_LONG] = "line too long",
		[MIG_ERR_INCOMPLETE] = "statistics incomplete",
		[MIG_ERR_NOMEM] = "out of memory",
	};
	return (unsigned)e < LEN(msg) ? msg[e] : "unknown error";
}

uint64_t mig_field_u64(const void *rec, const struct mig_field *f)
{
	const char *p = (const char *)rec + f->offset;
	if (f->type == MIG_FIELD_ENUM)
		return *(const unsigned *)(const void *)p;
	return f->type == MIG_FIELD_U64 ? *(const uint64_t *)(const void *)p : 0;
}

const char *mig_field_text(const void *rec, const struct mig_field *f, char *buf)
{
	const char *p = (const char *)rec + f->offset;
	switch (f->type) {
	case MIG_FIELD_ENUM:
		return f->names[*(const unsigned *)(const void *)p];
	case MIG_FIELD_NAME:
		return p;
	default:
		snprintf(buf, 24, "%llu", (unsigned long long)mig_field_u64(rec, f));
		return buf;
	}
}

const struct mig_more *mig_record_more(const void *rec, enum mig_kind k)
{
	return (const struct mig_more *)(const void *)((const char *)rec + mig_records[k].more_offset);
}

/* ---- the run ---- */

void mig_run_init(struct mig_run *r, const char *label)
{
	memset(r, 0, sizeof *r);
	snprintf(r->label, sizeof r->label, "%s", label ? label : "");
}

static void more_free(struct mig_more *m)
{
	for (unsigned i = 0; i < m->nexits; i++)
		free(m->exits[i].name);
	for (unsigned i = 0; i < m->nextra; i++) {
		free(m->extra[i].key);
		free(m->extra[i].value);
	}
	free(m->exits);
	free(m->extra);
	*m = (struct mig_more){ 0 };
}

void mig_run_free(struct mig_run *r)
{
	more_free(&r->begin.more);
	for (unsigned i = 0; i < r->nrounds; i++)
		more_free(&r->rounds[i].more);
	more_free(&r->final.more);
	more_free(&r->end.more);
	for (unsigned i = 0; i < r->total.nreasons; i++)
		free(r->total.by_reason[i].name);
	free(r->total.by_reason);
	free(r->rounds);
	r->rounds = NULL;
	r->total = (struct mig_totals){ 0 };
	r->nrounds = r->cap = 0;
}

/* ---- one line ---- */

union mig_record {
	struct mig_begin begin;
	struct mig_round round;
	struct mig_end end;
};

/* Where in the stream a line is, for messages. */
struct line_ctx {
	struct mig_run *r;
	unsigned long lineno;
	const char *kind; /* NULL until the record kind is known */
};

static enum mig_err fail(struct line_ctx *c, enum mig_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static enum mig_err fail(struct line_ctx *c, enum mig_err e, const char *fmt, ...)
{
	struct mig_run *r = c->r;
	va_list ap;
	int n = snprintf(r->error, sizeof r->error, "COM1 line %lu: %s%s%s", c->lineno,
			 c->kind ? "@mig " : "", c->kind ? c->kind : "", c->kind ? ": " : "");
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof r->error)
		vsnprintf(r->error + n, sizeof r->error - (size_t)n, fmt, ap);
	va_end(ap);
	r->err = e;
	return e;
}

/* Text from the line in a message: at most 40 characters, "..." when cut. */
#define CLIP_MAX 40
static const char *clip(const char *s, char buf[CLIP_MAX + 4])
{
	if (strlen(s) <= CLIP_MAX)
		return s;
	memcpy(buf, s, CLIP_MAX);
	strcpy(buf + CLIP_MAX, "...");
	return buf;
}

static bool is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '-';
}

static bool is_key(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_key_char(*s))
			return false;
	return true;
}

enum mig_err mig_decimal(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return MIG_ERR_NUMBER;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return MIG_ERR_NUMBER;
		unsigned d = (unsigned)(*p - '0');
		if (v > (MIG_VALUE_MAX - d) / 10)
			return MIG_ERR_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	return MIG_OK;
}

static enum mig_err parse_value(struct line_ctx *c, const char *key, const char *s, uint64_t *out)
{
	char cb[CLIP_MAX + 4];

	switch (mig_decimal(s, out)) {
	case MIG_OK:
		return MIG_OK;
	case MIG_ERR_RANGE:
		return fail(c, MIG_ERR_NUMBER, "%s='%s': larger than %lld", key, clip(s, cb),
			    (long long)MIG_VALUE_MAX);
	default:
		return fail(c, MIG_ERR_NUMBER, *s ? "%s='%s': not a decimal integer" : "%s=%s: no value",
			    key, clip(s, cb));
	}
}

static enum mig_err set_enum(struct line_ctx *c, const struct mig_field *f, const char *value, void *p)
{
	char cb[CLIP_MAX + 4], list[64] = "";
	int i = name_index(f->names, value);

	if (i >= 0) {
		*(unsigned *)p = (unsigned)i;
		return MIG_OK;
	}
	for (const char *const *n = f->names; *n; n++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", n == f->names ? "" : "|", *n);
	return fail(c, MIG_ERR_FIELD, "%s='%s': expected %s", f->key, clip(value, cb), list);
}

static enum mig_err set_field(struct line_ctx *c, const struct mig_field *f, const char *value,
			      union mig_record *rec)
{
	char cb[CLIP_MAX + 4];
	void *p = (char *)rec + f->offset;

	switch (f->type) {
	case MIG_FIELD_U64:
		return parse_value(c, f->key, value, p);
	case MIG_FIELD_ENUM:
		return set_enum(c, f, value, p);
	case MIG_FIELD_NAME:
		if (strlen(value) >= MIG_NAME_MAX || !is_key(value))
			return fail(c, MIG_ERR_FIELD, "%s='%s': expected a name of letters, digits, _ . - "
				    "(at most %d)", f->key, clip(value, cb), MIG_NAME_MAX - 1);
		strcpy(p, value);
		return MIG_OK;
	}
	return MIG_OK;
}

static enum mig_err add_exit(struct line_ctx *c, struct mig_more *m, const char *key, const char *value)
{
	const char *reason = key + strlen("exit.");
	char cb[CLIP_MAX + 4];
	uint64_t v;
	enum mig_err e;

	if (!*reason)
		return fail(c, MIG_ERR_SYNTAX, "exit.=%s: no exit reason after 'exit.'", clip(value, cb));
	if (m->nexits >= MIG_EXITS_PER_LINE)
		return fail(c, MIG_ERR_RANGE, "more than %d exit reasons on one line", MIG_EXITS_PER_LINE);
	for (unsigned i = 0; i < m->nexits; i++)
		if (!strcmp(m->exits[i].name, reason))
			return fail(c, MIG_ERR_FIELD, "%s given twice", clip(key, cb));
	if ((e = parse_value(c, key, value, &v)) != MIG_OK)
		return e;
	if (m->exits_total > MIG_VALUE_MAX - v)
		return fail(c, MIG_ERR_RANGE, "the exit counts add up to more than %lld",
			    (long long)MIG_VALUE_MAX);
	struct mig_count *grown = realloc(m->exits, (m->nexits + 1) * sizeof *grown);
	if (!grown)
		return fail(c, MIG_ERR_NOMEM, "out of memory");
	m->exits = grown;
	if (!(grown[m->nexits].name = strdup(reason)))
		return fail(c, MIG_ERR_NOMEM, "out of memory");
	grown[m->nexits++].count = v;
	m->exits_total += v;
	return MIG_OK;
}

static enum mig_err add_extra(struct line_ctx *c, struct mig_more *m, const char *key, const char *value)
{
	char cb[CLIP_MAX + 4];

	for (unsigned i = 0; i < m->nextra; i++)
		if (!strcmp(m->extra[i].key, key))
			return fail(c, MIG_ERR_FIELD, "%s given twice", clip(key, cb));
	struct mig_extra *grown = realloc(m->extra, (m->nextra + 1) * sizeof *grown);
	if (!grown)
		return fail(c, MIG_ERR_NOMEM, "out of memory");
	m->extra = grown;
	grown[m->nextra] = (struct mig_extra){ strdup(key), strdup(value) };
	if (!grown[m->nextra].key || !grown[m->nextra].value) {
		free(grown[m->nextra].key);
		free(grown[m->nextra].value);
		return fail(c, MIG_ERR_NOMEM, "out of memory");
	}
	m->nextra++;
	return MIG_OK;
}

/* One "key=value": a key of the record's table, an exit count, or an extra key. */
static enum mig_err parse_pair(struct line_ctx *c, const struct mig_record_spec *spec, char *tok,
			       union mig_record *rec, uint32_t *seen)
{
	char cb[CLIP_MAX + 4];
	char *eq = strchr(tok, '=');
	struct mig_more *more = (struct mig_more *)(void *)((char *)rec + spec->more_offset);

	if (!eq)
		return fail(c, MIG_ERR_SYNTAX, "'%s' is not key=value", clip(tok, cb));
	*eq = 0;
	const char *value = eq + 1;
	if (!is_key(tok))
		return fail(c, MIG_ERR_SYNTAX, "key '%s' is not letters, digits, _ . -", clip(tok, cb));
	for (unsigned i = 0; i < spec->nfields; i++) {
		if (strcmp(spec->fields[i].key, tok))
			continue;
		if (*seen & (1u << i))
			return fail(c, MIG_ERR_FIELD, "%s given twice", tok);
		*seen |= 1u << i;
		return set_field(c, &spec->fields[i], value, rec);
	}
	if (!strncmp(tok, "exit.", 5))
		return add_exit(c, more, tok, value);
	if (!*value)
		return fail(c, MIG_ERR_SYNTAX, "%s=: no value", clip(tok, cb));
	return add_extra(c, more, tok, value);
}

/* ---- sequence and range checks, then the record joins the run ---- */

static enum mig_err check_pages(struct line_ctx *c, const char *key, uint64_t v)
{
	if (v > c->r->begin.pages)
		return fail(c, MIG_ERR_RANGE, "%s=%llu: more than the guest's %llu pages", key,
			    (unsigned long long)v, (unsigned long long)c->r->begin.pages);
	return MIG_OK;
}

static enum mig_err commit_begin(struct line_ctx *c, union mig_record *rec)
{
	struct mig_begin *b = &rec->begin;

	if (c->r->have_begin)
		return fail(c, MIG_ERR_ORDER, "a second @mig begin");
	if (b->pages < 1 || b->pages > MIG_PAGES_MAX)
		return fail(c, MIG_ERR_RANGE, "pages=%llu: expected 1..%llu", (unsigned long long)b->pages,
			    MIG_PAGES_MAX);
	if (b->max_rounds < 1 || b->max_rounds > MIG_ROUNDS_MAX)
		return fail(c, MIG_ERR_RANGE, "max_rounds=%llu: expected 1..%d",
			    (unsigned long long)b->max_rounds, MIG_ROUNDS_MAX);
	if (!b->bandwidth)
		return fail(c, MIG_ERR_RANGE, "bandwidth=0: nothing could be sent");
	c->r->begin = *b;
	c->r->have_begin = true;
	return MIG_OK;
}

/*
 * Add a line's exit counts to the run's per-reason totals, all or nothing. No count can overflow:
 * the run's exit total, checked first, is at least any reason's.
 */
static enum mig_err merge_reasons(struct line_ctx *c, const struct mig_more *m)
{
	struct mig_totals *t = &c->r->total;
	unsigned fresh = 0;
	int at[MIG_EXITS_PER_LINE];

	for (unsigned i = 0; i < m->nexits; i++) {
		at[i] = -1;
		for (unsigned j = 0; j < t->nreasons && at[i] < 0; j++)
			if (!strcmp(t->by_reason[j].name, m->exits[i].name))
				at[i] = (int)j;
		if (at[i] < 0)
			fresh++;
	}
	if (t->nreasons + fresh > MIG_REASONS_MAX)
		return fail(c, MIG_ERR_RANGE, "more than %d distinct exit reasons", MIG_REASONS_MAX);
	struct mig_count *grown = realloc(t->by_reason, (t->nreasons + fresh + 1) * sizeof *grown);
	if (!grown)
		return fail(c, MIG_ERR_NOMEM, "out of memory");
	t->by_reason = grown;
	for (unsigned i = 0; i < m->nexits; i++) {
		if (at[i] >= 0) {
			grown[at[i]].count += m->exits[i].count;
			continue;
		}
		if (!(grown[t->nreasons].name = strdup(m->exits[i].name)))
			return fail(c, MIG_ERR_NOMEM, "out of memory");
		grown[t->nreasons++].count = m->exits[i].count;
	}
	return MIG_OK;
}

/* The run's sums with this round added, all or nothing. */
static enum mig_err add_totals(struct line_ctx *c, const struct mig_round *rd)
{
	struct mig_totals *t = &c->r->total;
	uint64_t *sum[] = { &t->sent, &t->ticks, &t->guest_ticks, &t->track_ticks, &t->exits };
	const uint64_t add[] = { rd->sent, rd->ticks, rd->guest_ticks, rd->track_ticks, rd->more.exits_total };
	static const char *const what[] = { "sent", "ticks", "guest_ticks", "track_ticks", "exit" };
	enum mig_err e;

	for (unsigned i = 0; i < LEN(sum); i++)
		if (*sum[i] > MIG_VALUE_MAX - add[i])
			return fail(c, MIG_ERR_RANGE, "the run's %s total overflows", what[i]);
	if ((e = merge_reasons(c, &rd->more)) != MIG_OK)
		return e;
	for (unsigned i = 0; i < LEN(sum); i++)
		*sum[i] += add[i];
	return MIG_OK;
}

static enum mig_err check_round(struct line_ctx *c, const struct mig_round *rd)
{
	enum mig_err e;
	if ((e = check_pages(c, "dirtied", rd->dirtied)) != MIG_OK)
		return e;
	if ((e = check_pages(c, "sent", rd->sent)) != MIG_OK)
		return e;
	return add_totals(c, rd);
}

static enum mig_err commit_round(struct line_ctx *c, union mig_record *rec)
{
	struct mig_run *r = c->r;
	struct mig_round *rd = &rec->round;
	enum mig_err e;

	if (r->have_final)
		return fail(c, MIG_ERR_ORDER, "a round after @mig final");
	if (rd->n != r->nrounds)
		return fail(c, MIG_ERR_ORDER, "n=%llu out of order: expected n=%u",
			    (unsigned long long)rd->n, r->nrounds);
	if (r->nrounds >= r->begin.max_rounds)
		return fail(c, MIG_ERR_RANGE, "n=%llu: more rounds than max_rounds=%llu",
			    (unsigned long long)rd->n, (unsigned long long)r->begin.max_rounds);
	if (r->nrounds == r->cap) {
		unsigned cap = r->cap ? 2 * r->cap : 8;
		struct mig_round *grown = realloc(r->rounds, cap * sizeof *grown);
		if (!grown)
			return fail(c, MIG_ERR_NOMEM, "out of memory");
		r->rounds = grown;
		r->cap = cap;
	}
	if ((e = check_round(c, rd)) != MIG_OK)
		return e;
	r->rounds[r->nrounds++] = *rd;
	return MIG_OK;
}

static enum mig_err commit_final(struct line_ctx *c, union mig_record *rec)
{
	struct mig_run *r = c->r;
	enum mig_err e;

	if (r->have_final)
		return fail(c, MIG_ERR_ORDER, "a second @mig final");
	rec->round.n = r->nrounds;
	if ((e = check_round(c, &rec->round)) != MIG_OK)
		return e;
	r->final = rec->round;
	r->have_final = true;
	return MIG_OK;
}

static enum mig_err commit_end(struct line_ctx *c, union mig_record *rec)
{
	struct mig_run *r = c->r;
	struct mig_end *end = &rec->end;
	enum mig_err e;
	uint64_t rounds = r->nrounds + r->have_final;

	if ((e = check_pages(c, "lost", end->lost)) != MIG_OK)
		return e;
	/* hv verifies after the stop-and-copy; a guest that ends before it leaves "incomplete". */
	if ((end->verify == MIG_VERIFY_INCOMPLETE) == r->have_final)
		return fail(c, MIG_ERR_INCONSISTENT, "verify=%s %s @mig final", mig_verify_name(end->verify),
			    r->have_final ? "after" : "without");
	if (end->rounds != rounds)
		return fail(c, MIG_ERR_INCONSISTENT, "rounds=%llu, but %llu were reported (rounds and "
			    "the stop-and-copy)", (unsigned long long)end->rounds, (unsigned long long)rounds);
	/* An unfinished round's pages count in sent, not in any round line. */
	if (end->verify == MIG_VERIFY_INCOMPLETE ? end->sent < r->total.sent : end->sent != r->total.sent)
		return fail(c, MIG_ERR_INCONSISTENT, "sent=%llu, but the rounds sent %llu pages",
			    (unsigned long long)end->sent, (unsigned long long)r->total.sent);
	r->end = *end;
	r->have_end = true;
	return MIG_OK;
}

static enum mig_err (*const commit[MIG_KIND_COUNT])(struct line_ctx *, union mig_record *) = {
	[MIG_BEGIN] = commit_begin, [MIG_ROUND] = commit_round,
	[MIG_FINAL] = commit_final, [MIG_END] = commit_end,
};

/* Only printable ASCII and blanks: what a message may quote, and nothing a terminal interprets. */
static enum mig_err check_bytes(struct line_ctx *c, const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		if (!ch)
			return fail(c, MIG_ERR_SYNTAX, "NUL byte at column %zu", i + 1);
		if ((ch < 0x20 && ch != '\t') || ch >= 0x7f)
			return fail(c, MIG_ERR_SYNTAX, "byte 0x%02x at column %zu", ch, i + 1);
	}
	return MIG_OK;
}

static enum mig_err parse_kind(struct line_ctx *c, char *tok, enum mig_kind *k)
{
	char cb[CLIP_MAX + 4];

	if (!tok)
		return fail(c, MIG_ERR_SYNTAX, "@mig without a record kind");
	for (unsigned i = 0; i < MIG_KIND_COUNT; i++) {
		if (!strcmp(tok, mig_records[i].name)) {
			*k = (enum mig_kind)i;
			c->kind = mig_records[i].name;
			return MIG_OK;
		}
	}
	return fail(c, MIG_ERR_SYNTAX, "unknown record kind '%s' (expected begin, round, final or end)",
		    clip(tok, cb));
}

static enum mig_err check_sequence(struct line_ctx *c, enum mig_kind k)
{
	if (c->r->have_end)
		return fail(c, MIG_ERR_ORDER, "a record after @mig end");
	if (k != MIG_BEGIN && !c->r->have_begin)
		return fail(c, MIG_ERR_ORDER, "before @mig begin");
	return MIG_OK;
}

/* The keys after the kind; then every key of the table must have been seen. */
static enum mig_err parse_pairs(struct line_ctx *c, enum mig_kind k, char **save, union mig_record *rec)
{
	const struct mig_record_spec *spec = &mig_records[k];
	uint32_t seen = 0;
	enum mig_err e;

	for (char *tok; (tok = strtok_r(NULL, " \t", save));)
		if ((e = parse_pair(c, spec, tok, rec, &seen)) != MIG_OK)
			return e;
	for (unsigned i = 0; i < spec->nfields; i++)
		if (!(seen & (1u << i)))
			return fail(c, MIG_ERR_FIELD, "no %s=", spec->fields[i].key);
	return MIG_OK;
}

enum mig_err mig_parse_line(struct mig_run *r, const char *line, size_t len, unsigned long lineno)
{
	struct line_ctx c = { r, lineno, NULL };
	char buf[MIG_LINE_MAX + 1], *save;
	union mig_record rec;
	enum mig_kind k = MIG_BEGIN;
	enum mig_err e;

	if (r->err)
		return r->err;
	if (len && line[len - 1] == '\r')
		len--;
	if (len > MIG_LINE_MAX)
		return fail(&c, MIG_ERR_TOO_LONG, "@mig line longer than %d bytes", MIG_LINE_MAX);
	if ((e = check_bytes(&c, line, len)) != MIG_OK)
		return e;
	memcpy(buf, line, len);
	buf[len] = 0;
	char *tok = strtok_r(buf, " \t", &save);
	if (!tok || strcmp(tok, "@mig"))
		return fail(&c, MIG_ERR_SYNTAX, "not an @mig line");
	if ((e = parse_kind(&c, strtok_r(NULL, " \t", &save), &k)) != MIG_OK ||
	    (e = check_sequence(&c, k)) != MIG_OK)
		return e;
	memset(&rec, 0, sizeof rec);
	if ((e = parse_pairs(&c, k, &save, &rec)) == MIG_OK)
		e = commit[k](&c, &rec);
	if (e != MIG_OK)
		more_free((struct mig_more *)(void *)((char *)&rec + mig_records[k].more_offset));
	return e;
}

enum mig_err mig_run_finish(struct mig_run *r)
{
	if (r->err || r->have_end)
		return r->err;
	r->err = MIG_ERR_INCOMPLETE;
	if (!r->have_begin)
		snprintf(r->error, sizeof r->error, "no @mig lines: hv printed no migration statistics");
	else if (!r->have_final)
		snprintf(r->error, sizeof r->error, "the output stopped after %u round(s), before "
			 "@mig final: the migration did not finish", r->nrounds);
	else
		snprintf(r->error, sizeof r->error, "no @mig end after the stop-and-copy: the "
			 "migration was not verified");
	return r->err;
}

/* ---- the COM1 stream ---- */

static const char mig_prefix[] = "@mig";
#define MIG_PREFIX_LEN (sizeof mig_prefix - 1)

void mig_stream_init(struct mig_stream *s, struct mig_run *run, FILE *echo, bool echo_records)
{
	memset(s, 0, sizeof *s);
	s->run = run;
	s->echo = echo;
	s->echo_records = echo_records;
	s->lineno = 1;
}

static void console_put(struct mig_stream *s, const char *p, size_t n)
{
	if (s->echo && !s->echo_records)
		fwrite(p, 1, n, s->echo);
}

/* The line so far turned out not to be a record: hand what was held back to the console. */
static void become_console(struct mig_stream *s)
{
	console_put(s, s->buf, s->len);
	s->mode = MIG_LINE_CONSOLE;
}

/* Returns whether the line was console text. */
static bool end_line(struct mig_stream *s)
{
	bool console;

	if (s->mode == MIG_LINE_PREFIX && s->len == MIG_PREFIX_LEN)
		s->mode = MIG_LINE_RECORD; /* "@mig" alone: a record without a kind */
	if (s->mode == MIG_LINE_RECORD) {
		struct line_ctx c = { s->run, s->lineno, NULL };
		if (s->len > MIG_LINE_MAX && !s->run->err)
			fail(&c, MIG_ERR_TOO_LONG, "@mig line longer than %d bytes", MIG_LINE_MAX);
		else
			mig_parse_line(s->run, s->buf, s->len, s->lineno);
	} else if (s->mode == MIG_LINE_PREFIX) {
		become_console(s);
	}
	console = s->mode == MIG_LINE_CONSOLE;
	s->mode = MIG_LINE_PREFIX;
	s->len = 0;
	return console;
}

void mig_stream_byte(struct mig_stream *s, uint8_t byte)
{
	if (s->echo && s->echo_records)
		fputc(byte, s->echo);
	if (byte == '\n') {
		if (end_line(s))
			console_put(s, "\n", 1);
		s->lineno++;
		return;
	}
	switch (s->mode) {
	case MIG_LINE_CONSOLE:
		console_put(s, (const char *)&byte, 1);
		return;
	case MIG_LINE_RECORD:
		if (s->len <= MIG_LINE_MAX) /* one byte past the limit marks the line too long */
			s->buf[s->len++] = (char)byte;
		return;
	case MIG_LINE_PREFIX:
		s->buf[s->len++] = (char)byte;
		if (s->len <= MIG_PREFIX_LEN && byte != (uint8_t)mig_prefix[s->len - 1])
			become_console(s);
		else if (s->len > MIG_PREFIX_LEN && byte != ' ' && byte != '\t' && byte != '\r')
			become_console(s);
		else if (s->len > MIG_PREFIX_LEN)
			s->mode = MIG_LINE_RECORD;
		return;
	}
}

enum mig_err mig_stream_end(struct mig_stream *s)
{
	if (s->len || s->mode != MIG_LINE_PREFIX)
		end_line(s);
	if (s->echo)
		fflush(s->echo);
	return mig_run_finish(s->run);
}
