/*
 * Live-migration statistics: the "@mig" lines hv prints on COM1, parsed into one record per
 * migration run and rendered as a text table, JSON or CSV (README "hvsim migrate").
 *
 *   @mig begin tracker=pml guest=NAME pages=N bandwidth=B max_rounds=N threshold=N
 *   @mig round n=0 dirtied=N sent=N ticks=N guest_ticks=N track_ticks=N exit.REASON=N ...
 *   @mig final dirtied=N sent=N ticks=N guest_ticks=N track_ticks=N exit.REASON=N ...
 *   @mig end rounds=N sent=N downtime_ticks=N verify=ok|mismatch|incomplete lost=N result=SUCCESS|...
 *
 * Keys the format does not define are kept as text; exit.REASON keys are counts. Every line is
 * checked (syntax, numbers, order, ranges, totals): the first bad line stops parsing with one
 * message naming its COM1 line, never a crash.
 */
#ifndef HVSIM_SIM_MIGSTAT_H
#define HVSIM_SIM_MIGSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MIG_LINE_MAX 1024            /* longest @mig line, without its newline */
#define MIG_ROUNDS_MAX 1000          /* most pre-copy rounds (max_rounds) */
#define MIG_PAGES_MAX (16ull << 20)  /* 64 GiB of 4 KiB pages: hvsim's RAM limit */
#define MIG_VALUE_MAX ((uint64_t)INT64_MAX) /* largest number: JSON integers are signed 64-bit */
#define MIG_NAME_MAX 64              /* longest guest name, with its NUL */
#define MIG_REASONS_MAX 256          /* most distinct exit reasons in one run */
#define MIG_EXITS_PER_LINE 128       /* most exit.REASON keys on one line */
#define MIG_PAGE_SIZE 4096u
#define MIG_TICKS_PER_SECOND 1000000000ull /* a virtual second: ticks are retired instructions */

enum mig_tracker { MIG_TRACKER_PML, MIG_TRACKER_WP, MIG_TRACKER_SCAN, MIG_TRACKER_COUNT };
enum mig_verify { MIG_VERIFY_OK, MIG_VERIFY_MISMATCH, MIG_VERIFY_INCOMPLETE /* the guest ended first */ };
enum mig_result { MIG_RESULT_SUCCESS, MIG_RESULT_FAILURE, MIG_RESULT_ERROR, MIG_RESULT_SKIP,
		  MIG_RESULT_CRASHED };

const char *mig_tracker_name(enum mig_tracker t);
bool mig_tracker_parse(const char *s, enum mig_tracker *out);
const char *mig_verify_name(enum mig_verify v);
const char *mig_result_name(enum mig_result r);

enum mig_err {
	MIG_OK,
	MIG_ERR_SYNTAX,       /* not "@mig KIND key=value ...", or a byte that may not appear */
	MIG_ERR_NUMBER,       /* a value that should be a decimal integer is not, or is too large */
	MIG_ERR_FIELD,        /* a required key missing, a key twice, an unknown enumeration value */
	MIG_ERR_ORDER,        /* a record out of sequence (begin, round n=0.., final, end) */
	MIG_ERR_RANGE,        /* a value outside what a migration can produce */
	MIG_ERR_INCONSISTENT, /* end's totals disagree with the rounds */
	MIG_ERR_TOO_LONG,     /* a line longer than MIG_LINE_MAX */
	MIG_ERR_INCOMPLETE,   /* the output stopped before "@mig end" */
	MIG_ERR_NOMEM,
};
const char *mig_strerror(enum mig_err e);

/* A decimal integer as the lines carry them: digits only; MIG_ERR_RANGE above MIG_VALUE_MAX. */
enum mig_err mig_decimal(const char *s, uint64_t *out);

/* exit.REASON=COUNT (name without the "exit." prefix), or a per-run total. */
struct mig_count {
	char *name;
	uint64_t count;
};

/* A key the format does not define, kept as text. */
struct mig_extra {
	char *key, *value;
};

/* What a line carries besides the keys the format defines. */
struct mig_more {
	struct mig_count *exits;
	unsigned nexits;
	uint64_t exits_total;
	struct mig_extra *extra;
	unsigned nextra;
};

struct mig_begin {
	unsigned tracker; /* enum mig_tracker */
	char guest[MIG_NAME_MAX];
	uint64_t pages, bandwidth, max_rounds, threshold;
	struct mig_more more;
};

/* A pre-copy round, or the stop-and-copy ("final": n is then the number of rounds before it). */
struct mig_round {
	uint64_t n, dirtied, sent, ticks, guest_ticks, track_ticks;
	struct mig_more more;
};

struct mig_end {
	uint64_t rounds, sent, downtime_ticks, lost;
	unsigned verify; /* enum mig_verify */
	unsigned result; /* enum mig_result */
	struct mig_more more;
};

/*
 * The keys each record kind defines, as a table: the parser, the JSON and CSV columns and the text
 * table are all generated from it. 'offset' is into the kind's struct (mig_begin, mig_round or
 * mig_end); every key is required.
 */
enum mig_kind { MIG_BEGIN, MIG_ROUND, MIG_FINAL, MIG_END, MIG_KIND_COUNT };
enum mig_field_type { MIG_FIELD_U64, MIG_FIELD_ENUM, MIG_FIELD_NAME };

struct mig_field {
	const char *key;
	enum mig_field_type type;
	size_t offset;
	const char *const *names; /* MIG_FIELD_ENUM: the values by number, NULL-terminated */
};

struct mig_record_spec {
	const char *name;
	const struct mig_field *fields;
	unsigned nfields;
	size_t more_offset; /* where its struct mig_more is */
};

extern const struct mig_record_spec mig_records[MIG_KIND_COUNT];

uint64_t mig_field_u64(const void *rec, const struct mig_field *f);
/* The value as text: a number in decimal, an enumeration by name; buf holds >= 24 bytes. */
const char *mig_field_text(const void *rec, const struct mig_field *f, char *buf);
const struct mig_more *mig_record_more(const void *rec, enum mig_kind k);

/* Sums over every round and the stop-and-copy. */
struct mig_totals {
	uint64_t sent, ticks, guest_ticks, track_ticks, exits;
	struct mig_count *by_reason; /* in order of first appearance */
	unsigned nreasons;
};

struct mig_run {
	char label[16]; /* what the run is called in side-by-side output: the tracker asked for */
	bool have_begin, have_final, have_end;
	struct mig_begin begin;
	struct mig_round *rounds;
	unsigned nrounds, cap;
	struct mig_round final;
	struct mig_end end;
	struct mig_totals total;
	enum mig_err err;   /* the first error; parsing stops there */
	char error[256];    /* "COM1 line N: @mig KIND: what is wrong" */
};

void mig_run_init(struct mig_run *r, const char *label);
void mig_run_free(struct mig_run *r);

/*
 * Parse one line ("@mig KIND ...", without its newline; a trailing CR is ignored). 'lineno'
 * names it in messages. After an error, every later call returns that error.
 */
enum mig_err mig_parse_line(struct mig_run *r, const char *line, size_t len, unsigned long lineno);

/* After the last line: MIG_ERR_INCOMPLETE unless begin ... end were all seen. */
enum mig_err mig_run_finish(struct mig_run *r);

/*
 * Splits a COM1 byte stream: lines starting "@mig" followed by a blank or the line end go to the
 * parser; the rest (the console) goes to 'echo' as it arrives. With echo_records, every byte goes
 * to 'echo' (a full transcript). 'echo' may be NULL.
 */
struct mig_stream {
	struct mig_run *run;
	FILE *echo;
	bool echo_records;
	enum { MIG_LINE_PREFIX, MIG_LINE_RECORD, MIG_LINE_CONSOLE } mode;
	size_t len; /* bytes of the current line held in buf; more than MIG_LINE_MAX: too long */
	unsigned long lineno;
	char buf[MIG_LINE_MAX + 1];
};

void mig_stream_init(struct mig_stream *s, struct mig_run *run, FILE *echo, bool echo_records);
void mig_stream_byte(struct mig_stream *s, uint8_t byte);
/* End of output: parse an unterminated last line, then mig_run_finish. */
enum mig_err mig_stream_end(struct mig_stream *s);

/*
 * Renderers for n runs (n > 1: side by side, as --tracker all prints them). Incomplete or failed
 * runs render what was parsed, with their error. Each returns false if writing failed.
 *   table: a block per run (one row per round and the stop-and-copy, then a summary), and for
 *          n > 1 a comparison of the runs.
 *   json:  n == 1: the run's object; n > 1: an object keyed by each run's label.
 *   csv:   a header row, then one row per round and stop-and-copy of every run; the first
 *          column is the run's label, then the round ("final" for the stop-and-copy).
 */
bool mig_render_table(FILE *f, const struct mig_run *const *runs, unsigned n);
bool mig_render_json(FILE *f, const struct mig_run *const *runs, unsigned n);
bool mig_render_csv(FILE *f, const struct mig_run *const *runs, unsigned n);

#endif
