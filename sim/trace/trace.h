/*
 * Migration traces: the stream of guest page writes in guest virtual time, in a versioned,
 * delta-encoded, zstd-compressed file (sim/trace/FORMAT.md is the specification). A writer makes
 * one; a reader streams one back and validates everything it reads, so a truncated, corrupt,
 * wrong-version or hostile file ends in an error that names the byte offset, never in a crash.
 *
 * Time is guest time: instructions the guest retired in VMX non-root operation since it first
 * ran (hv's own instructions do not count). A virtual second is 10^9 of them.
 */
#ifndef HVSIM_SIM_TRACE_TRACE_H
#define HVSIM_SIM_TRACE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_VERSION 1
#define TRACE_PAGE_SIZE 4096u
#define TRACE_SOURCE_MAX 1024          /* bytes of the source description, without a NUL */
#define TRACE_VCPUS_MAX 256
#define TRACE_RAM_MAX (64ull << 30)    /* the largest guest RAM a trace may describe */
#define TRACE_NS_PER_SECOND 1000000000ull /* guest instructions per virtual second */

struct trace_header {
	uint32_t version;       /* TRACE_VERSION (filled in by trace_create) */
	uint32_t page_size;     /* TRACE_PAGE_SIZE */
	uint32_t vcpus;         /* 1..TRACE_VCPUS_MAX */
	uint64_t guest_ram;     /* bytes: a positive multiple of page_size, at most TRACE_RAM_MAX */
	uint64_t quantum;       /* guest instructions; each page appears at most once per quantum */
	char source[TRACE_SOURCE_MAX + 1]; /* workload and options (printable text), NUL-terminated */
};

/* A byte the source text may hold: printable ASCII, shown to people, no control sequences. */
static inline bool trace_source_char(char c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* The event was the CPU's own access to a guest paging-structure entry during a page walk. */
#define TRACE_EV_PAGING 1u

struct trace_event {
	uint64_t time;  /* guest time of the first write to the page in its quantum */
	uint64_t gfn;   /* guest page number: guest-physical address / page_size */
	uint32_t vcpu;  /* < header.vcpus */
	uint32_t flags; /* TRACE_EV_* */
};

/* What the trailer says: known up front when the file is seekable. */
struct trace_totals {
	uint64_t events;
	uint64_t duration; /* guest time when recording ended: >= every event's time */
};

/* ---- writing ---- */

struct trace_writer;

/*
 * Create 'path' ("-": standard output) and write the header. On failure returns NULL with a
 * one-line reason in err[errlen].
 */
struct trace_writer *trace_create(const char *path, const struct trace_header *h, char *err,
				  size_t errlen);
/*
 * Append one event. Events come in nondecreasing time order, each page at most once per
 * quantum, gfn inside guest RAM, vcpu below the header's count: false (with the reason in
 * trace_writer_error) if not, or if writing failed. The first error sticks: later calls fail
 * too, and the file can only be abandoned.
 */
bool trace_write(struct trace_writer *w, const struct trace_event *e);
/*
 * Flush, write the trailer (duration >= the last event's time) and close the file; false on
 * error. Like trace_abandon it leaves 'w' for trace_writer_error: trace_writer_free frees it.
 */
bool trace_finish(struct trace_writer *w, uint64_t duration);
const char *trace_writer_error(const struct trace_writer *w);
/* Close without a trailer (after an error): the file stays invalid on purpose. */
void trace_abandon(struct trace_writer *w);
/* Free a writer after trace_finish or trace_abandon (one left open is abandoned); NULL is fine. */
void trace_writer_free(struct trace_writer *w);

/* ---- reading ---- */

struct trace_reader;

/*
 * Open 'path' ("-": standard input), read and validate the header and, when the file is
 * seekable, the trailer. On failure returns NULL with "PATH: offset N: reason" in err
 * ("PATH: strerror" if it cannot be opened; PATH is "<stdin>" for "-").
 */
struct trace_reader *trace_open(const char *path, char *err, size_t errlen);
const struct trace_header *trace_reader_header(const struct trace_reader *r);
/* The trailer's totals; false if they are not known yet (a pipe, before the end). */
bool trace_reader_totals(const struct trace_reader *r, struct trace_totals *t);
/*
 * Decode up to 'max' events into 'buf': returns how many (0 at the end), or -1 on an error
 * (trace_reader_error says "PATH: offset N: reason"). At the end the trailer has been checked
 * against what was read (event count, duration >= the last time).
 */
long trace_read(struct trace_reader *r, struct trace_event *buf, size_t max);
const char *trace_reader_error(const struct trace_reader *r);
/* Compressed bytes consumed so far (for progress). */
uint64_t trace_reader_offset(const struct trace_reader *r);
void trace_close(struct trace_reader *r);

#endif
