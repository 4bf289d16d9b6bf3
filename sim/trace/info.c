/* Trace statistics (info.h). */
#include "sim/trace/info.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/trace/pageset.h"

#define CHUNK 4096 /* events per trace_read */

/* ---- counting ---- */

struct tally {
	struct trace_info *ti;
	struct pageset all, bucket;
	unsigned cur; /* the bucket being filled */
};

static bool tally_start(struct tally *t, struct trace_info *ti, uint64_t duration)
{
	uint64_t pages = ti->h.guest_ram / TRACE_PAGE_SIZE;
	unsigned n = ti->nbuckets;

	*t = (struct tally){ .ti = ti };
	ti->duration = duration;
	for (unsigned i = 0; i < n; i++) {
		ti->b[i].start = (uint64_t)((unsigned __int128)duration * i / n);
		ti->b[i].end = (uint64_t)((unsigned __int128)duration * (i + 1) / n);
	}
	if (pageset_init(&t->all, pages) && pageset_init(&t->bucket, pages))
		return true;
	pageset_free(&t->all);
	return false;
}

static void tally_event(struct tally *t, const struct trace_event *e)
{
	struct trace_info *ti = t->ti;

	while (t->cur + 1 < ti->nbuckets && e->time >= ti->b[t->cur + 1].start) {
		ti->b[t->cur++].pages = t->bucket.members;
		pageset_clear(&t->bucket);
	}
	ti->events++;
	ti->paging += (e->flags & TRACE_EV_PAGING) != 0;
	ti->b[t->cur].events++;
	pageset_add(&t->all, e->gfn);
	pageset_add(&t->bucket, e->gfn);
}

static void tally_end(struct tally *t)
{
	t->ti->b[t->cur].pages = t->bucket.members;
	t->ti->pages = t->all.members;
	pageset_free(&t->all);
	pageset_free(&t->bucket);
}

static bool tally_all(struct trace_reader *r, struct trace_info *ti, char *err, size_t errlen)
{
	static struct trace_event chunk[CHUNK];
	struct trace_totals tot;
	struct tally t;
	long n;

	if (!trace_reader_totals(r, &tot) || !tally_start(&t, ti, tot.duration)) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	while ((n = trace_read(r, chunk, CHUNK)) > 0)
		for (long i = 0; i < n; i++)
			tally_event(&t, &chunk[i]);
	tally_end(&t);
	if (n < 0)
		snprintf(err, errlen, "%s", trace_reader_error(r));
	return n == 0;
}

/*
 * From a pipe the duration, which places the buckets, comes last, in the trailer. The events go
 * first to a temporary trace, compressed as they came (a few bytes each, where holding them in
 * memory would take 24), which is then read like any file. 'tmp' gets its path.
 */
static bool spool(struct trace_reader *r, char *tmp, size_t len, char *err, size_t errlen)
{
	static struct trace_event chunk[CHUNK];
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct trace_writer *w;
	struct trace_totals tot;
	bool ok = true;
	long n;
	int fd;

	snprintf(tmp, len, "%s/hvsim-trace-info-XXXXXX", dir);
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return false;
	}
	close(fd);
	if (!(w = trace_create(tmp, trace_reader_header(r), err, errlen))) {
		unlink(tmp);
		return false;
	}
	while (ok && (n = trace_read(r, chunk, CHUNK)) > 0)
		for (long i = 0; ok && i < n; i++)
			ok = trace_write(w, &chunk[i]);
	if (ok && n < 0) {
		snprintf(err, errlen, "%s", trace_reader_error(r));
		ok = false;
	} else if (ok && !trace_reader_totals(r, &tot)) {
		snprintf(err, errlen, "the trailer is missing"); /* the reader checks it at the end */
		ok = false;
	} else if (!ok || !trace_finish(w, tot.duration)) {
		snprintf(err, errlen, "%s", trace_writer_error(w));
		ok = false;
	}
	trace_writer_free(w);
	if (!ok)
		unlink(tmp);
	return ok;
}

bool info_collect(const char *path, unsigned nbuckets, struct trace_info *ti, char *err,
		  size_t errlen)
{
	struct trace_reader *r = trace_open(path, err, errlen);
	struct trace_totals tot;
	char tmp[PATH_MAX] = "";
	bool ok;

	if (!r)
		return false;
	memset(ti, 0, sizeof *ti);
	ti->h = *trace_reader_header(r);
	ti->nbuckets = nbuckets;
	if (!trace_reader_totals(r, &tot)) {
		ok = spool(r, tmp, sizeof tmp, err, errlen);
		trace_close(r);
		if (!ok || !(r = trace_open(tmp, err, errlen))) {
			if (ok)
				unlink(tmp);
			return false;
		}
	}
	ok = tally_all(r, ti, err, errlen);
	trace_close(r);
	if (*tmp)
		unlink(tmp);
	return ok;
}

/* ---- printing ---- */

static double seconds(uint64_t t)
{
	return (double)t / TRACE_NS_PER_SECOND;
}

/* Events per virtual second over [start, end); false if the span is empty. */
static bool rate(uint64_t events, uint64_t start, uint64_t end, double *out)
{
	*out = end > start ? (double)events * TRACE_NS_PER_SECOND / (double)(end - start) : 0;
	return end > start;
}

static void print_rate(FILE *f, int width, uint64_t events, uint64_t start, uint64_t end)
{
	double r;

	if (rate(events, start, end, &r))
		fprintf(f, "%*.1f", width, r);
	else
		fprintf(f, "%*s", width, "n/a");
}

bool info_print(FILE *f, const char *path, const struct trace_info *ti)
{
	const struct trace_header *h = &ti->h;

	fprintf(f, "trace %s\n", path);
	fprintf(f, "  format version  %u\n", h->version);
	fprintf(f, "  page size       %u bytes\n", h->page_size);
	fprintf(f, "  guest RAM       %llu bytes (%llu pages)\n", (unsigned long long)h->guest_ram,
		(unsigned long long)(h->guest_ram / h->page_size));
	fprintf(f, "  vCPUs           %u\n", h->vcpus);
	fprintf(f, "  quantum         %llu instructions\n", (unsigned long long)h->quantum);
	fprintf(f, "  source          %s\n\n", h->source);
	fprintf(f, "  events          %llu (%llu paging-structure)\n", (unsigned long long)ti->events,
		(unsigned long long)ti->paging);
	fprintf(f, "  distinct pages  %llu\n", (unsigned long long)ti->pages);
	fprintf(f, "  duration        %llu instructions (%.9f s)\n", (unsigned long long)ti->duration,
		seconds(ti->duration));
	fprintf(f, "  mean rate       ");
	print_rate(f, 0, ti->events, 0, ti->duration);
	fprintf(f, " events per virtual second\n\n");
	fprintf(f, "  rate over time, %u buckets:\n", ti->nbuckets);
	fprintf(f, "         start_s           end_s      events     pages    events_per_s\n");
	for (unsigned i = 0; i < ti->nbuckets; i++) {
		const struct info_bucket *b = &ti->b[i];
		fprintf(f, "  %14.9f  %14.9f  %10llu  %8llu  ", seconds(b->start), seconds(b->end),
			(unsigned long long)b->events, (unsigned long long)b->pages);
		print_rate(f, 14, b->events, b->start, b->end);
		fputc('\n', f);
	}
	return !ferror(f) && fflush(f) == 0;
}

static json_t *rate_json(uint64_t events, uint64_t start, uint64_t end)
{
	double r;

	return rate(events, start, end, &r) ? json_real(r) : json_null();
}

static json_t *header_json(const struct trace_header *h)
{
	json_t *o = json_object();

	json_object_set_new(o, "version", json_integer(h->version));
	json_object_set_new(o, "page_size", json_integer(h->page_size));
	json_object_set_new(o, "guest_ram", json_integer((json_int_t)h->guest_ram));
	json_object_set_new(o, "guest_pages", json_integer((json_int_t)(h->guest_ram / h->page_size)));
	json_object_set_new(o, "vcpus", json_integer(h->vcpus));
	json_object_set_new(o, "quantum", json_integer((json_int_t)h->quantum));
	json_object_set_new(o, "source", json_string(h->source));
	return o;
}

static json_t *totals_json(const struct trace_info *ti)
{
	json_t *o = json_object();

	json_object_set_new(o, "events", json_integer((json_int_t)ti->events));
	json_object_set_new(o, "paging_events", json_integer((json_int_t)ti->paging));
	json_object_set_new(o, "distinct_pages", json_integer((json_int_t)ti->pages));
	json_object_set_new(o, "duration", json_integer((json_int_t)ti->duration));
	json_object_set_new(o, "duration_s", json_real(seconds(ti->duration)));
	json_object_set_new(o, "events_per_s", rate_json(ti->events, 0, ti->duration));
	return o;
}

static json_t *bucket_json(const struct info_bucket *b)
{
	json_t *o = json_object();

	json_object_set_new(o, "start", json_integer((json_int_t)b->start));
	json_object_set_new(o, "end", json_integer((json_int_t)b->end));
	json_object_set_new(o, "start_s", json_real(seconds(b->start)));
	json_object_set_new(o, "end_s", json_real(seconds(b->end)));
	json_object_set_new(o, "events", json_integer((json_int_t)b->events));
	json_object_set_new(o, "pages", json_integer((json_int_t)b->pages));
	json_object_set_new(o, "events_per_s", rate_json(b->events, b->start, b->end));
	return o;
}

bool info_print_json(FILE *f, const char *path, const struct trace_info *ti)
{
	json_t *root = json_object(), *buckets = json_array();
	json_t *file = json_string(path); /* NULL if not UTF-8 */

	json_object_set_new(root, "file", file ? file : json_null());
	json_object_set_new(root, "header", header_json(&ti->h));
	json_object_set_new(root, "totals", totals_json(ti));
	for (unsigned i = 0; i < ti->nbuckets; i++)
		json_array_append_new(buckets, bucket_json(&ti->b[i]));
	json_object_set_new(root, "buckets", buckets);
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(root);
	fputc('\n', f);
	return rc == 0 && !ferror(f) && fflush(f) == 0;
}
