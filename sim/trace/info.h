/*
 * What a trace holds (hvsim trace info): its header, totals, and the write rate over time, the
 * duration cut into N buckets: bucket i covers guest times [floor(i*D/N), floor((i+1)*D/N)), the
 * last also takes events at time D (duration >= every time). Everything is computed from the
 * events, in virtual time, so the output is the same on every host.
 */
#ifndef HVSIM_SIM_TRACE_INFO_H
#define HVSIM_SIM_TRACE_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/trace/trace.h"

#define INFO_BUCKETS_DEFAULT 10
#define INFO_BUCKETS_MAX 1000

struct info_bucket {
	uint64_t start, end;    /* guest time, [start, end) */
	uint64_t events, pages; /* events in the bucket, distinct pages among them */
};

struct trace_info {
	struct trace_header h;
	uint64_t events, paging; /* all, and those with TRACE_EV_PAGING */
	uint64_t pages;          /* distinct */
	uint64_t duration;
	unsigned nbuckets;
	struct info_bucket b[INFO_BUCKETS_MAX];
};

/* Read 'path' ("-": stdin) through; false with the reader's "PATH: offset N: reason" in err. */
bool info_collect(const char *path, unsigned nbuckets, struct trace_info *ti, char *err,
		  size_t errlen);
/* As text; false if writing failed. */
bool info_print(FILE *f, const char *path, const struct trace_info *ti);
/* As one JSON object (README "hvsim trace" lists the keys); false if writing failed. */
bool info_print_json(FILE *f, const char *path, const struct trace_info *ti);

#endif
