/*
 * Writing a trace (trace.h, FORMAT.md). Events are validated as they come, delta-encoded into a
 * chunk buffer, and each full chunk is compressed into one zstd frame and written behind its
 * header. Memory stays bounded (one chunk raw and compressed, and the current quantum's page
 * set) and the file is written strictly in order, so standard output or a pipe works as well as
 * a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "sim/trace/format.h"
#include "sim/trace/trace.h"

#define COMP_CAP ZSTD_COMPRESSBOUND(CHUNK_RAW_MAX)

struct trace_writer {
	const char *name;  /* path, or "<stdout>", for messages */
	char *path;
	int fd;            /* -1 once closed */
	bool own_fd, failed, done;
	struct trace_header h;
	uint64_t pages;

	ZSTD_CCtx *cctx;
	uint8_t *raw;      /* the chunk's event stream */
	size_t raw_len;
	uint32_t chunk_events;
	uint8_t *out;      /* chunk header + compressed frame */

	uint64_t events, chunks;
	uint64_t prev_time, prev_gfn;
	struct qset seen; /* pages of quantum cur_q */
	uint64_t cur_q;
	char error[512];
};

static void fail(struct trace_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct trace_writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->failed)
		return;
	w->failed = true;
	n = snprintf(w->error, sizeof w->error, "%s: ", w->name);
	if (n < 0 || (size_t)n >= sizeof w->error)
		return;
	va_start(ap, fmt);
	vsnprintf(w->error + n, sizeof w->error - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool write_all(struct trace_writer *w, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fail(w, "write failed: %s", k < 0 ? strerror(errno) : "no progress");
			return false;
		}
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Printable ASCII only: the source is shown to people and must not carry control sequences. */
static const char *check_header(const struct trace_header *h, size_t *source_len)
{
	size_t n = strnlen(h->source, sizeof h->source);

	if (h->page_size != TRACE_PAGE_SIZE)
		return "page size must be 4096";
	if (!h->guest_ram || h->guest_ram % TRACE_PAGE_SIZE || h->guest_ram > TRACE_RAM_MAX)
		return "guest RAM must be a positive multiple of 4096 bytes, at most 64 GiB";
	if (!h->quantum)
		return "quantum must be at least 1";
	if (h->vcpus < 1 || h->vcpus > TRACE_VCPUS_MAX)
		return "vCPU count must be 1..256";
	if (n > TRACE_SOURCE_MAX)
		return "source text longer than 1024 bytes";
	for (size_t i = 0; i < n; i++)
		if (!trace_source_char(h->source[i]))
			return "source text must be printable ASCII";
	*source_len = n;
	return NULL;
}

static size_t encode_header(const struct trace_header *h, size_t source_len, uint8_t *b)
{
	size_t size = HDR_FIXED + source_len;

	memset(b, 0, HDR_FIXED);
	memcpy(b, HDR_MAGIC, HDR_MAGIC_LEN);
	put_le16(b + HDR_OFF_VERSION, TRACE_VERSION);
	put_le16(b + HDR_OFF_SIZE, (uint16_t)size);
	put_le32(b + HDR_OFF_PAGE_SIZE, h->page_size);
	put_le64(b + HDR_OFF_RAM, h->guest_ram);
	put_le64(b + HDR_OFF_QUANTUM, h->quantum);
	put_le32(b + HDR_OFF_VCPUS, h->vcpus);
	put_le16(b + HDR_OFF_SOURCE_LEN, (uint16_t)source_len);
	memcpy(b + HDR_FIXED, h->source, source_len);
	put_le32(b + size, trace_crc32(b, size));
	return size + HDR_CRC_LEN;
}

static void release(struct trace_writer *w)
{
	if (w->own_fd && w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	ZSTD_freeCCtx(w->cctx);
	w->cctx = NULL;
	free(w->raw);
	free(w->out);
	w->raw = w->out = NULL;
	qset_free(&w->seen);
}

static bool setup(struct trace_writer *w)
{
	w->cctx = ZSTD_createCCtx();
	w->raw = malloc(CHUNK_RAW_MAX);
	w->out = malloc(CHUNK_HDR + COMP_CAP);
	if (!w->cctx || !w->raw || !w->out || !qset_init(&w->seen))
		return false;
	/* The content checksum lets a reader tell a damaged frame from a bad event. */
	return !ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, CHUNK_ZSTD_LEVEL)) &&
	       !ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)) &&
	       !ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1));
}

struct trace_writer *trace_create(const char *path, const struct trace_header *h, char *err,
				  size_t errlen)
{
	uint8_t hdr[HDR_MAX];
	size_t source_len = 0, hdr_len;
	const char *why = check_header(h, &source_len);
	struct trace_writer *w;

	if (why) {
		snprintf(err, errlen, "%s: bad trace header: %s", path, why);
		return NULL;
	}
	w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path))) {
		free(w);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	w->h = *h;
	w->h.version = TRACE_VERSION;
	w->pages = h->guest_ram / TRACE_PAGE_SIZE;
	w->fd = -1;
	w->name = strcmp(path, "-") ? w->path : "<stdout>";
	if (!setup(w)) {
		snprintf(err, errlen, "%s: out of memory", path);
		trace_writer_free(w);
		return NULL;
	}
	w->own_fd = strcmp(path, "-") != 0;
	w->fd = w->own_fd ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : STDOUT_FILENO;
	if (w->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		trace_writer_free(w);
		return NULL;
	}
	hdr_len = encode_header(h, source_len, hdr);
	if (!write_all(w, hdr, hdr_len)) {
		snprintf(err, errlen, "%s", w->error);
		trace_writer_free(w);
		return NULL;
	}
	return w;
}

static bool flush_chunk(struct trace_writer *w)
{
	uint8_t *hdr = w->out;
	size_t comp;

	if (!w->chunk_events)
		return true;
	comp = ZSTD_compress2(w->cctx, w->out + CHUNK_HDR, COMP_CAP, w->raw, w->raw_len);
	if (ZSTD_isError(comp)) {
		fail(w, "zstd: %s", ZSTD_getErrorName(comp));
		return false;
	}
	memcpy(hdr, CHUNK_TAG, TAG_LEN);
	put_le32(hdr + CHUNK_OFF_EVENTS, w->chunk_events);
	put_le32(hdr + CHUNK_OFF_RAW, (uint32_t)w->raw_len);
	put_le32(hdr + CHUNK_OFF_COMP, (uint32_t)comp);
	put_le32(hdr + CHUNK_OFF_CRC, chunk_crc32(hdr, w->out + CHUNK_HDR, comp));
	if (!write_all(w, w->out, CHUNK_HDR + comp))
		return false;
	w->chunks++;
	w->chunk_events = 0;
	w->raw_len = 0;
	return true;
}

/* The format's rules for one event, checked before anything is changed. */
static bool check_event(struct trace_writer *w, const struct trace_event *e)
{
	uint64_t n = w->events;

	if (e->flags & ~TRACE_EV_PAGING)
		fail(w, "event %" PRIu64 ": unknown flags 0x%" PRIx32, n, e->flags);
	else if (e->gfn >= w->pages)
		fail(w, "event %" PRIu64 ": gfn %" PRIu64 " outside guest RAM (%" PRIu64 " pages)", n,
		     e->gfn, w->pages);
	else if (e->vcpu >= w->h.vcpus)
		fail(w, "event %" PRIu64 ": vCPU %" PRIu32 " but the trace has %" PRIu32, n, e->vcpu,
		     w->h.vcpus);
	else if (e->time < w->prev_time)
		fail(w, "event %" PRIu64 ": time %" PRIu64 " is before the previous event's %" PRIu64,
		     n, e->time, w->prev_time);
	return !w->failed;
}

static bool note_page(struct trace_writer *w, const struct trace_event *e)
{
	uint64_t q = e->time / w->h.quantum;
	int added;

	if (q != w->cur_q) {
		w->cur_q = q;
		qset_clear(&w->seen);
	}
	added = qset_add(&w->seen, e->gfn);
	if (added < 0)
		fail(w, "out of memory for the quantum's pages");
	else if (!added)
		fail(w, "event %" PRIu64 ": gfn %" PRIu64 " appears twice in quantum %" PRIu64
		     " (guest time %" PRIu64 "..%" PRIu64 ")", w->events, e->gfn, q, q * w->h.quantum,
		     q * w->h.quantum + (w->h.quantum - 1));
	return added > 0;
}

bool trace_write(struct trace_writer *w, const struct trace_event *e)
{
	uint8_t *p;

	if (w->done)
		fail(w, "write after the trace was closed");
	if (w->failed || !check_event(w, e) || !note_page(w, e))
		return false;
	if ((w->chunk_events == CHUNK_EVENTS_MAX || w->raw_len > CHUNK_RAW_MAX - EVENT_BYTES_MAX) &&
	    !flush_chunk(w))
		return false;
	p = w->raw + w->raw_len;
	p = varint_put(p, e->time - w->prev_time);
	p = varint_put(p, zigzag((int64_t)(e->gfn - w->prev_gfn)) << 1 | (e->flags & EV_PAGING_BIT));
	if (w->h.vcpus > 1)
		p = varint_put(p, e->vcpu);
	w->raw_len = (size_t)(p - w->raw);
	w->chunk_events++;
	w->events++;
	w->prev_time = e->time;
	w->prev_gfn = e->gfn;
	return true;
}

static bool write_trailer(struct trace_writer *w, uint64_t duration)
{
	uint8_t t[TRAILER_LEN] = { 0 };

	memcpy(t, TRAILER_TAG, TAG_LEN);
	put_le32(t + TRAILER_OFF_CHUNKS, (uint32_t)w->chunks);
	put_le64(t + TRAILER_OFF_EVENTS, w->events);
	put_le64(t + TRAILER_OFF_DURATION, duration);
	put_le32(t + TRAILER_OFF_CRC, trace_crc32(t, TRAILER_OFF_CRC));
	return write_all(w, t, sizeof t);
}

bool trace_finish(struct trace_writer *w, uint64_t duration)
{
	if (w->done)
		fail(w, "trace finished twice");
	else if (duration < w->prev_time)
		fail(w, "duration %" PRIu64 " is before the last event's time %" PRIu64, duration,
		     w->prev_time);
	/* The trailer's chunk count is a u32: 2^32 chunks would be 2^48 events. */
	else if (w->chunks + (w->chunk_events > 0) > UINT32_MAX)
		fail(w, "too many chunks for one trace");
	if (!w->failed && flush_chunk(w) && write_trailer(w, duration) && w->own_fd) {
		int fd = w->fd;
		w->fd = -1;
		if (close(fd))
			fail(w, "close failed: %s", strerror(errno));
	}
	trace_abandon(w);
	return !w->failed;
}

const char *trace_writer_error(const struct trace_writer *w)
{
	return w->failed ? w->error : "no error";
}

void trace_abandon(struct trace_writer *w)
{
	release(w);
	w->done = true;
}

void trace_writer_free(struct trace_writer *w)
{
	if (!w)
		return;
	release(w);
	free(w->path);
	free(w);
}
