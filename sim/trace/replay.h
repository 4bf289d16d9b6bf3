/*
 * Replaying a trace: a stand-in (cpu/guest_hooks.h) for the guest's execution in VMX non-root
 * operation. Guest time advances to each event's time and the event becomes a guest-physical
 * access through the virtualization layer's translate, the path an executed store's TLB fill
 * takes: EPT permissions, accessed/dirty flags, PML logging, and EPT violations or PML-full VM
 * exits that hv handles for real. A store adds 1 to the page's first 64-bit word, so a page the
 * migration loses differs between source and destination. When the trace is over and guest time
 * has reached its duration, the guest reports SUCCESS on the debug-exit port (an I/O exit).
 *
 * A translation that allowed writing is kept per page, as the CPU keeps guest-physical mappings,
 * until INVEPT or a VM entry with another EPTP (cpu->gpa_gen): later stores to the page need no
 * walk and set no flag, exactly as on the CPU (SDM Vol. 3, 29.4).
 */
#ifndef HVSIM_SIM_TRACE_REPLAY_H
#define HVSIM_SIM_TRACE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "sim/progress.h"
#include "sim/trace/trace.h"

#define REPLAY_BATCH 4096

struct replay_page {
	uint64_t gen;  /* cpu->gpa_gen + 1 when the write translation was made; else stale */
	uint8_t *host; /* the page in host memory */
};

struct replay_stats {
	uint64_t events;       /* applied */
	uint64_t walks;        /* of those, translated (the rest hit a kept translation) */
	uint64_t exits;        /* VM exits the events caused (a retried event counts each) */
	uint64_t host_ns;      /* host time inside the stand-in, if profiling */
};

struct replayer {
	struct cpu_standin standin;
	struct trace_reader *rd;
	uint64_t pages, duration;
	bool duration_known, eof, failed, profile;
	struct trace_event batch[REPLAY_BATCH];
	size_t i, n;
	struct replay_page *page;
	struct replay_stats stats;
	struct progress *progress; /* or NULL */
	char error[320];           /* why the trace could not be read: an input error */
};

/* Attach to 'cpu' (guest RAM of the trace's size, from GPA 0). False with the reason in error. */
bool replayer_start(struct replayer *r, struct cpu *cpu, struct trace_reader *rd,
		    struct progress *progress, bool profile);
void replayer_finish(struct replayer *r, struct cpu *cpu);

#endif
