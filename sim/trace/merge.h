/*
 * Writing a trace from raw page writes in time order, as gen and import have them: a trace holds
 * each page at most once per quantum (trace.h), so a write to a page already written in the same
 * quantum (time / quantum) is dropped, and the first one, with its time and vCPU, stays. That is
 * what recording gives too: the first write to a page in a quantum is the one the MMU sees.
 */
#ifndef HVSIM_SIM_TRACE_MERGE_H
#define HVSIM_SIM_TRACE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/trace/pageset.h"
#include "sim/trace/trace.h"

struct trace_merger {
	struct trace_writer *w;
	uint64_t quantum, cur;   /* cur: the quantum index of the last write */
	struct pageset in_quantum, written;
	uint64_t writes, events; /* given, and kept */
};

/* What gen and import report when done. */
struct merge_totals {
	uint64_t writes, events, pages; /* writes given, events kept, distinct pages */
	uint64_t duration;
};

/* Create 'path' with header 'h'; false with the reason in err. */
bool merger_create(struct trace_merger *m, const char *path, const struct trace_header *h, char *err,
		   size_t errlen);
/* One write (times nondecreasing); false with the reason in err if the writer failed. */
bool merger_write(struct trace_merger *m, const struct trace_event *e, char *err, size_t errlen);
/*
 * The trailer and close; false with the reason in err. Frees the merger either way; *t gets its
 * counts.
 */
bool merger_finish(struct trace_merger *m, uint64_t duration, struct merge_totals *t, char *err,
		   size_t errlen);
/* Close without a trailer, after an error: the file stays invalid. */
void merger_abandon(struct trace_merger *m);
#endif
