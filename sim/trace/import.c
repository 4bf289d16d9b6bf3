/* Traces from CSV (import.h). */
#include "sim/trace/import.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUOTE_MAX 32 /* bytes of a bad field quoted in a message */

/* ---- one line ---- */

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static int digit_value(char c, unsigned base)
{
	int v = isdigit((unsigned char)c) ? c - '0'
		: isxdigit((unsigned char)c) ? tolower((unsigned char)c) - 'a' + 10 : 99;
	return v < (int)base ? v : -1;
}

/* A decimal number, or with hex_ok also 0x-hex; false if none, or past 2^64 - 1. */
static bool parse_u64(const char **pp, const char *end, bool hex_ok, uint64_t *out)
{
	const char *p = *pp;
	unsigned base = 10;
	uint64_t v = 0;
	int d;

	if (hex_ok && end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (p == end || digit_value(*p, base) < 0)
		return false;
	for (; p < end && (d = digit_value(*p, base)) >= 0; p++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*pp = p;
	*out = v;
	return true;
}

/* "bad NAME 'FIELD'", FIELD (up to the next comma) cut short and made printable. */
static void bad_field(char *why, size_t whylen, const char *name, const char *p, const char *end)
{
	char quote[QUOTE_MAX + 4];
	size_t n = 0;

	for (; p < end && *p != ',' && n < QUOTE_MAX; p++)
		quote[n++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
	if (p < end && *p != ',')
		n += (size_t)sprintf(quote + n, "...");
	quote[n] = 0;
	snprintf(why, whylen, "bad %s '%s'", name, quote);
}

enum csv_line csv_parse_line(const char *line, bool first, struct csv_row *row, char *why,
			     size_t whylen)
{
	static const char *const names[] = { "time_ns", "gpa", "vcpu" };
	const char *end = line + strlen(line), *p;
	uint64_t v[3] = { 0, 0, 0 };
	unsigned n = 0;

	while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	p = skip_blanks(line, end);
	if (p == end || *p == '#')
		return CSV_SKIP;
	if (first && !isdigit((unsigned char)*p))
		return CSV_HEADER;
	for (;; p++) {
		if (n == 3) {
			snprintf(why, whylen, "more than three fields");
			return CSV_BAD;
		}
		const char *field = p = skip_blanks(p, end);
		if (!parse_u64(&p, end, n == 1, &v[n]) || ((p = skip_blanks(p, end)) < end && *p != ',')) {
			bad_field(why, whylen, names[n], field, end);
			return CSV_BAD;
		}
		n++;
		if (p == end)
			break;
	}
	if (n < 2) {
		snprintf(why, whylen, "no gpa");
		return CSV_BAD;
	}
	if (v[2] >= TRACE_VCPUS_MAX) {
		snprintf(why, whylen, "vcpu %llu is not below %u", (unsigned long long)v[2], TRACE_VCPUS_MAX);
		return CSV_BAD;
	}
	*row = (struct csv_row){ .time = v[0], .gpa = v[1], .vcpu = (uint32_t)v[2] };
	return CSV_ROW;
}

/* ---- the file ---- */

struct row {
	uint64_t time, gfn, line; /* the line number also keeps rows of equal time in order */
	uint32_t vcpu;
};

struct rows {
	struct row *v;
	size_t n, cap;
	uint64_t max_gfn;
	uint32_t max_vcpu;
	bool started; /* a row or the header came */
};

static bool push(struct rows *rs, const struct row *r)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 4096;
		struct row *v = realloc(rs->v, cap * sizeof *v);
		if (!v)
			return false;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
	rs->max_gfn = r->gfn > rs->max_gfn ? r->gfn : rs->max_gfn;
	rs->max_vcpu = r->vcpu > rs->max_vcpu ? r->vcpu : rs->max_vcpu;
	return true;
}

/* One line into rows; false with "NAME:LINE: reason" in err. */
static bool take_line(const struct import_config *c, const char *name, const char *buf, size_t len,
		      uint64_t line, struct rows *rs, char *err, size_t errlen)
{
	uint64_t ram = c->ram ? c->ram : TRACE_RAM_MAX;
	char why[128];
	struct csv_row r;

	if (strlen(buf) != len) {
		snprintf(err, errlen, "%s:%llu: a NUL byte", name, (unsigned long long)line);
		return false;
	}
	switch (csv_parse_line(buf, !rs->started, &r, why, sizeof why)) {
	case CSV_SKIP:
		return true;
	case CSV_HEADER:
		rs->started = true;
		return true;
	case CSV_BAD:
		snprintf(err, errlen, "%s:%llu: expected time_ns,gpa[,vcpu]: %s", name,
			 (unsigned long long)line, why);
		return false;
	case CSV_ROW:
		rs->started = true;
		break;
	}
	if (r.gpa >= ram) {
		snprintf(err, errlen, "%s:%llu: gpa 0x%llx is beyond guest RAM (%llu bytes%s)", name,
			 (unsigned long long)line, (unsigned long long)r.gpa, (unsigned long long)ram,
			 c->ram ? ", --ram" : ", the most a trace may describe");
		return false;
	}
	if (!push(rs, &(struct row){ .time = r.time, .gfn = r.gpa / TRACE_PAGE_SIZE, .line = line,
				     .vcpu = r.vcpu })) {
		snprintf(err, errlen, "%s:%llu: out of memory", name, (unsigned long long)line);
		return false;
	}
	return true;
}

static bool read_rows(const struct import_config *c, FILE *f, const char *name, struct rows *rs,
		      char *err, size_t errlen)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t line = 0;
	bool ok = true;

	errno = 0;
	while (ok && (len = getline(&buf, &cap, f)) >= 0)
		ok = take_line(c, name, buf, (size_t)len, ++line, rs, err, errlen);
	if (ok && ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", name, strerror(errno));
		ok = false;
	}
	free(buf);
	return ok;
}

static int by_time(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* "hvsim trace import --csv NAME", NAME made printable and cut to fit. */
static void default_source(const char *csv, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "hvsim trace import --csv ");

	for (; *csv && n + 1 < len; csv++)
		buf[n++] = trace_source_char(*csv) ? *csv : '?';
	buf[n] = 0;
}

static void header_for(const struct import_config *c, const struct rows *rs, struct trace_header *h)
{
	uint64_t top = (rs->n ? rs->max_gfn + 1 : 1) * TRACE_PAGE_SIZE;

	*h = (struct trace_header){ .page_size = TRACE_PAGE_SIZE, .vcpus = rs->max_vcpu + 1,
				    .quantum = c->quantum };
	h->guest_ram = c->ram ? c->ram : (top + IMPORT_RAM_ALIGN - 1) / IMPORT_RAM_ALIGN * IMPORT_RAM_ALIGN;
	if (c->source)
		snprintf(h->source, sizeof h->source, "%s", c->source);
	else
		default_source(c->csv, h->source, sizeof h->source);
}

static bool write_rows(const struct import_config *c, const char *name, const struct rows *rs,
		       struct merge_totals *t, char *err, size_t errlen)
{
	const struct row *last = rs->n ? &rs->v[rs->n - 1] : NULL;
	uint64_t duration = !last ? 0 : last->time == UINT64_MAX ? UINT64_MAX : last->time + 1;
	struct trace_merger m;
	struct trace_header h;

	if (c->have_duration && last && c->duration < last->time) {
		snprintf(err, errlen, "%s:%llu: time %llu is past --duration %llu", name,
			 (unsigned long long)last->line, (unsigned long long)last->time,
			 (unsigned long long)c->duration);
		return false;
	}
	header_for(c, rs, &h);
	if (!merger_create(&m, c->out, &h, err, errlen))
		return false;
	for (size_t i = 0; i < rs->n; i++) {
		struct trace_event e = { .time = rs->v[i].time, .gfn = rs->v[i].gfn, .vcpu = rs->v[i].vcpu };
		if (!merger_write(&m, &e, err, errlen)) {
			merger_abandon(&m);
			return false;
		}
	}
	return merger_finish(&m, c->have_duration ? c->duration : duration, t, err, errlen);
}

bool import_csv(const struct import_config *c, struct merge_totals *t, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(c->csv, "-");
	const char *name = is_stdin ? "stdin" : c->csv;
	FILE *f = is_stdin ? stdin : fopen(c->csv, "r");
	struct rows rs = { 0 };
	bool ok;

	if (!f) {
		snprintf(err, errlen, "%s: %s", c->csv, strerror(errno));
		return false;
	}
	ok = read_rows(c, f, name, &rs, err, errlen);
	if (!is_stdin)
		fclose(f);
	if (ok) {
		qsort(rs.v, rs.n, sizeof *rs.v, by_time);
		ok = write_rows(c, name, &rs, t, err, errlen);
	}
	free(rs.v);
	return ok;
}
