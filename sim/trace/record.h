/*
 * Recording a trace while a guest runs: a tap (cpu/guest_hooks.h) on the guest's non-root
 * accesses that may dirty a page. Each quantum of guest time the TLB is flushed, so the first
 * write to every page in the quantum fills again and is seen; the events of a quantum are merged
 * per page (a store wins over a page-walk access) and written when the quantum is over.
 * Flushing the TLB changes nothing the guest computes, only how often hvsim walks its tables.
 */
#ifndef HVSIM_SIM_TRACE_RECORD_H
#define HVSIM_SIM_TRACE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "sim/trace/trace.h"

struct recorder {
	struct cpu_tap tap;
	struct trace_writer *w;
	uint64_t quantum, pages;
	uint64_t rearm_at;       /* guest time of the next TLB flush */
	uint64_t cur;            /* quantum index + 1 of the buffered events (0: none) */
	uint64_t *seen;          /* per page: quantum index + 1 of its buffered event */
	uint32_t *slot;          /* per page: where in buf */
	struct trace_event *buf;
	size_t n, cap;
	uint64_t events, outside; /* written; accesses beyond guest RAM (not in a trace) */
	bool failed;
	char error[256];          /* why failed */
};

/* Create 'path' with header 'h' and attach to 'cpu'; false with the reason in err. */
bool recorder_start(struct recorder *r, struct cpu *cpu, const char *path,
		    const struct trace_header *h, char *err, size_t errlen);
/*
 * Detach, write what is buffered and the trailer (duration: the guest time now); false with the
 * reason in err (the file is then left without a trailer: readers reject it).
 */
bool recorder_finish(struct recorder *r, struct cpu *cpu, char *err, size_t errlen);

#endif
