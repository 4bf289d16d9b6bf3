/*
 * Reading a trace (trace.h, FORMAT.md). Everything read is checked before it is used: sizes
 * against the format's limits before any buffer is touched (the buffers are allocated once, at
 * the limits), CRCs, the zstd frame's own header and checksum, and every event against the rules
 * the writer enforced. The first failure sticks and is one line, "PATH: offset N: reason".
 *
 * Decoding is the hot path of a replay: events are decoded in batches straight out of the
 * decompressed chunk, with the state in locals and nothing called per event but inline helpers.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader: to check a frame before trusting it */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "sim/trace/format.h"
#include "sim/trace/trace.h"

#define COMP_CAP ZSTD_COMPRESSBOUND(CHUNK_RAW_MAX)
#define NO_TRAILER_OFF UINT64_MAX

struct trace_reader {
	const char *name;  /* path, or "<stdin>", for messages */
	char *path;
	int fd;
	bool own_fd, seekable, failed, at_end, have_totals;
	struct trace_header h;
	uint64_t pages;
	uint64_t off;         /* bytes consumed: the file offset of what is read next */
	uint64_t trailer_off; /* seekable: where the trailer is; else NO_TRAILER_OFF */
	struct trace_totals totals;
	uint32_t trailer_chunks;

	ZSTD_DCtx *dctx;
	uint8_t *comp, *raw;
	const uint8_t *p, *end; /* what is left of the current chunk's event stream */
	uint64_t chunk_off;     /* where the current chunk starts */
	uint64_t chunks;        /* chunks begun; the current one is chunks - 1 */
	uint32_t chunk_events, chunk_done;

	uint64_t events, prev_time, prev_gfn;
	struct qset seen;    /* pages of quantum cur_q */
	uint64_t cur_q, q_end;  /* q_end: the first time past cur_q (saturating) */
	char error[1024];
};

static void fail_at(struct trace_reader *r, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail_at(struct trace_reader *r, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->failed)
		return;
	r->failed = true;
	n = snprintf(r->error, sizeof r->error, "%s: offset %" PRIu64 ": ", r->name, off);
	if (n < 0 || (size_t)n >= sizeof r->error)
		return;
	va_start(ap, fmt);
	vsnprintf(r->error + n, sizeof r->error - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Read up to n bytes (fewer only at end of file); r->off follows. -1 on a read error. */
static long read_some(struct trace_reader *r, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(r->fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			fail_at(r, r->off + got, "read failed: %s", strerror(errno));
			return -1;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	r->off += got;
	return (long)got;
}

/* Read exactly n bytes of 'what' (which starts at 'at'); else fail as truncated. */
static bool read_exact(struct trace_reader *r, uint8_t *buf, size_t n, uint64_t at,
		       const char *what)
{
	long got = read_some(r, buf, n);

	if (got < 0)
		return false;
	if ((size_t)got < n) {
		fail_at(r, at, "truncated: the file ends at offset %" PRIu64 ", inside %s", r->off,
			what);
		return false;
	}
	return true;
}

/* ======================================= header ======================================= */

static bool check_header_fields(struct trace_reader *r, const uint8_t *b, size_t source_len)
{
	uint32_t page_size = get_le32(b + HDR_OFF_PAGE_SIZE), vcpus = get_le32(b + HDR_OFF_VCPUS);
	uint64_t ram = get_le64(b + HDR_OFF_RAM), quantum = get_le64(b + HDR_OFF_QUANTUM);

	if (page_size != TRACE_PAGE_SIZE)
		fail_at(r, HDR_OFF_PAGE_SIZE, "page size %" PRIu32 " (must be 4096)", page_size);
	else if (!ram || ram % TRACE_PAGE_SIZE || ram > TRACE_RAM_MAX)
		fail_at(r, HDR_OFF_RAM, "guest RAM %" PRIu64 " bytes: not a positive multiple of 4096 "
			"of at most 64 GiB", ram);
	else if (!quantum)
		fail_at(r, HDR_OFF_QUANTUM, "quantum 0 (must be at least 1)");
	else if (vcpus < 1 || vcpus > TRACE_VCPUS_MAX)
		fail_at(r, HDR_OFF_VCPUS, "%" PRIu32 " vCPUs (must be 1..%d)", vcpus, TRACE_VCPUS_MAX);
	else if (get_le32(b + HDR_OFF_FLAGS))
		fail_at(r, HDR_OFF_FLAGS, "header flags 0x%" PRIx32 " (none are defined in version 1)",
			get_le32(b + HDR_OFF_FLAGS));
	else if (get_le32(b + HDR_OFF_RESERVED))
		fail_at(r, HDR_OFF_RESERVED, "reserved header field is not 0");
	for (size_t i = 0; i < source_len && !r->failed; i++)
		if (!trace_source_char((char)b[HDR_FIXED + i]))
			fail_at(r, HDR_FIXED + i, "source byte 0x%02x is not printable ASCII",
				b[HDR_FIXED + i]);
	if (r->failed)
		return false;
	r->h = (struct trace_header){ .version = TRACE_VERSION, .page_size = page_size,
				      .vcpus = vcpus, .guest_ram = ram, .quantum = quantum };
	memcpy(r->h.source, b + HDR_FIXED, source_len);
	r->pages = ram / TRACE_PAGE_SIZE;
	return true;
}

static bool read_header(struct trace_reader *r)
{
	uint8_t b[HDR_MAX];
	long got = read_some(r, b, HDR_FIXED);
	size_t source_len, size;
	uint32_t stored, crc;

	if (got < 0)
		return false;
	/* A short file that is not a trace at all gets told so, not that it is truncated. */
	if (memcmp(b, HDR_MAGIC, (size_t)got < HDR_MAGIC_LEN ? (size_t)got : HDR_MAGIC_LEN)) {
		fail_at(r, 0, "not an hvsim trace (no \"HVSTRACE\" magic)");
		return false;
	}
	if (got >= HDR_OFF_VERSION + 2 && get_le16(b + HDR_OFF_VERSION) != TRACE_VERSION) {
		fail_at(r, HDR_OFF_VERSION, "unsupported trace version %u (this hvsim reads version %d)",
			get_le16(b + HDR_OFF_VERSION), TRACE_VERSION);
		return false;
	}
	if (got < HDR_FIXED) {
		fail_at(r, 0, "truncated: the file ends at offset %" PRIu64 ", inside the header", r->off);
		return false;
	}
	source_len = get_le16(b + HDR_OFF_SOURCE_LEN);
	size = get_le16(b + HDR_OFF_SIZE);
	if (source_len > TRACE_SOURCE_MAX) {
		fail_at(r, HDR_OFF_SOURCE_LEN, "source length %zu (at most %d)", source_len,
			TRACE_SOURCE_MAX);
		return false;
	}
	if (size != HDR_FIXED + source_len) {
		fail_at(r, HDR_OFF_SIZE, "header size %zu, but 46 + source length %zu is %zu", size,
			source_len, HDR_FIXED + source_len);
		return false;
	}
	if (!read_exact(r, b + HDR_FIXED, source_len + HDR_CRC_LEN, 0, "the header"))
		return false;
	stored = get_le32(b + size);
	crc = trace_crc32(b, size);
	if (stored != crc) {
		fail_at(r, 0, "header CRC mismatch (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")",
			stored, crc);
		return false;
	}
	return check_header_fields(r, b, source_len);
}

/* ======================================= trailer ====================================== */

/* The trailer's own rules, wherever it was found. */
static bool check_trailer(struct trace_reader *r, const uint8_t *t, uint64_t at)
{
	uint32_t stored = get_le32(t + TRAILER_OFF_CRC), crc = trace_crc32(t, TRAILER_OFF_CRC);
	uint32_t chunks = get_le32(t + TRAILER_OFF_CHUNKS);
	uint64_t events = get_le64(t + TRAILER_OFF_EVENTS);

	if (memcmp(t, TRAILER_TAG, TAG_LEN))
		fail_at(r, at, "no trailer at the end of the file: truncated, or followed by other data");
	else if (stored != crc)
		fail_at(r, at, "trailer CRC mismatch (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")",
			stored, crc);
	else if (get_le32(t + TRAILER_OFF_RESERVED))
		fail_at(r, at + TRAILER_OFF_RESERVED, "reserved trailer field is not 0");
	else if (events < chunks || events > (uint64_t)chunks * CHUNK_EVENTS_MAX)
		fail_at(r, at + TRAILER_OFF_CHUNKS, "trailer says %" PRIu32 " chunks hold %" PRIu64
			" events, but a chunk holds 1..65536", chunks, events);
	if (r->failed)
		return false;
	r->trailer_chunks = chunks;
	r->totals = (struct trace_totals){ .events = events,
					   .duration = get_le64(t + TRAILER_OFF_DURATION) };
	return true;
}

/* A regular file: check its trailer now, so the totals are known before the first event. */
static bool read_trailer_early(struct trace_reader *r, uint64_t size)
{
	uint8_t t[TRAILER_LEN];
	uint64_t at;
	size_t got = 0;

	if (size < r->off + TRAILER_LEN) {
		fail_at(r, r->off, "truncated: the file ends at offset %" PRIu64 ", before a trailer",
			size);
		return false;
	}
	at = size - TRAILER_LEN;
	while (got < sizeof t) {
		ssize_t k = pread(r->fd, t + got, sizeof t - got, (off_t)(at + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fail_at(r, at + got, "read failed: %s", k ? strerror(errno) : "file shrank");
			return false;
		}
		got += (size_t)k;
	}
	if (!check_trailer(r, t, at))
		return false;
	r->trailer_off = at;
	r->have_totals = true;
	return true;
}

/* The trailer was reached: it must agree with what the chunks held. */
static bool end_of_trace(struct trace_reader *r, uint64_t at)
{
	if (r->chunks != r->trailer_chunks)
		fail_at(r, at + TRAILER_OFF_CHUNKS, "trailer says %" PRIu32 " chunks, the file has %"
			PRIu64, r->trailer_chunks, r->chunks);
	else if (r->events != r->totals.events)
		fail_at(r, at + TRAILER_OFF_EVENTS, "trailer says %" PRIu64 " events, the chunks hold %"
			PRIu64, r->totals.events, r->events);
	else if (r->totals.duration < r->prev_time)
		fail_at(r, at + TRAILER_OFF_DURATION, "duration %" PRIu64 " is before the last event's "
			"time %" PRIu64, r->totals.duration, r->prev_time);
	if (r->failed)
		return false;
	r->have_totals = true;
	r->at_end = true;
	return true;
}

/* A pipe: the trailer is checked when reached, and nothing may follow it. */
static bool read_trailer_stream(struct trace_reader *r, uint8_t *t, uint64_t at)
{
	uint8_t extra;
	long got;

	if (r->seekable) {
		fail_at(r, at, "a trailer before the end of the file (%" PRIu64 " more bytes follow it)",
			r->trailer_off - at);
		return false;
	}
	if (!read_exact(r, t + TAG_LEN, TRAILER_LEN - TAG_LEN, at, "the trailer") ||
	    !check_trailer(r, t, at))
		return false;
	got = read_some(r, &extra, 1);
	if (got < 0)
		return false;
	if (got) {
		fail_at(r, at + TRAILER_LEN, "data after the trailer");
		return false;
	}
	return end_of_trace(r, at);
}

/* ======================================= chunks ======================================= */

/* The sizes bound what is read next, so they are checked before the CRC that covers it all. */
static bool check_chunk_sizes(struct trace_reader *r, const uint8_t *c, uint64_t at)
{
	uint32_t events = get_le32(c + CHUNK_OFF_EVENTS), raw = get_le32(c + CHUNK_OFF_RAW);
	uint32_t comp = get_le32(c + CHUNK_OFF_COMP);
	uint64_t c_no = r->chunks;

	if (events < 1 || events > CHUNK_EVENTS_MAX)
		fail_at(r, at + CHUNK_OFF_EVENTS, "chunk %" PRIu64 ": %" PRIu32 " events (must be "
			"1..65536)", c_no, events);
	else if (raw < 1 || raw > CHUNK_RAW_MAX)
		fail_at(r, at + CHUNK_OFF_RAW, "chunk %" PRIu64 ": raw size %" PRIu32 " (must be "
			"1..1048576)", c_no, raw);
	else if (comp < 1 || comp > ZSTD_compressBound(raw))
		fail_at(r, at + CHUNK_OFF_COMP, "chunk %" PRIu64 ": compressed size %" PRIu32
			" (must be 1..%zu for raw size %" PRIu32 ")", c_no, comp,
			ZSTD_compressBound(raw), raw);
	else if (r->seekable && at + CHUNK_HDR + comp > r->trailer_off)
		fail_at(r, at + CHUNK_OFF_COMP, "chunk %" PRIu64 ": its %" PRIu32 " compressed bytes "
			"run into the trailer at offset %" PRIu64, c_no, comp, r->trailer_off);
	return !r->failed;
}

static bool check_chunk_crc(struct trace_reader *r, const uint8_t *c, size_t comp, uint64_t at)
{
	uint32_t stored = get_le32(c + CHUNK_OFF_CRC);
	uint32_t crc = chunk_crc32(c, r->comp, comp);

	if (stored != crc)
		fail_at(r, at, "chunk %" PRIu64 ": CRC mismatch (stored 0x%08" PRIx32 ", computed 0x%08"
			PRIx32 ")", r->chunks, stored, crc);
	return !r->failed;
}

/* Trust nothing in the frame header: it must describe exactly the one frame the chunk holds. */
static bool check_frame(struct trace_reader *r, size_t comp, uint32_t raw, uint64_t at)
{
	ZSTD_frameHeader fh;
	size_t z = ZSTD_getFrameHeader(&fh, r->comp, comp), fsize;
	uint64_t c_no = r->chunks;

	if (ZSTD_isError(z))
		fail_at(r, at, "chunk %" PRIu64 ": not a zstd frame (%s)", c_no, ZSTD_getErrorName(z));
	else if (z)
		fail_at(r, at, "chunk %" PRIu64 ": zstd frame header cut short", c_no);
	else if (fh.frameType != ZSTD_frame)
		fail_at(r, at, "chunk %" PRIu64 ": a skippable zstd frame", c_no);
	else if (fh.frameContentSize != raw)
		fail_at(r, at, "chunk %" PRIu64 ": zstd frame content size is not the chunk's raw size "
			"%" PRIu32, c_no, raw);
	else if (!fh.checksumFlag)
		fail_at(r, at, "chunk %" PRIu64 ": zstd frame without a content checksum", c_no);
	else if (fh.dictID)
		fail_at(r, at, "chunk %" PRIu64 ": zstd frame needs a dictionary", c_no);
	else if ((fsize = ZSTD_findFrameCompressedSize(r->comp, comp)) != comp)
		fail_at(r, at, "chunk %" PRIu64 ": the zstd frame is not exactly the chunk's %zu "
			"compressed bytes (%s)", c_no, comp,
			ZSTD_isError(fsize) ? ZSTD_getErrorName(fsize) : "it is shorter");
	return !r->failed;
}

static bool decompress(struct trace_reader *r, size_t comp, uint32_t raw, uint64_t at)
{
	size_t d = ZSTD_decompressDCtx(r->dctx, r->raw, raw, r->comp, comp);

	if (ZSTD_isError(d))
		fail_at(r, at, "chunk %" PRIu64 ": zstd: %s", r->chunks, ZSTD_getErrorName(d));
	else if (d != raw)
		fail_at(r, at, "chunk %" PRIu64 ": decompressed to %zu bytes, not %" PRIu32, r->chunks,
			d, raw);
	return !r->failed;
}

/* The next chunk into r->raw: 1; the trailer, checked: 0; an error: -1. */
static int next_chunk(struct trace_reader *r)
{
	uint8_t c[TRAILER_LEN];
	uint64_t at = r->off;
	uint32_t raw, comp;

	if (r->seekable && at == r->trailer_off) {
		r->off += TRAILER_LEN; /* checked when the file was opened */
		return end_of_trace(r, at) ? 0 : -1;
	}
	if (!read_exact(r, c, TAG_LEN, at, "where a chunk or the trailer starts"))
		return -1;
	if (!memcmp(c, TRAILER_TAG, TAG_LEN))
		return read_trailer_stream(r, c, at) ? 0 : -1;
	if (memcmp(c, CHUNK_TAG, TAG_LEN)) {
		fail_at(r, at, "neither a chunk (CHNK) nor the trailer (TEND) starts here");
		return -1;
	}
	if (r->seekable && at + CHUNK_HDR > r->trailer_off) {
		fail_at(r, at, "chunk %" PRIu64 ": header runs into the trailer at offset %" PRIu64,
			r->chunks, r->trailer_off);
		return -1;
	}
	if (!read_exact(r, c + TAG_LEN, CHUNK_HDR - TAG_LEN, at, "a chunk header") ||
	    !check_chunk_sizes(r, c, at))
		return -1;
	raw = get_le32(c + CHUNK_OFF_RAW);
	comp = get_le32(c + CHUNK_OFF_COMP);
	if (!read_exact(r, r->comp, comp, at, "a chunk's zstd frame") ||
	    !check_chunk_crc(r, c, comp, at) || !check_frame(r, comp, raw, at + CHUNK_HDR) || !decompress(r, comp, raw, at + CHUNK_HDR))
		return -1;
	r->chunk_off = at;
	r->chunks++;
	r->chunk_events = get_le32(c + CHUNK_OFF_EVENTS);
	r->chunk_done = 0;
	r->p = r->raw;
	r->end = r->raw + raw;
	return 1;
}

/* ======================================= events ======================================= */

static void event_error(struct trace_reader *r, uint32_t i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void event_error(struct trace_reader *r, uint32_t i, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	fail_at(r, r->chunk_off, "event %" PRIu32 " of chunk %" PRIu64 ": %s", r->chunk_done + i,
		r->chunks - 1, why);
}

/* The quantum of time t: entering a new one forgets the pages of the last. */
static inline void enter_quantum(struct trace_reader *r, uint64_t t)
{
	uint64_t q = t / r->h.quantum, start = q * r->h.quantum;

	if (q != r->cur_q) {
		r->cur_q = q;
		qset_clear(&r->seen);
	}
	r->q_end = start > UINT64_MAX - r->h.quantum ? UINT64_MAX : start + r->h.quantum;
}

/* Decode k (<= what the chunk has left) events into out. */
static size_t decode(struct trace_reader *r, struct trace_event *out, uint32_t k)
{
	const uint8_t *p = r->p, *end = r->end, *next;
	uint64_t t = r->prev_time, g = r->prev_gfn, pages = r->pages, vcpus = r->h.vcpus;
	uint32_t i;

	for (i = 0; i < k; i++) {
		uint64_t dt, v, cpu = 0;
		int added;

		if (!(next = varint_get(p, end, &dt))) {
			event_error(r, i, "%s", varint_why(p, end));
			break;
		}
		p = next;
		if (t + dt < t) {
			event_error(r, i, "time %" PRIu64 " + %" PRIu64 " overflows 64 bits", t, dt);
			break;
		}
		t += dt;
		if (!(next = varint_get(p, end, &v))) {
			event_error(r, i, "%s", varint_why(p, end));
			break;
		}
		p = next;
		if ((g += (uint64_t)unzigzag(v >> 1)) >= pages) {
			event_error(r, i, "gfn outside guest RAM (%" PRIu64 " pages)", pages);
			break;
		}
		if (vcpus > 1) {
			if (!(next = varint_get(p, end, &cpu))) {
				event_error(r, i, "%s", varint_why(p, end));
				break;
			}
			p = next;
			if (cpu >= vcpus) {
				event_error(r, i, "vCPU %" PRIu64 " but the trace has %" PRIu64, cpu, vcpus);
				break;
			}
		}
		if (t >= r->q_end)
			enter_quantum(r, t);
		if ((added = qset_add(&r->seen, g)) <= 0) {
			event_error(r, i, added ? "out of memory for the quantum's pages" :
				    "gfn %" PRIu64 " appears twice in quantum %" PRIu64, g, r->cur_q);
			break;
		}
		out[i] = (struct trace_event){ .time = t, .gfn = g, .vcpu = (uint32_t)cpu,
					       .flags = (uint32_t)(v & EV_PAGING_BIT) };
	}
	r->p = p;
	r->prev_time = t;
	r->prev_gfn = g;
	r->chunk_done += i;
	r->events += i;
	if (!r->failed && r->chunk_done == r->chunk_events && p != end)
		fail_at(r, r->chunk_off, "chunk %" PRIu64 ": %zu bytes left after its %" PRIu32
			" events", r->chunks - 1, (size_t)(end - p), r->chunk_events);
	return i;
}

long trace_read(struct trace_reader *r, struct trace_event *buf, size_t max)
{
	size_t n = 0;

	if (max > LONG_MAX)
		max = LONG_MAX;
	while (!r->failed && !r->at_end && n < max) {
		uint32_t left = r->chunk_events - r->chunk_done;
		if (!left) {
			if (next_chunk(r) < 0)
				break;
			continue;
		}
		n += decode(r, buf + n, max - n < left ? (uint32_t)(max - n) : left);
	}
	return r->failed ? -1 : (long)n;
}

/* ======================================= the rest ===================================== */

static bool start(struct trace_reader *r)
{
	struct stat st;

	if (fstat(r->fd, &st)) {
		fail_at(r, 0, "%s", strerror(errno));
		return false;
	}
	/* Offsets in messages are file offsets: a stdin left mid-file is read as a stream. */
	r->seekable = S_ISREG(st.st_mode) && lseek(r->fd, 0, SEEK_CUR) == 0;
	r->trailer_off = NO_TRAILER_OFF;
	r->dctx = ZSTD_createDCtx();
	r->comp = malloc(COMP_CAP);
	r->raw = malloc(CHUNK_RAW_MAX);
	if (!r->dctx || !r->comp || !r->raw || !qset_init(&r->seen)) {
		fail_at(r, 0, "out of memory");
		return false;
	}
	if (!read_header(r) || (r->seekable && !read_trailer_early(r, (uint64_t)st.st_size)))
		return false;
	r->q_end = r->h.quantum;
	return true;
}

struct trace_reader *trace_open(const char *path, char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof *r);

	if (!r || !(r->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(r);
		return NULL;
	}
	r->own_fd = strcmp(path, "-") != 0;
	r->name = r->own_fd ? r->path : "<stdin>";
	r->fd = r->own_fd ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (r->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		trace_close(r);
		return NULL;
	}
	if (!start(r)) {
		snprintf(err, errlen, "%s", r->error);
		trace_close(r);
		return NULL;
	}
	return r;
}

const struct trace_header *trace_reader_header(const struct trace_reader *r)
{
	return &r->h;
}

bool trace_reader_totals(const struct trace_reader *r, struct trace_totals *t)
{
	if (r->have_totals)
		*t = r->totals;
	return r->have_totals;
}

const char *trace_reader_error(const struct trace_reader *r)
{
	return r->failed ? r->error : "no error";
}

uint64_t trace_reader_offset(const struct trace_reader *r)
{
	return r->off;
}

void trace_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->comp);
	free(r->raw);
	qset_free(&r->seen);
	free(r->path);
	free(r);
}
