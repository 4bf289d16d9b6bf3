/*
 * The migration trace file format (sim/trace/FORMAT.md) against its writer and reader.
 *
 * The oracle is the specification, re-implemented here in a few lines: this file encodes
 * varints, zigzag deltas, headers, chunks and trailers itself, takes CRCs from zlib and frames
 * from libzstd, and walks files the writer made with its own parser. So a file built here from
 * the spec must read back as the events it was built from, a file the writer made must parse
 * here into the bytes the spec says, and every file broken on purpose (truncated, bit-flipped,
 * hostile sizes, events that break a rule) must be rejected with "PATH: offset N: ...", never
 * accepted, never crash, and never make the reader allocate from an unchecked size.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "sim/trace/trace.h"
#include "tests/lib/harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* FORMAT.md's limits and sizes, restated. */
#define HDR_FIXED 46
#define CHUNK_HDR 20
#define TRAILER 32
#define CHUNK_EVENTS 65536

/* ================================ bytes, by the spec ================================ */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (!n)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		uint8_t x = (uint8_t)(v >> (8 * i));
		put(b, &x, 1);
	}
}

/* FORMAT.md 1: unsigned LEB128, seven bits at a time, low group first. */
static void put_varint(struct buf *b, uint64_t v)
{
	do {
		uint8_t x = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			x |= 0x80;
		put(b, &x, 1);
	} while (v);
}

static uint64_t zz(int64_t d)
{
	return d >= 0 ? 2 * (uint64_t)d : 2 * (uint64_t)(-(d + 1)) + 1;
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(0, p, (uInt)n);
}

/* FORMAT.md 5: one event, relative to *pt / *pg. */
static void put_event(struct buf *b, const struct trace_event *e, uint64_t *pt, uint64_t *pg,
		      uint32_t vcpus)
{
	put_varint(b, e->time - *pt);
	put_varint(b, zz((int64_t)(e->gfn - *pg)) * 2 + (e->flags & 1));
	if (vcpus > 1)
		put_varint(b, e->vcpu);
	*pt = e->time;
	*pg = e->gfn;
}

struct hdr {
	uint16_t version, header_size; /* header_size 0: 46 + source_len */
	uint32_t page_size, vcpus, flags, reserved;
	uint64_t ram, quantum;
	int source_len;                /* -1: strlen(source) */
	const char *source;
};

static const struct hdr good_hdr = { .version = 1, .page_size = 4096, .vcpus = 2,
				     .ram = 16 * 4096, .quantum = 100, .source_len = -1,
				     .source = "example" };

static void put_header(struct buf *b, const struct hdr *h)
{
	size_t slen = h->source_len < 0 ? strlen(h->source) : (size_t)h->source_len;
	size_t start = b->len;

	put(b, "HVSTRACE", 8);
	put_le(b, h->version, 2);
	put_le(b, h->header_size ? h->header_size : HDR_FIXED + slen, 2);
	put_le(b, h->page_size, 4);
	put_le(b, h->ram, 8);
	put_le(b, h->quantum, 8);
	put_le(b, h->vcpus, 4);
	put_le(b, h->flags, 4);
	put_le(b, slen, 2);
	put_le(b, h->reserved, 4);
	/* source_len may exceed the text (hostile lengths): the text repeats to fill it. */
	for (size_t i = 0; i < slen; i++)
		put(b, h->source[0] ? &h->source[i % strlen(h->source)] : "x", 1);
	put_le(b, crc_of(b->p + start, b->len - start), 4);
}

/* A chunk header with any field values and a CRC of the header alone (no frame follows). */
static void put_chunk_header(struct buf *b, uint32_t events, uint32_t raw, uint32_t comp)
{
	size_t start = b->len;

	put(b, "CHNK", 4);
	put_le(b, events, 4);
	put_le(b, raw, 4);
	put_le(b, comp, 4);
	put_le(b, crc_of(b->p + start, 16), 4);
}

/* A chunk holding the frame fr[n]: its CRC covers header bytes 0..15, then the frame. */
static void put_chunk_frame(struct buf *b, uint32_t events, uint32_t raw, const uint8_t *fr,
			    size_t n)
{
	size_t start = b->len;

	put(b, "CHNK", 4);
	put_le(b, events, 4);
	put_le(b, raw, 4);
	put_le(b, n, 4);
	put_le(b, crc32(crc_of(b->p + start, 16), fr, (uInt)n), 4);
	put(b, fr, n);
}

/* zstd at level 3 with the content checksum, or without it / without the content size. */
static size_t frame(uint8_t *out, size_t cap, const struct buf *raw, int checksum, int size_flag)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, size_flag);
	size_t n = ZSTD_compress2(c, out, cap, raw->p, raw->len);
	ZSTD_freeCCtx(c);
	ck_assert(!ZSTD_isError(n));
	return n;
}

static void put_chunk(struct buf *b, uint32_t events, const struct buf *raw)
{
	size_t cap = ZSTD_compressBound(raw->len);
	uint8_t *f = malloc(cap);

	put_chunk_frame(b, events, (uint32_t)raw->len, f, frame(f, cap, raw, 1, 1));
	free(f);
}

static void put_trailer(struct buf *b, uint32_t chunks, uint64_t events, uint64_t duration)
{
	size_t start = b->len;

	put(b, "TEND", 4);
	put_le(b, chunks, 4);
	put_le(b, events, 8);
	put_le(b, duration, 8);
	put_le(b, 0, 4);
	put_le(b, crc_of(b->p + start, 28), 4);
}

/* =============================== reading, via the API =============================== */

struct got {
	bool ok;
	struct trace_event *ev;
	size_t n;
	struct trace_header h;
	struct trace_totals totals;
	bool totals_at_open;
	uint64_t offset;     /* trace_reader_offset at the end */
	char err[1024];
};

static void read_path(struct got *g, const char *path, size_t batch)
{
	struct trace_reader *r;
	size_t cap = 0;
	long k;

	*g = (struct got){ 0 };
	if (!(r = trace_open(path, g->err, sizeof g->err)))
		return;
	g->h = *trace_reader_header(r);
	g->totals_at_open = trace_reader_totals(r, &g->totals);
	for (;;) {
		if (g->n + batch > cap) {
			cap = 2 * cap + batch;
			g->ev = realloc(g->ev, cap * sizeof *g->ev);
		}
		if ((k = trace_read(r, g->ev + g->n, batch)) <= 0)
			break;
		g->n += (size_t)k;
	}
	if (k < 0)
		snprintf(g->err, sizeof g->err, "%s", trace_reader_error(r));
	else
		g->ok = trace_reader_totals(r, &g->totals);
	g->offset = trace_reader_offset(r);
	trace_close(r);
}

static void got_free(struct got *g)
{
	free(g->ev);
	g->ev = NULL;
}

/* A pipe that a child fills with data: the reader sees a non-seekable /dev/fd path. */
struct pipe_src {
	char path[32];
	int fd;
	pid_t child;
};

static void pipe_open(struct pipe_src *s, const void *data, size_t len)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	s->child = fork();
	ck_assert_int_ge(s->child, 0);
	if (!s->child) {
		signal(SIGPIPE, SIG_DFL);
		close(p[0]);
		for (size_t off = 0; off < len;) {
			ssize_t k = write(p[1], (const uint8_t *)data + off, len - off);
			if (k <= 0)
				_exit(0);
			off += (size_t)k;
		}
		_exit(0);
	}
	close(p[1]);
	s->fd = p[0];
	snprintf(s->path, sizeof s->path, "/dev/fd/%d", p[0]);
}

static void pipe_close(struct pipe_src *s)
{
	close(s->fd);
	waitpid(s->child, NULL, 0);
}

/* Read bytes from a temporary file or from a pipe. */
static void read_bytes(struct got *g, const struct buf *file, bool piped, size_t batch)
{
	if (piped) {
		struct pipe_src s;
		pipe_open(&s, file->p, file->len);
		read_path(g, s.path, batch);
		pipe_close(&s);
	} else {
		const char *path = temp_file(file->p, file->len);
		read_path(g, path, batch);
		unlink(path);
	}
}

static void expect_events(const struct got *g, const struct trace_event *want, size_t n)
{
	ck_assert_msg(g->ok, "read failed: %s", g->err);
	ck_assert_uint_eq(g->n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(g->ev[i].time == want[i].time && g->ev[i].gfn == want[i].gfn &&
				      g->ev[i].vcpu == want[i].vcpu && g->ev[i].flags == want[i].flags,
			      "event %zu: got time %llu gfn %llu vcpu %u flags %u, want %llu %llu %u %u",
			      i, (unsigned long long)g->ev[i].time, (unsigned long long)g->ev[i].gfn,
			      g->ev[i].vcpu, g->ev[i].flags, (unsigned long long)want[i].time,
			      (unsigned long long)want[i].gfn, want[i].vcpu, want[i].flags);
}

/* Rejected, with a one-line "PATH: offset N: ..." that contains 'want' (if given). */
static void expect_rejected(const struct got *g, const char *want, const char *why)
{
	ck_assert_msg(!g->ok, "%s: accepted", why);
	ck_assert_msg(strstr(g->err, ": offset ") != NULL, "%s: no offset in '%s'", why, g->err);
	ck_assert_msg(!strchr(g->err, '\n'), "%s: multi-line message '%s'", why, g->err);
	if (want)
		ck_assert_msg(strstr(g->err, want) != NULL, "%s: '%s' does not say '%s'", why,
			      g->err, want);
}

/* ============================== writing, via the API =============================== */

static struct trace_header api_header(uint64_t pages, uint64_t quantum, uint32_t vcpus,
				      const char *source)
{
	struct trace_header h = { .page_size = 4096, .vcpus = vcpus, .guest_ram = pages * 4096,
				  .quantum = quantum };
	snprintf(h.source, sizeof h.source, "%s", source);
	return h;
}

/* Write events with the writer; the file's bytes into *out. */
static void write_file(struct buf *out, const struct trace_header *h, const struct trace_event *e,
		       size_t n, uint64_t duration)
{
	char path[] = "/tmp/hvsim-trace-XXXXXX", err[512];
	int fd = mkstemp(path);
	struct trace_writer *w;
	uint8_t chunk[65536];
	ssize_t k;

	ck_assert_int_ge(fd, 0);
	w = trace_create(path, h, err, sizeof err);
	ck_assert_msg(w != NULL, "%s", err);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(trace_write(w, &e[i]), "event %zu: %s", i, trace_writer_error(w));
	ck_assert_msg(trace_finish(w, duration), "%s", trace_writer_error(w));
	trace_writer_free(w);
	*out = (struct buf){ 0 };
	while ((k = read(fd, chunk, sizeof chunk)) > 0)
		put(out, chunk, (size_t)k);
	close(fd);
	unlink(path);
}

/* xorshift64*: the test's own pseudo-random numbers. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/*
 * n valid events: time steps of 0, small, and now and then huge; pages uniform; each page at
 * most once per quantum (a page already taken in the quantum is redrawn).
 */
static struct trace_event *random_events(size_t n, uint64_t pages, uint64_t quantum,
					 uint32_t vcpus, uint64_t seed)
{
	struct trace_event *e = calloc(n, sizeof *e);
	uint64_t *taken = calloc(pages, sizeof *taken); /* quantum index + 1 */
	uint64_t t = 0, s = seed;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd(&s), g;
		t += r % 4 == 0 ? 0 : r % 4 == 1 ? r % 50 : r % 997 == 0 ? r % (1ull << 40) : r % 3000;
		for (unsigned tries = 0;; tries++) {
			g = rnd(&s) % pages;
			if (taken[g] != t / quantum + 1)
				break;
			if (tries == 20) /* a crowded quantum: on to the next */
				t = (t / quantum + 1) * quantum;
		}
		taken[g] = t / quantum + 1;
		e[i] = (struct trace_event){ .time = t, .gfn = g, .vcpu = (uint32_t)(rnd(&s) % vcpus),
					     .flags = (uint32_t)(rnd(&s) & 1) };
	}
	free(taken);
	return e;
}

/* What the spec says a file's event stream, all chunks together, is for these events. */
static void expected_stream(struct buf *b, const struct trace_event *e, size_t n, uint32_t vcpus)
{
	uint64_t pt = 0, pg = 0;

	*b = (struct buf){ 0 };
	for (size_t i = 0; i < n; i++)
		put_event(b, &e[i], &pt, &pg, vcpus);
}

static uint64_t le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A file parsed by FORMAT.md alone: where each structure starts, and the streams joined. */
struct walk {
	size_t header_len, nchunks, chunk_off[64], trailer_off;
	uint64_t chunk_events[64], events, duration;
	struct buf stream;
};

static void walk_file(struct walk *w, const struct buf *f)
{
	size_t off;

	*w = (struct walk){ 0 };
	ck_assert_mem_eq(f->p, "HVSTRACE", 8);
	w->header_len = le(f->p + 10, 2) + 4;
	ck_assert_uint_eq(le(f->p + w->header_len - 4, 4), crc_of(f->p, w->header_len - 4));
	for (off = w->header_len; !memcmp(f->p + off, "CHNK", 4);) {
		uint64_t raw = le(f->p + off + 8, 4), comp = le(f->p + off + 12, 4);
		uint8_t *dst = malloc(raw);
		ck_assert_uint_lt(w->nchunks, ARRAY_LEN(w->chunk_off));
		ck_assert_uint_eq(le(f->p + off + 16, 4),
				  crc32(crc_of(f->p + off, 16), f->p + off + 20, (uInt)comp));
		ck_assert_uint_eq(ZSTD_getFrameContentSize(f->p + off + 20, comp), raw);
		ck_assert_uint_eq(ZSTD_decompress(dst, raw, f->p + off + 20, comp), raw);
		put(&w->stream, dst, raw);
		free(dst);
		w->chunk_off[w->nchunks] = off;
		w->chunk_events[w->nchunks++] = le(f->p + off + 4, 4);
		ck_assert_uint_le(le(f->p + off + 4, 4), CHUNK_EVENTS);
		off += CHUNK_HDR + comp;
	}
	ck_assert_mem_eq(f->p + off, "TEND", 4);
	ck_assert_uint_eq(off + TRAILER, f->len);
	ck_assert_uint_eq(le(f->p + off + 28, 4), crc_of(f->p + off, 28));
	ck_assert_uint_eq(le(f->p + off + 4, 4), w->nchunks);
	w->trailer_off = off;
	w->events = le(f->p + off + 8, 8);
	w->duration = le(f->p + off + 16, 8);
}

/* ================================ the worked example ================================ */

/* FORMAT.md section 8, byte for byte. */
static const uint8_t example[] = {
	0x48, 0x56, 0x53, 0x54, 0x52, 0x41, 0x43, 0x45, 0x01, 0x00, 0x35, 0x00, 0x00, 0x10, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x04, 0x66, 0x65, 0xda, /* header */
	0x43, 0x48, 0x4e, 0x4b, 0x03, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00,
	0x00, 0x13, 0xf2, 0x98, 0x59, /* chunk header */
	0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x0a, 0x51, 0x00, 0x00, 0x05, 0x0c, 0x00, 0x00, 0x07, 0x01,
	0xa7, 0x02, 0x04, 0x00, 0xd7, 0xb7, 0xd9, 0xba, /* frame */
	0x54, 0x45, 0x4e, 0x44, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xca, 0xb3,
	0xa3, 0x4a, /* trailer */
};
static const uint8_t example_stream[] = { 0x05, 0x0c, 0x00, 0x00, 0x07, 0x01,
					  0xa7, 0x02, 0x04, 0x00 };
static const struct trace_event example_events[] = {
	{ .time = 5, .gfn = 3, .vcpu = 0, .flags = 0 },
	{ .time = 5, .gfn = 1, .vcpu = 1, .flags = TRACE_EV_PAGING },
	{ .time = 300, .gfn = 2, .vcpu = 0, .flags = 0 },
};

START_TEST(example_reads_as_specified)
{
	struct buf f = { (uint8_t *)example, sizeof example, 0 };

	for (int piped = 0; piped < 2; piped++) {
		struct got g;
		read_bytes(&g, &f, piped, 2);
		expect_events(&g, example_events, 3);
		ck_assert_uint_eq(g.h.version, 1);
		ck_assert_uint_eq(g.h.page_size, 4096);
		ck_assert_uint_eq(g.h.guest_ram, 65536);
		ck_assert_uint_eq(g.h.quantum, 100);
		ck_assert_uint_eq(g.h.vcpus, 2);
		ck_assert_str_eq(g.h.source, "example");
		ck_assert_uint_eq(g.totals.events, 3);
		ck_assert_uint_eq(g.totals.duration, 1000);
		ck_assert_int_eq(g.totals_at_open, !piped); /* a pipe's trailer comes at the end */
		ck_assert_uint_eq(g.offset, sizeof example);
		got_free(&g);
	}
}
END_TEST

/* The writer makes the example's bytes; only the frame may differ (another zstd may choose). */
START_TEST(writer_makes_the_example)
{
	struct trace_header h = api_header(16, 100, 2, "example");
	struct buf f;
	struct walk w;

	write_file(&f, &h, example_events, 3, 1000);
	walk_file(&w, &f);
	ck_assert_mem_eq(f.p, example, 57 + 12); /* header, chunk tag, events, raw_size */
	ck_assert_uint_eq(w.stream.len, sizeof example_stream);
	ck_assert_mem_eq(w.stream.p, example_stream, sizeof example_stream);
	ck_assert_uint_eq(f.len - w.trailer_off, TRAILER);
	ck_assert_mem_eq(f.p + w.trailer_off, example + sizeof example - TRAILER, TRAILER);
	/* Its frame carries the content size and checksum the reader insists on. */
	ck_assert_uint_eq(f.p[w.chunk_off[0] + CHUNK_HDR + 4] & 0x04, 0x04);
	free(f.p);
	free(w.stream.p);
}
END_TEST

/* The same events built here from the spec, with vcpus 1 (no vcpu varint) and two chunks. */
START_TEST(spec_built_file_reads_back)
{
	struct hdr hs = good_hdr;
	struct trace_event e[3];
	struct buf f = { 0 }, c0 = { 0 }, c1 = { 0 };
	uint64_t pt = 0, pg = 0;
	struct got g;

	hs.vcpus = 1;
	memcpy(e, example_events, sizeof e);
	e[1].vcpu = 0;
	put_header(&f, &hs);
	put_event(&c0, &e[0], &pt, &pg, 1);
	put_event(&c0, &e[1], &pt, &pg, 1);
	put_event(&c1, &e[2], &pt, &pg, 1); /* relative to event 1, in the chunk before */
	ck_assert_uint_eq(c0.len + c1.len, 7);
	ck_assert_uint_eq(c1.p[0], 0xa7);
	put_chunk(&f, 2, &c0);
	put_chunk(&f, 1, &c1);
	put_trailer(&f, 2, 3, 300);
	for (int piped = 0; piped < 2; piped++) {
		read_bytes(&g, &f, piped, 1);
		expect_events(&g, e, 3);
		got_free(&g);
	}
	free(f.p);
	free(c0.p);
	free(c1.p);
}
END_TEST

/* ==================================== round trips =================================== */

static void round_trip(size_t n, uint64_t pages, uint64_t quantum, uint32_t vcpus,
		       uint64_t seed, size_t min_chunks)
{
	struct trace_header h = api_header(pages, quantum, vcpus, "round trip");
	struct trace_event *e = random_events(n, pages, quantum, vcpus, seed);
	uint64_t duration = n ? e[n - 1].time + 7 : 7;
	struct buf f, want;
	struct walk w;
	uint64_t sum = 0;

	write_file(&f, &h, e, n, duration);
	walk_file(&w, &f);
	expected_stream(&want, e, n, vcpus);
	ck_assert_uint_eq(w.stream.len, want.len);
	ck_assert_msg(!memcmp(w.stream.p, want.p, want.len), "stream differs from the spec's");
	ck_assert_uint_ge(w.nchunks, min_chunks);
	for (size_t i = 0; i < w.nchunks; i++)
		sum += w.chunk_events[i];
	ck_assert_uint_eq(sum, n);
	ck_assert_uint_eq(w.events, n);
	ck_assert_uint_eq(w.duration, duration);
	for (int piped = 0; piped < 2; piped++) {
		struct got g;
		read_bytes(&g, &f, piped, piped ? 4096 : 777);
		expect_events(&g, e, n);
		ck_assert_uint_eq(g.totals.events, n);
		ck_assert_uint_eq(g.totals.duration, duration);
		ck_assert_uint_eq(g.offset, f.len);
		got_free(&g);
	}
	free(e);
	free(f.p);
	free(want.p);
	free(w.stream.p);
}

START_TEST(round_trip_random)
{
	round_trip(5000, 8192, 1000, 1, 1, 1);
}
END_TEST

START_TEST(round_trip_vcpus)
{
	round_trip(5000, 1000, 100000, 7, 2, 1);
	round_trip(3000, 64, 1ull << 50, 256, 3, 1); /* crowded quanta, the largest vCPU count */
}
END_TEST

/* More than 65536 events, so several chunks with deltas running across them. */
START_TEST(round_trip_chunks)
{
	round_trip(3 * CHUNK_EVENTS + 5, 1 << 18, 1ull << 62, 1, 4, 4); /* one quantum */
}
END_TEST

START_TEST(empty_trace)
{
	struct trace_header h = api_header(1, 1, 1, "");
	struct buf f, spec = { 0 };
	struct hdr hs = good_hdr;
	struct got g;

	write_file(&f, &h, NULL, 0, 0);
	hs.ram = 4096, hs.quantum = 1, hs.vcpus = 1, hs.source = "";
	put_header(&spec, &hs);
	put_trailer(&spec, 0, 0, 0);
	ck_assert_uint_eq(f.len, spec.len);
	ck_assert_mem_eq(f.p, spec.p, f.len);
	read_bytes(&g, &f, false, 10);
	expect_events(&g, NULL, 0);
	got_free(&g);
	free(f.p);
	free(spec.p);
}
END_TEST

/* The largest source, then one byte too many and an unprintable one. */
START_TEST(source_text)
{
	struct trace_header h = api_header(4, 10, 1, "");
	struct trace_event e = { .time = 3, .gfn = 1 };
	struct trace_writer *w;
	struct buf f;
	struct got g;
	char err[512];

	for (int i = 0; i < TRACE_SOURCE_MAX; i++)
		h.source[i] = (char)(' ' + i % 95);
	write_file(&f, &h, &e, 1, 3);
	ck_assert_uint_eq(le(f.p + 10, 2), HDR_FIXED + 1024);
	ck_assert_uint_eq(le(f.p + 40, 2), 1024);
	read_bytes(&g, &f, false, 1);
	expect_events(&g, &e, 1);
	ck_assert_mem_eq(g.h.source, h.source, TRACE_SOURCE_MAX + 1);
	got_free(&g);
	free(f.p);

	h.source[TRACE_SOURCE_MAX] = 'x'; /* no NUL within 1024 bytes */
	ck_assert_ptr_null(trace_create("/tmp/hvsim-never-created", &h, err, sizeof err));
	strcpy(h.source, "tab\there");
	ck_assert_ptr_null(w = trace_create("/tmp/hvsim-never-created", &h, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "printable"));
	ck_assert_int_ne(access("/tmp/hvsim-never-created", F_OK), 0);
}
END_TEST

/* ================================= writer rules ================================== */

START_TEST(writer_rejects_bad_headers)
{
	static const struct {
		uint32_t page_size, vcpus;
		uint64_t ram, quantum;
		const char *rule;
	} c[] = {
		{ 8192, 1, 1 << 20, 1, "page size is 4096" },
		{ 4096, 1, 0, 1, "guest RAM is positive" },
		{ 4096, 1, 4097, 1, "guest RAM is a multiple of the page size" },
		{ 4096, 1, (64ull << 30) + 4096, 1, "guest RAM is at most 64 GiB" },
		{ 4096, 1, 1 << 20, 0, "quantum is at least 1" },
		{ 4096, 0, 1 << 20, 1, "at least one vCPU" },
		{ 4096, 257, 1 << 20, 1, "at most 256 vCPUs" },
	};
	char err[512];

	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct trace_header h = { .page_size = c[i].page_size, .vcpus = c[i].vcpus,
					  .guest_ram = c[i].ram, .quantum = c[i].quantum };
		err[0] = 0;
		ck_assert_msg(!trace_create("/tmp/hvsim-never-created", &h, err, sizeof err),
			      "%s: accepted", c[i].rule);
		ck_assert_msg(strstr(err, "/tmp/hvsim-never-created: "), "%s: '%s'", c[i].rule, err);
	}
	ck_assert_int_ne(access("/tmp/hvsim-never-created", F_OK), 0);
}
END_TEST

START_TEST(writer_io_errors)
{
	struct trace_header h = api_header(16, 100, 1, "x");
	char err[512];

	ck_assert_ptr_null(trace_create("/nonexistent-dir/t", &h, err, sizeof err));
	ck_assert_str_eq(err, "/nonexistent-dir/t: No such file or directory");
	ck_assert_ptr_null(trace_create("/dev/full", &h, err, sizeof err));
	ck_assert_msg(strstr(err, "/dev/full") && strstr(err, "No space left on device"), "%s", err);
}
END_TEST

/*
 * After a valid prefix, one event or duration the rules forbid: the writer says why, every
 * later call fails, and the abandoned file (no trailer) is one readers reject.
 */
START_TEST(writer_rejects_bad_events)
{
	static const struct trace_event prefix[] = {
		{ .time = 10, .gfn = 3 },
		{ .time = 10, .gfn = 15, .vcpu = 1, .flags = TRACE_EV_PAGING }, /* top page, vCPU */
		{ .time = 99, .gfn = 4 },
		{ .time = 100, .gfn = 3 },  /* gfn 3 again, but quantum 1 (times 100..199) */
	};
	static const struct {
		struct trace_event e;
		uint64_t duration; /* 0: the event is the bad part */
		const char *says, *rule;
	} c[] = {
		{ { .time = 99, .gfn = 5 }, 0, "before", "times are nondecreasing" },
		{ { .time = 199, .gfn = 3 }, 0, "twice", "a page once per quantum" },
		{ { .time = 100, .gfn = 16 }, 0, "outside", "gfn below guest_ram / 4096" },
		{ { .time = 100, .gfn = 5, .vcpu = 2 }, 0, "vCPU", "vcpu below vcpus" },
		{ { .time = 100, .gfn = 5, .flags = 2 }, 0, "flags", "only the paging flag" },
		{ { .time = 100, .gfn = 5 }, 99, "duration", "duration >= last time" },
	};
	struct trace_header h = api_header(16, 100, 2, "rules");

	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		char path[] = "/tmp/hvsim-trace-XXXXXX", err[512];
		int fd = mkstemp(path);
		struct trace_writer *w = trace_create(path, &h, err, sizeof err);
		struct got g;

		ck_assert_int_ge(fd, 0);
		close(fd);
		ck_assert_msg(w != NULL, "%s", err);
		for (size_t j = 0; j < ARRAY_LEN(prefix); j++)
			ck_assert_msg(trace_write(w, &prefix[j]), "%s", trace_writer_error(w));
		if (c[i].duration) {
			ck_assert_msg(trace_write(w, &c[i].e), "%s", trace_writer_error(w));
			ck_assert_msg(!trace_finish(w, c[i].duration), "%s: accepted", c[i].rule);
		} else {
			ck_assert_msg(!trace_write(w, &c[i].e), "%s: accepted", c[i].rule);
			ck_assert_msg(!trace_write(w, &(struct trace_event){ .time = 500 }),
				      "%s: the error did not stick", c[i].rule);
			ck_assert(!trace_finish(w, 1000));
		}
		ck_assert_msg(strstr(trace_writer_error(w), c[i].says), "%s: '%s'", c[i].rule,
			      trace_writer_error(w));
		ck_assert_msg(!strncmp(trace_writer_error(w), path, strlen(path)), "%s: '%s'",
			      c[i].rule, trace_writer_error(w));
		trace_writer_free(w);
		read_path(&g, path, 100);
		expect_rejected(&g, "truncated", c[i].rule);
		unlink(path);
	}
}
END_TEST

/* Quanta at the top of time: q_end would pass 2^64 - 1. */
START_TEST(quantum_at_the_end_of_time)
{
	const uint64_t max = UINT64_MAX;
	const struct trace_event e[] = {
		{ .time = max - 1, .gfn = 1 },  /* quantum 0 of quantum max */
		{ .time = max, .gfn = 1 },      /* quantum 1: the same page again is fine */
		{ .time = max, .gfn = 2 },
	};
	struct trace_header h = api_header(4, max, 1, "");
	struct buf f;
	struct got g;

	write_file(&f, &h, e, 3, max);
	read_bytes(&g, &f, false, 2);
	expect_events(&g, e, 3);
	got_free(&g);
	free(f.p);
	h.quantum = 2; /* max - 1 and max share quantum 2^63 - 1 */
	{
		char err[256], path[] = "/tmp/hvsim-trace-XXXXXX";
		int fd = mkstemp(path);
		struct trace_writer *w = trace_create(path, &h, err, sizeof err);
		close(fd);
		ck_assert(trace_write(w, &e[0]));
		ck_assert(!trace_write(w, &e[1]));
		trace_writer_free(w);
		unlink(path);
	}
}
END_TEST

/* ================================= malformed input ================================== */

/* The reason after "PATH: ", so messages about different temporary paths compare. */
static const char *reason(const char *err)
{
	const char *p = strstr(err, ": offset ");
	return p ? p : err;
}

/*
 * A hostile file must not make the reader allocate much: rerun it in a child whose address
 * space may grow by 256 MiB at most, where a big malloc would fail and change the message.
 * (ASan reserves terabytes of address space up front, so only the plain build checks this.)
 */
static void check_bounded(const struct buf *f, const char *err)
{
#ifndef __SANITIZE_ADDRESS__
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (!pid) {
		unsigned long vm_pages = 0;
		FILE *statm = fopen("/proc/self/statm", "r");
		struct got g;
		if (!statm || fscanf(statm, "%lu", &vm_pages) != 1)
			_exit(3);
		fclose(statm);
		rlim_t limit = (rlim_t)vm_pages * (rlim_t)sysconf(_SC_PAGESIZE) + (256ul << 20);
		struct rlimit rl = { limit, limit };
		if (setrlimit(RLIMIT_AS, &rl))
			_exit(3);
		read_bytes(&g, f, false, 4096);
		_exit(!g.ok && !strcmp(reason(g.err), reason(err)) ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "with 256 MiB of address space the reader did not say '%s'", err);
#else
	(void)f;
	(void)err;
#endif
}

/* Rejected from a file and from a pipe, each time saying what is given. Frees f. */
static void check_bad(struct buf *f, const char *seek_says, const char *pipe_says,
		      const char *rule)
{
	struct got g;

	read_bytes(&g, f, false, 1000);
	expect_rejected(&g, seek_says, rule);
	check_bounded(f, g.err);
	got_free(&g);
	read_bytes(&g, f, true, 1000);
	expect_rejected(&g, pipe_says ? pipe_says : seek_says, rule);
	got_free(&g);
	free(f->p);
	*f = (struct buf){ 0 };
}

static void bad_header(const struct hdr *h, const char *says, const char *rule)
{
	struct buf f = { 0 };

	put_header(&f, h);
	put_trailer(&f, 0, 0, 0);
	check_bad(&f, says, NULL, rule);
}

enum hdr_field { F_VERSION, F_SIZE, F_PAGE_SIZE, F_RAM, F_QUANTUM, F_VCPUS, F_FLAGS, F_SOURCE_LEN,
		 F_RESERVED, F_SOURCE };

START_TEST(hostile_headers)
{
	static const struct {
		enum hdr_field field;
		uint64_t value;
		const char *source, *says, *rule;
	} c[] = {
		{ F_VERSION, 2, NULL,
		  "offset 8: unsupported trace version 2 (this hvsim reads version 1)", "version 1" },
		{ F_VERSION, 0, NULL, "offset 8: unsupported trace version 0", "version 1" },
		{ F_VERSION, 0xffff, NULL, "offset 8: unsupported trace version 65535", "version 1" },
		{ F_SOURCE_LEN, 1025, NULL, "offset 40:", "source_len at most 1024" },
		{ F_SOURCE_LEN, 0xffff, NULL, "offset 40:", "source_len at most 1024" },
		{ F_SIZE, 45 + 7, NULL, "offset 10:", "header_size is 46 + source_len" },
		{ F_SIZE, 1000, NULL, "offset 10:", "header_size is 46 + source_len" },
		{ F_PAGE_SIZE, 8192, NULL, "offset 12:", "page_size 4096" },
		{ F_PAGE_SIZE, 0xffffffff, NULL, "offset 12:", "page_size 4096" },
		{ F_RAM, 0, NULL, "offset 16:", "guest_ram positive" },
		{ F_RAM, 8191, NULL, "offset 16:", "guest_ram a multiple of 4096" },
		{ F_RAM, (64ull << 30) + 4096, NULL, "offset 16:", "guest_ram at most 64 GiB" },
		{ F_RAM, 1ull << 40, NULL, "offset 16:", "guest_ram at most 64 GiB" },
		{ F_RAM, UINT64_MAX - 4095, NULL, "offset 16:", "guest_ram at most 64 GiB" },
		{ F_QUANTUM, 0, NULL, "offset 24:", "quantum at least 1" },
		{ F_VCPUS, 0, NULL, "offset 32:", "vcpus 1..256" },
		{ F_VCPUS, 257, NULL, "offset 32:", "vcpus 1..256" },
		{ F_VCPUS, 0xffffffff, NULL, "offset 32:", "vcpus 1..256" },
		{ F_FLAGS, 1, NULL, "offset 36:", "flags 0" },
		{ F_FLAGS, 0x80000000, NULL, "offset 36:", "flags 0" },
		{ F_RESERVED, 1, NULL, "offset 42:", "reserved 0" },
		{ F_SOURCE, 0, "ex\nmple", "offset 48:", "source printable (newline)" },
		{ F_SOURCE, 0, "\x7f", "offset 46:", "source printable (DEL)" },
		{ F_SOURCE, 0, "abc\xc3\xa9", "offset 49:", "source ASCII (UTF-8)" },
	};

	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct hdr h = good_hdr;
		switch (c[i].field) {
		case F_VERSION: h.version = (uint16_t)c[i].value; break;
		case F_SIZE: h.header_size = (uint16_t)c[i].value; break;
		case F_PAGE_SIZE: h.page_size = (uint32_t)c[i].value; break;
		case F_RAM: h.ram = c[i].value; break;
		case F_QUANTUM: h.quantum = c[i].value; break;
		case F_VCPUS: h.vcpus = (uint32_t)c[i].value; break;
		case F_FLAGS: h.flags = (uint32_t)c[i].value; break;
		case F_SOURCE_LEN: h.source_len = (int)c[i].value; break;
		case F_RESERVED: h.reserved = (uint32_t)c[i].value; break;
		case F_SOURCE: h.source = c[i].source; break;
		}
		bad_header(&h, c[i].says, c[i].rule);
	}
}
END_TEST

START_TEST(not_a_trace)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *says;
	} c[] = {
		{ "", 0, "offset 0: truncated" },
		{ "HVSTR", 5, "offset 0: truncated" },
		{ "hello", 5, "offset 0: not an hvsim trace" },
		{ "HVSTRACX\x01\x00", 10, "offset 0: not an hvsim trace" },
		{ "HVSTRACE\x02\x00", 10, "offset 8: unsupported trace version 2" }, /* any layout */
		{ "HVSTRACE\x01\x00\x35\x00", 12, "offset 0: truncated" },
	};

	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct buf f = { 0 };
		put(&f, c[i].bytes, c[i].len);
		check_bad(&f, c[i].says, NULL, c[i].says);
	}
	{
		struct buf f = { 0 };
		put(&f, example, sizeof example);
		f.p[20] ^= 1; /* guest_ram: caught by the CRC */
		check_bad(&f, "offset 0: header CRC mismatch", NULL, "header CRC");
	}
}
END_TEST

/* A good header (57 bytes: chunks start at offset 57), then what 'body' holds, then a trailer. */
static void bad_body(const struct buf *body, uint32_t chunks, uint64_t events, uint64_t duration,
		     const char *seek_says, const char *pipe_says, const char *rule)
{
	struct buf f = { 0 };

	put_header(&f, &good_hdr);
	ck_assert_uint_eq(f.len, 57);
	put(&f, body->p, body->len);
	put_trailer(&f, chunks, events, duration);
	check_bad(&f, seek_says, pipe_says, rule);
}

START_TEST(hostile_chunk_headers)
{
	static const struct {
		uint32_t events, raw, comp;
		const char *says, *rule;
	} c[] = {
		{ 0, 10, 20, "offset 61:", "events at least 1" },
		{ 65537, 10, 20, "offset 61:", "events at most 65536" },
		{ 1000000000, 10, 20, "offset 61:", "events at most 65536" },
		{ 1, 0, 20, "offset 65:", "raw_size at least 1" },
		{ 1, (1 << 20) + 1, 20, "offset 65:", "raw_size at most 1 MiB" },
		{ 1, 0xffffffff, 20, "offset 65:", "raw_size at most 1 MiB (4 GiB)" },
		{ 1, 10, 0, "offset 69:", "compressed_size at least 1" },
		/* compressBound(10) = 10 + (10 >> 8) + ((131072 - 10) >> 11) = 10 + 0 + 63 = 73 */
		{ 1, 10, 74, "offset 69:", "compressed_size at most compressBound" },
		{ 1, 1 << 20, (1 << 20) + 4097, "offset 69:", "compressed_size at most compressBound" },
		{ 1, 10, 0xffffffff, "offset 69:", "compressed_size at most compressBound" },
	};

	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct buf body = { 0 };
		put_chunk_header(&body, c[i].events, c[i].raw, c[i].comp);
		put(&body, "0123456789012345678901234567890123456789", 40);
		bad_body(&body, 1, 1, 100, c[i].says, NULL, c[i].rule);
		free(body.p);
	}
	{
		/* The largest frame a 1 MiB chunk may have: more than the file holds. */
		struct buf body = { 0 };
		put_chunk_header(&body, 1, 1 << 20, (1 << 20) + 4096);
		bad_body(&body, 1, 1, 100, "offset 69: chunk 0: its 1052672 compressed bytes run into "
			 "the trailer", "offset 57: truncated", "frame past the end");
		body.len = 0;
		put(&body, "CHNKxx", 6);
		/* From a pipe, the header's last 14 bytes are the trailer's first: "xxTE" events. */
		bad_body(&body, 1, 1, 100, "offset 57: chunk 0: header runs into the trailer",
			 "offset 61: chunk 0: 1163163768 events", "chunk header cut short");
		body.len = 0;
		put(&body, "JUNK", 4);
		bad_body(&body, 1, 1, 100, "offset 57: neither a chunk", NULL, "unknown tag");
		free(body.p);
	}
}
END_TEST

/* A chunk of 'events' events whose stream is 'raw' and whose frame is 'frame_bytes'. */
static void bad_frame(const struct buf *raw, const uint8_t *fr, size_t n, const char *says,
		      const char *rule)
{
	struct buf body = { 0 };

	put_chunk_frame(&body, 1, (uint32_t)raw->len, fr, n);
	bad_body(&body, 1, 1, 100, says, NULL, rule);
	free(body.p);
}

START_TEST(hostile_frames)
{
	struct buf raw = { 0 };
	uint8_t f[256], g[256];
	size_t n, m;
	uint64_t pt = 0, pg = 0;

	put_event(&raw, &example_events[0], &pt, &pg, 2);
	n = frame(f, sizeof f, &raw, 0, 1);
	bad_frame(&raw, f, n, "offset 77: chunk 0: zstd frame without a content checksum",
		  "content checksum required");
	n = frame(f, sizeof f, &raw, 1, 0);
	bad_frame(&raw, f, n, "offset 77: chunk 0: zstd frame content size", "content size stated");
	n = frame(f, sizeof f, &raw, 1, 1);
	memcpy(g, f, n);
	memcpy(g + n, f, n);
	bad_frame(&raw, g, 2 * n, "offset 77: chunk 0: the zstd frame is not exactly",
		  "exactly one frame");
	bad_frame(&raw, f, n - 1, "offset 77:", "the whole frame");
	m = n;
	f[m - 6] ^= 0x10; /* inside the raw block's content: the checksum no longer matches */
	bad_frame(&raw, f, m, "offset 77: chunk 0: zstd:", "content checksum");
	/* A skippable frame: magic 0x184D2A50, size, payload. */
	memcpy(g, "\x50\x2a\x4d\x18\x03\x00\x00\x00\x05\x0c\x00", 11);
	bad_frame(&raw, g, 11, "offset 77: chunk 0: a skippable zstd frame", "not skippable");
	bad_frame(&raw, (const uint8_t *)"not zstd!!!", 11, "offset 77: chunk 0: not a zstd frame",
		  "zstd magic");
	raw.len++; /* the frame says 3 bytes, the chunk 4 */
	n = frame(f, sizeof f, &(struct buf){ raw.p, 3, 0 }, 1, 1);
	bad_frame(&raw, f, n, "offset 77: chunk 0: zstd frame content size", "content size");
	free(raw.p);
}
END_TEST

/* One chunk of 'events' events whose stream is the given bytes (valid frame and CRCs). */
static void one_chunk(struct buf *body, uint32_t events, const char *stream, size_t len)
{
	struct buf raw = { 0 };

	put(&raw, stream, len);
	put_chunk(body, events, &raw);
	free(raw.p);
}

#define STREAM(s) s, sizeof(s) - 1

/* good_hdr: 16 pages, quantum 100, 2 vCPUs; gfn 3 is zigzag 6, shifted 0x0C. */
START_TEST(hostile_events)
{
	static const struct {
		uint32_t events;
		const char *stream;
		size_t len;
		const char *says, *rule;
	} c[] = {
		{ 1, STREAM("\x01\x40\x00"), "event 0 of chunk 0: gfn outside", "gfn 16 < 16 pages" },
		{ 1, STREAM("\x01\x02\x00"), "event 0 of chunk 0: gfn outside", "gfn -1" },
		{ 1, STREAM("\x01\x0c\x02"), "event 0 of chunk 0: vCPU 2", "vcpu < 2" },
		{ 1, STREAM("\x01\x0c\xff\xff\xff\xff\x0f"), "event 0 of chunk 0: vCPU 4294967295",
		  "vcpu < 2" },
		{ 2, STREAM("\x01\x0c\x00\x01\x00\x00"), "event 1 of chunk 0: gfn 3 appears twice",
		  "once per quantum" },
		{ 2, STREAM("\x01\x0c\x00\x00\x01\x01"), "event 1 of chunk 0: gfn 3 appears twice",
		  "once per quantum, whatever the flag" },
		{ 2, STREAM("\x05\x0c\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x00"),
		  "event 1 of chunk 0: time 5 + 18446744073709551615 overflows", "time < 2^64" },
		{ 1, STREAM("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x0c\x00"),
		  "event 0 of chunk 0: varint overflows 64 bits", "varints fit in 64 bits" },
		{ 1, STREAM("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x0c\x00"),
		  "event 0 of chunk 0: varint", "varints have at most 10 bytes" },
		{ 1, STREAM("\x85\x00\x0c\x00"), "event 0 of chunk 0: varint not in its shortest form",
		  "shortest varints" },
		{ 1, STREAM("\x01\x8c\x00\x00"), "event 0 of chunk 0: varint not in its shortest form",
		  "shortest varints (gfn)" },
		{ 1, STREAM("\x01\x0c\x80\x00"), "event 0 of chunk 0: varint not in its shortest form",
		  "shortest varints (vcpu 0)" },
		{ 1, STREAM("\x01\x8c"), "event 0 of chunk 0: the chunk's event stream ends inside",
		  "a varint ends in its chunk" },
		{ 2, STREAM("\x01\x0c\x00"), "event 1 of chunk 0: the chunk's event stream ends inside",
		  "a chunk holds its events" },
		{ 1, STREAM("\x01\x0c\x00\x01"), "offset 57: chunk 0: 1 bytes left after its 1 events",
		  "nothing after a chunk's events" },
	};

	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		struct buf body = { 0 };
		char says[128];
		one_chunk(&body, c[i].events, c[i].stream, c[i].len);
		snprintf(says, sizeof says, "offset 57: %s", strstr(c[i].says, "offset 57: ") ?
			 c[i].says + strlen("offset 57: ") : c[i].says);
		bad_body(&body, 1, c[i].events, 100, says, NULL, c[i].rule);
		free(body.p);
	}
}
END_TEST

/* The chunk CRC covers the frame too: a frame bit that zstd ignores is still caught. */
START_TEST(chunk_crc_covers_the_frame)
{
	struct buf body = { 0 };

	one_chunk(&body, 1, STREAM("\x01\x0c\x00"));
	body.p[16] ^= 0x80;
	bad_body(&body, 1, 1, 100, "offset 57: chunk 0: CRC mismatch", NULL, "chunk CRC field");
	body.p[16] ^= 0x80;
	body.p[CHUNK_HDR + 4] ^= 0x10; /* the frame header's Unused_bit (RFC 8878 3.1.1.1.1) */
	bad_body(&body, 1, 1, 100, "offset 57: chunk 0: CRC mismatch", NULL, "frame's unused bit");
	free(body.p);
}
END_TEST

/* An event error in the second chunk names that chunk and where it starts. */
START_TEST(event_error_in_second_chunk)
{
	struct buf body = { 0 };
	char says[64];
	size_t second;

	one_chunk(&body, 1, STREAM("\x01\x0c\x00"));
	second = 57 + body.len;
	one_chunk(&body, 1, STREAM("\x00\x00\x01")); /* gfn 3 again (delta from chunk 0), time 1 */
	snprintf(says, sizeof says, "offset %zu: event 0 of chunk 1: gfn 3 appears twice", second);
	bad_body(&body, 2, 2, 100, says, NULL, "once per quantum, across chunks");
	free(body.p);
}
END_TEST

/* The extremes the rules allow all read back. */
START_TEST(edge_values_accepted)
{
	static const struct trace_event want[] = {
		{ .time = UINT64_MAX, .gfn = 15, .vcpu = 1, .flags = TRACE_EV_PAGING },
		{ .time = UINT64_MAX, .gfn = 0, .vcpu = 0 },
	};
	struct buf f = { 0 };
	struct got g;

	put_header(&f, &good_hdr);
	/* dt 2^64 - 1 in ten bytes; gfn +15: zigzag 30, 61 with the flag; then -15: 29 << 1. */
	one_chunk(&f, 2, STREAM("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x3d\x01\x00\x3a\x00"));
	put_trailer(&f, 1, 2, UINT64_MAX);
	for (int piped = 0; piped < 2; piped++) {
		read_bytes(&g, &f, piped, 1);
		expect_events(&g, want, 2);
		got_free(&g);
	}
	free(f.p);
}
END_TEST

START_TEST(hostile_trailers)
{
	struct buf body = { 0 }, f = { 0 };
	size_t t;
	char says[96];

	one_chunk(&body, 1, STREAM("\x05\x0c\x00")); /* time 5, gfn 3 */
	t = 57 + body.len;
	snprintf(says, sizeof says, "offset %zu: trailer says 2 events", t + 8);
	bad_body(&body, 1, 2, 100, says, NULL, "trailer events match");
	snprintf(says, sizeof says, "offset %zu: trailer says 2 chunks", t + 4);
	bad_body(&body, 2, 2, 100, says, NULL, "trailer chunks match");
	snprintf(says, sizeof says, "offset %zu: duration 4 is before", t + 16);
	bad_body(&body, 1, 1, 4, says, NULL, "duration >= last time");
	snprintf(says, sizeof says, "offset %zu: trailer says 1 chunks hold 0 events", t + 4);
	bad_body(&body, 1, 0, 100, says, NULL, "a chunk has an event");
	snprintf(says, sizeof says, "offset %zu: trailer says 1 chunks hold 1000000000000000000", t + 4);
	bad_body(&body, 1, 1000000000000000000ull, 100, says, NULL, "65536 events per chunk");
	snprintf(says, sizeof says, "offset %zu: trailer says 0 chunks hold 1 events", t + 4);
	bad_body(&body, 0, 1, 100, says, NULL, "events need chunks");

	put_header(&f, &good_hdr);
	put(&f, body.p, body.len);
	put_trailer(&f, 1, 1, 100);
	f.p[t + 24] = 1;
	put_le(&(struct buf){ f.p + t + 28, 0, 4 }, crc_of(f.p + t, 28), 4);
	snprintf(says, sizeof says, "offset %zu: reserved trailer field", t + 24);
	check_bad(&f, says, NULL, "trailer reserved 0");

	put_header(&f, &good_hdr);
	put(&f, body.p, body.len);
	put_trailer(&f, 1, 1, 100);
	f.p[t + 17] ^= 0x40;
	snprintf(says, sizeof says, "offset %zu: trailer CRC mismatch", t);
	check_bad(&f, says, NULL, "trailer CRC");
	free(body.p);
}
END_TEST

START_TEST(structure)
{
	struct buf f = { 0 };

	put(&f, example, sizeof example);
	put(&f, "x", 1);
	check_bad(&f, "offset 101: no trailer at the end of the file",
		  "offset 132: data after the trailer", "nothing after the trailer");
	put(&f, example, sizeof example);
	put(&f, example + 100, 32);
	check_bad(&f, "offset 100: a trailer before the end of the file (32 more bytes follow it)",
		  "offset 132: data after the trailer", "one trailer, at the end");
	put(&f, example, 100);
	check_bad(&f, "no trailer at the end of the file: truncated",
		  "offset 100: truncated: the file ends at offset 100", "a trailer");
	put(&f, example, 57);
	check_bad(&f, "offset 57: truncated: the file ends at offset 57, before a trailer",
		  "offset 57: truncated", "a trailer");
}
END_TEST

/* =========================== every prefix, every bit flip =========================== */

/* A file cut at 'len' is rejected as truncated, at an offset no later than the cut. */
static void expect_truncated(const struct buf *whole, size_t len, bool piped)
{
	struct buf f = { whole->p, len, len };
	char rule[64];
	struct got g;
	unsigned long long at;

	snprintf(rule, sizeof rule, "cut at %zu of %zu%s", len, whole->len, piped ? ", piped" : "");
	read_bytes(&g, &f, piped, 4096);
	expect_rejected(&g, "truncated", rule);
	ck_assert_msg(sscanf(reason(g.err), ": offset %llu:", &at) == 1 && at <= len, "%s: %s",
		      rule, g.err);
	got_free(&g);
}

/* Sequential events over 4096 pages compress to almost nothing: 3 chunks in a small file. */
static void small_multichunk(struct buf *f, size_t n)
{
	struct trace_header h = api_header(4096, 4096, 1, "periodic");
	struct trace_event *e = calloc(n, sizeof *e);

	for (size_t i = 0; i < n; i++)
		e[i] = (struct trace_event){ .time = i, .gfn = i % 4096, .flags = i % 3 == 0 };
	write_file(f, &h, e, n, n);
	free(e);
}

START_TEST(every_prefix_is_truncated)
{
	struct buf f;
	struct walk w;

	small_multichunk(&f, 2 * CHUNK_EVENTS + 100);
	walk_file(&w, &f);
	ck_assert_uint_eq(w.nchunks, 3);
	ck_assert_uint_lt(f.len, 4096); /* keeps this test quick */
	for (size_t len = 0; len < f.len; len++) {
		expect_truncated(&f, len, false);
		expect_truncated(&f, len, true);
	}
	free(f.p);
	free(w.stream.p);
}
END_TEST

/* Incompressible chunks of ~200 KiB: every structure boundary +-2 and a random sample. */
START_TEST(large_file_prefixes_are_truncated)
{
	struct trace_header h = api_header(8192, 1000, 3, "random");
	struct trace_event *e = random_events(2 * CHUNK_EVENTS + 1000, 8192, 1000, 3, 5);
	size_t cuts[64 + 300], n = 0;
	struct buf f;
	struct walk w;
	uint64_t s = 6;

	write_file(&f, &h, e, 2 * CHUNK_EVENTS + 1000, e[2 * CHUNK_EVENTS + 999].time);
	free(e);
	walk_file(&w, &f);
	size_t marks[] = { w.header_len, w.chunk_off[1], w.chunk_off[2], w.trailer_off,
			   w.chunk_off[0] + CHUNK_HDR, w.chunk_off[1] + CHUNK_HDR,
			   w.chunk_off[2] + CHUNK_HDR, f.len };
	for (size_t i = 0; i < ARRAY_LEN(marks); i++)
		for (int d = -2; d <= 2; d++)
			if (marks[i] + d < f.len)
				cuts[n++] = marks[i] + d;
	while (n < ARRAY_LEN(cuts))
		cuts[n++] = rnd(&s) % f.len;
	for (size_t i = 0; i < n; i++) {
		expect_truncated(&f, cuts[i], false);
		if (i < 40 || i % 10 == 0) /* a pipe reads all before the cut: fewer of those */
			expect_truncated(&f, cuts[i], true);
	}
	free(f.p);
	free(w.stream.p);
}
END_TEST

static void flip_every_bit(const struct buf *orig, bool piped)
{
	struct buf f = { malloc(orig->len), orig->len, orig->len };

	for (size_t bit = 0; bit < 8 * orig->len; bit++) {
		char rule[64];
		struct got g;
		memcpy(f.p, orig->p, orig->len);
		f.p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		snprintf(rule, sizeof rule, "bit %zu of byte %zu flipped%s", bit % 8, bit / 8,
			 piped ? ", piped" : "");
		read_bytes(&g, &f, piped, 4096);
		expect_rejected(&g, NULL, rule);
		got_free(&g);
	}
	free(f.p);
}

START_TEST(every_bit_flip_is_rejected)
{
	struct buf f = { (uint8_t *)example, sizeof example, 0 };

	flip_every_bit(&f, false);
	flip_every_bit(&f, true);
	small_multichunk(&f, CHUNK_EVENTS + 10); /* two chunks */
	flip_every_bit(&f, false);
	free(f.p);
}
END_TEST

/* ================================ standard streams ================================= */

/* "-": the writer streams to standard output, the reader from standard input (a pipe). */
START_TEST(stdin_and_stdout)
{
	const size_t n = 100000; /* far more than a pipe holds */
	struct trace_event *e = random_events(n, 8192, 5000, 2, 7);
	int p[2], status, saved;
	pid_t pid;
	struct got g;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct trace_header h = api_header(8192, 5000, 2, "stdout");
		char err[256];
		struct trace_writer *w;
		bool ok;
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		ok = (w = trace_create("-", &h, err, sizeof err)) != NULL;
		for (size_t i = 0; ok && i < n; i++)
			ok = trace_write(w, &e[i]);
		ok = ok && trace_finish(w, e[n - 1].time);
		_exit(ok ? 0 : 1);
	}
	close(p[1]);
	saved = dup(STDIN_FILENO);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	read_path(&g, "-", 4096);
	dup2(saved, STDIN_FILENO);
	close(saved);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_events(&g, e, n);
	ck_assert(!g.totals_at_open);
	ck_assert_uint_eq(g.totals.events, n);
	ck_assert_str_eq(g.h.source, "stdout");
	got_free(&g);
	free(e);
}
END_TEST

Suite *suite_trace_format(void)
{
	Suite *s = suite_create("sim/trace_format");
	TCase *tc = tcase_create("spec");
	tcase_add_test(tc, example_reads_as_specified);
	tcase_add_test(tc, writer_makes_the_example);
	tcase_add_test(tc, spec_built_file_reads_back);
	tcase_add_test(tc, empty_trace);
	tcase_add_test(tc, source_text);
	tcase_add_test(tc, edge_values_accepted);
	suite_add_tcase(s, tc);
	tc = tcase_create("round trip");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, round_trip_random);
	tcase_add_test(tc, round_trip_vcpus);
	tcase_add_test(tc, round_trip_chunks);
	tcase_add_test(tc, quantum_at_the_end_of_time);
	tcase_add_test(tc, stdin_and_stdout);
	suite_add_tcase(s, tc);
	tc = tcase_create("writer rules");
	tcase_add_test(tc, writer_rejects_bad_headers);
	tcase_add_test(tc, writer_io_errors);
	tcase_add_test(tc, writer_rejects_bad_events);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, not_a_trace);
	tcase_add_test(tc, hostile_headers);
	tcase_add_test(tc, hostile_chunk_headers);
	tcase_add_test(tc, hostile_frames);
	tcase_add_test(tc, chunk_crc_covers_the_frame);
	tcase_add_test(tc, hostile_events);
	tcase_add_test(tc, event_error_in_second_chunk);
	tcase_add_test(tc, hostile_trailers);
	tcase_add_test(tc, structure);
	tcase_add_test(tc, every_prefix_is_truncated);
	tcase_add_test(tc, large_file_prefixes_are_truncated);
	tcase_add_test(tc, every_bit_flip_is_rejected);
	suite_add_tcase(s, tc);
	return s;
}
