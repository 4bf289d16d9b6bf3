/*
 * What a debugger (sim/debug/) asks of the run loop: stops at exact instruction boundaries.
 *
 * - cpu->stop_at: cpu_run returns CPU_STOP_DEBUG (reason CPU_DEBUG_TIME) when virtual time
 *   reaches it, before anything at that boundary happens (interrupts, VM exits);
 * - breakpoints: RIP reached an address, the instruction not yet executed;
 * - watchpoints: an instruction read or wrote a watched range of physical memory (through
 *   any mapping); the stop comes at the end of its block (the engine steps the block again for
 *   the exact instruction);
 * - the hooks below: an event about to be delivered (held back and delivered when the run goes
 *   on), a VM exit or a SYSCALL just performed.
 *
 * Virtual time is exact at every stop (cpu/run.c corrects it when a block ends early), so a
 * debugger never changes what a run computes: stepping, stopping and running give the same
 * state at the same virtual time.
 */
#ifndef HVSIM_CPU_DEBUG_H
#define HVSIM_CPU_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#include "cpu/events.h"
#include "cpu/fault.h"

struct cpu;

struct cpu_debug {
	void *opaque;
	/* An event is about to be delivered: true stops before it (it is held, see below). */
	bool (*event)(void *opaque, struct cpu *cpu, const struct fault *f, enum event_kind kind);
	/* A VM exit was performed (RIP is the host's): true stops here. */
	bool (*vm_exit)(void *opaque, struct cpu *cpu);
	/* SYSCALL was performed (RIP is LSTAR's): true stops here. */
	bool (*syscall)(void *opaque, struct cpu *cpu);
	/* A breakpoint address was reached (RIP = addr): true stops before the instruction. */
	bool (*breakpoint)(void *opaque, struct cpu *cpu, uint64_t addr);
	/* An access of 'size' bytes at 'addr' near a watched range: true stops (cpu/debug.c). */
	bool (*watchpoint)(void *opaque, struct cpu *cpu, uint64_t addr, unsigned size, bool write);
};

#define CPU_ACCESS_MAX 64 /* the widest single data access (an AVX-512 register) */

/* Why cpu_run returned CPU_STOP_DEBUG. */
enum cpu_debug_reason {
	CPU_DEBUG_TIME,       /* vtime reached cpu->stop_at */
	CPU_DEBUG_BREAKPOINT, /* at RIP (the debug hooks were told which) */
	CPU_DEBUG_WATCHPOINT, /* after the block that made the access the hook accepted */
	CPU_DEBUG_EVENT,      /* cpu->held describes the event, delivered when cpu_run goes on */
	CPU_DEBUG_VM_EXIT,
	CPU_DEBUG_SYSCALL,
};

/* An event a debugger stopped before: cpu_run delivers it first when run again. */
struct cpu_held_event {
	bool valid;
	struct fault f;
	enum event_kind kind;
	unsigned soft_insn_len;
};

/*
 * Breakpoints: an array the debugger owns, looked at when a block starts (no Unicorn code hook:
 * with one, Unicorn stops synchronising RIP when a run stops between blocks). Watchpoints are
 * Unicorn memory hooks on physical addresses (host-physical in VMX non-root operation): Unicorn
 * calls them only from its slow memory path, which code translated while a memory hook exists
 * always takes, so inserting or removing one flushes every translation.
 */
void cpu_set_breakpoints(struct cpu *cpu, const uint64_t *addrs, unsigned n);
bool cpu_break_check(struct cpu *cpu, uint64_t pc, uint32_t size); /* on_block: cpu/debug.c */
bool cpu_watch_insert(struct cpu *cpu, uint64_t addr, uint64_t len, bool read, bool write,
		      uc_hook *out);
void cpu_watch_remove(struct cpu *cpu, uc_hook h);
/* Drop a held event (a debugger moved RIP away from the instruction that raised it). */
void cpu_drop_held(struct cpu *cpu);

#endif
