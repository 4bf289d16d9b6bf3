/*
 * Two ways for sim/ to take part in VMX non-root execution without cpu/ knowing about traces:
 *
 * - a tap observes the guest's accesses to guest-physical memory that may dirty a page, and asks
 *   for the TLB to be flushed at each of its quantum ends, so that the first write to every page
 *   in every quantum comes through the fill hook again (sim/trace/record.c);
 * - a stand-in replaces the guest's execution: instead of running guest code, the run loop asks
 *   it to make guest progress, which it does by advancing time and making guest-physical
 *   accesses through the same EPT path as executed loads and stores (sim/trace/replay.c).
 *
 * Both work in guest time: the virtual time spent in non-root operation (cpu_guest_time).
 */
#ifndef HVSIM_CPU_GUEST_HOOKS_H
#define HVSIM_CPU_GUEST_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct virt_event;

struct cpu_tap {
	void *opaque;
	/*
	 * A non-root access that succeeded: a write to guest memory (a store, or the CPU setting an
	 * accessed/dirty flag in a guest paging-structure entry) or, with 'paging' set, the CPU
	 * reading a guest paging-structure entry during a walk (a write for EPT when EPTP.AD = 1).
	 */
	void (*access)(void *opaque, uint64_t gpa, bool paging, uint64_t guest_time);
	/* Guest time of the next quantum end; the run loop flushes the TLB there and calls rearm. */
	uint64_t (*next_rearm)(void *opaque);
	void (*rearm)(void *opaque, uint64_t guest_time);
};

enum standin_result {
	STANDIN_RAN,   /* progress made up to the deadline; run the loop again */
	STANDIN_EXIT,  /* perform the VM exit in *exit (a recorded VIRT_MEMORY one, or another) */
	STANDIN_ERROR, /* stop the machine: cpu->error says why */
	STANDIN_STOP,  /* stop the machine quietly, as a device may: the stand-in's owner says why */
};

struct cpu_standin {
	void *opaque;
	/* Make guest progress until vtime reaches 'until' or an access needs a VM exit. */
	enum standin_result (*run)(void *opaque, struct cpu *cpu, uint64_t until,
				   struct virt_event *exit);
};

#endif
