/*
 * Traces from elsewhere (hvsim trace import): page writes captured by another tool as CSV rows
 * "time_ns,gpa[,vcpu]", one per write. time_ns is guest time (1 ns of virtual time = 1 guest
 * instruction), decimal; gpa a guest-physical address, decimal or 0x-hex; vcpu decimal, 0 when
 * absent. A first line that does not start with a digit is a header and skipped; so are blank
 * lines and lines starting with '#'; CRLF line ends are fine.
 *
 * The rows may come in any order: they are sorted by time, rows of equal time keeping their order,
 * then merged per quantum like any trace (merge.h). The trace gets vCPUs = the largest vcpu + 1,
 * guest RAM = the highest page + 1 rounded up to 2M unless given, and duration = the last time + 1
 * (the write at time t is instruction t; the capture ran at least through it) unless given.
 */
#ifndef HVSIM_SIM_TRACE_IMPORT_H
#define HVSIM_SIM_TRACE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/trace/merge.h"

#define IMPORT_RAM_ALIGN (2ull << 20)

struct csv_row {
	uint64_t time, gpa;
	uint32_t vcpu;
};

enum csv_line { CSV_ROW, CSV_HEADER, CSV_SKIP, CSV_BAD };
/*
 * Classify and parse one line (its end of line included or not). 'first': no row or header came
 * before, so a line not starting with a digit is the header. CSV_BAD leaves what is wrong in why.
 */
enum csv_line csv_parse_line(const char *line, bool first, struct csv_row *row, char *why,
			     size_t whylen);

struct import_config {
	const char *csv;     /* "-": stdin */
	const char *out;     /* "-": stdout */
	const char *source;  /* the header's source; NULL: "hvsim trace import --csv CSV" */
	uint64_t ram;        /* 0: from the highest page */
	uint64_t quantum;
	uint64_t duration;   /* when have_duration */
	bool have_duration;
};

/* Convert; false with "CSV:LINE: reason" (or the writer's reason) in err. */
bool import_csv(const struct import_config *c, struct merge_totals *t, char *err, size_t errlen);

#endif
