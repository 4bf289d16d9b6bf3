/*
 * The debugging engine: one machine under a debugger's control. Frontends (the gdb remote stub,
 * sim/debug/gdbstub.c, and the built-in debugger, sim/debug/cli.c) drive it; it drives cpu_run.
 *
 * Positions are exact: virtual time counts retired instructions, and every stop happens at an
 * instruction boundary (cpu/debug.h). Because runs are deterministic, going backwards is going
 * forwards again: dbg_reverse_* rebuild the machine and re-run it to an earlier virtual time,
 * with the console muted for what it has already printed.
 */
#ifndef HVSIM_SIM_DEBUG_ENGINE_H
#define HVSIM_SIM_DEBUG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/fault.h"
#include "sim/machine.h"

struct dbg;

/* How to make (and remake, for reverse execution) the machine being debugged. */
struct dbg_target {
	void *ctx;
	/* Create and boot a fresh machine in *m; returns an hvsim exit code (sim/exitcode.h). */
	int (*build)(void *ctx, struct machine *m);
	/* Undo build (machine_destroy and whatever build attached). */
	void (*destroy)(void *ctx, struct machine *m);
	/* Re-running is possible (false for record/replay: their hooks keep state outside). */
	bool reversible;
};

#define DBG_POLL_INSNS 2000000u

enum dbg_stop_kind {
	DBG_STOP_STEP,       /* the requested number of instructions ran */
	DBG_STOP_BREAKPOINT, /* an execution breakpoint: RIP is at it, not yet executed */
	DBG_STOP_WATCHPOINT, /* a data watchpoint: the access's instruction has completed */
	DBG_STOP_FAULT,      /* an exception is about to be delivered (RIP at the faulting insn) */
	DBG_STOP_VMEXIT,     /* a VM exit was performed: RIP is hv's exit handler */
	DBG_STOP_HYPERCALL,  /* a hypercall (SYSCALL from a PV guest, VMCALL exit) was entered */
	DBG_STOP_INTERRUPT,  /* the frontend asked (poll, or dbg_interrupt) */
	DBG_STOP_HISTORY,    /* reverse execution reached the start of the run */
	DBG_STOP_EXITED,     /* the machine finished: exit_code holds hvsim's exit code */
	DBG_STOP_ERROR,      /* the simulator cannot go on (text says why); the machine is dead */
};

enum dbg_watch { DBG_WATCH_WRITE = 1, DBG_WATCH_READ = 2, DBG_WATCH_ACCESS = 3 };

struct dbg_stop {
	enum dbg_stop_kind kind;
	uint64_t vtime;      /* retired instructions since reset */
	uint64_t rip;
	int bp;              /* BREAKPOINT / WATCHPOINT: the id of the one that hit */
	uint64_t data_addr;  /* WATCHPOINT: the address accessed */
	struct fault fault;  /* FAULT: vector, error code, CR2 and hvsim's reason */
	uint32_t exit_reason; /* VMEXIT: the basic exit reason */
	uint64_t hypercall;  /* HYPERCALL: its number (RAX) */
	int exit_code;       /* EXITED */
	char text[200];      /* one line describing the stop, for people */
};

/* What stops a run besides breakpoints (catchpoints); all off at open. */
struct dbg_catch {
	bool fault_any;                  /* every exception */
	uint32_t fault_vectors;          /* bit n: exception vector n */
	uint32_t fault_reasons;          /* bit n: #PF with enum fault_reason n (smap, smep, ...) */
	bool vmexit_any;
	uint64_t vmexit_reasons;         /* bit n: basic exit reason n (vmx/exit_reasons.def) */
	bool hypercall_any;
	uint64_t hypercalls;             /* bit n: hypercall number n (n < 64) */
};

/* Open a session: builds the machine; returns an hvsim exit code, *out set on EXIT_OK. */
int dbg_open(struct dbg **out, const struct dbg_target *t);
void dbg_close(struct dbg *d);

/* The machine as it is now (valid until the next call that runs or reverses). */
struct machine *dbg_machine(struct dbg *d);
/* Where it is: the last stop (kind STEP with no instructions run yet right after dbg_open). */
const struct dbg_stop *dbg_last_stop(const struct dbg *d);
bool dbg_exited(const struct dbg *d);

/* Fill st->text: what stopped the machine, without where (frontends add the place). */
void dbg_describe_stop(struct dbg_stop *st);

/* ---- running ---- */
struct dbg_stop dbg_continue(struct dbg *d);
struct dbg_stop dbg_stepi(struct dbg *d, uint64_t n);   /* n instructions (events between them run) */
struct dbg_stop dbg_run_to(struct dbg *d, uint64_t vtime); /* forward to an exact virtual time */
/* Run until RIP == addr (a temporary breakpoint), or an earlier stop. */
struct dbg_stop dbg_until(struct dbg *d, uint64_t addr);
/* Ask a running dbg_continue to stop at the next instruction boundary (async-signal-safe). */
void dbg_interrupt(struct dbg *d);
/*
 * Called every DBG_POLL_INSNS instructions of a forward run (never changes what the run
 * computes): returning true stops it with DBG_STOP_INTERRUPT (gdb's ^C, a connecting client).
 */
void dbg_set_poll(struct dbg *d, bool (*poll)(void *ctx), void *ctx);

/* ---- reverse execution (re-running from the start) ---- */
/* Back to the state before the previous instruction: virtual time one less, RIP where it was. */
struct dbg_stop dbg_reverse_stepi(struct dbg *d);
/* Back to the most recent earlier breakpoint/watchpoint/catchpoint stop, or the start. */
struct dbg_stop dbg_reverse_continue(struct dbg *d);
/* Why reverse execution is unavailable, or NULL if it is available. */
const char *dbg_reverse_unavailable(const struct dbg *d);

/*
 * ---- breakpoints and watchpoints (linear addresses; ids > 0; -1 on error) ----
 * A watchpoint watches the memory its range maps to when it is set (the current translation;
 * through EPT in non-root operation): accesses through any mapping stop, hv's copy helpers
 * writing a guest's page as much as the guest. -1 if part of the range is not mapped to RAM.
 */
#define DBG_WATCH_MAX 4096 /* bytes; a range covers at most two pages */
int dbg_break_add(struct dbg *d, uint64_t addr, bool temporary);
int dbg_watch_add(struct dbg *d, uint64_t addr, uint64_t len, enum dbg_watch how);
/* The same for a range of machine-physical memory. */
int dbg_watch_add_phys(struct dbg *d, uint64_t pa, uint64_t len, enum dbg_watch how);
bool dbg_point_del(struct dbg *d, int id);
/* The id of the breakpoint at addr (or watchpoint at addr/len/how), or -1. */
int dbg_break_find(const struct dbg *d, uint64_t addr);
int dbg_watch_find(const struct dbg *d, uint64_t addr, uint64_t len, enum dbg_watch how);
/* Print the breakpoints, watchpoints and catchpoints, one per line. */
void dbg_points_print(const struct dbg *d, FILE *out);
struct dbg_catch *dbg_catches(struct dbg *d);

/* ---- state ---- */
/*
 * Memory through the current translation, as the CPU would see it now (no A/D updates, no
 * permission checks), or guest-physical = host-physical machine RAM. False if any byte is
 * unmapped or not RAM.
 */
bool dbg_read_virt(struct dbg *d, uint64_t va, void *buf, size_t len);
bool dbg_write_virt(struct dbg *d, uint64_t va, const void *buf, size_t len);
bool dbg_read_phys(struct dbg *d, uint64_t pa, void *buf, size_t len);
bool dbg_write_phys(struct dbg *d, uint64_t pa, const void *buf, size_t len);
/* Registers: Unicorn register ids (UC_X86_REG_*). Writing RIP drops a held-back fault. */
uint64_t dbg_reg(struct dbg *d, int reg);
void dbg_set_reg(struct dbg *d, int reg, uint64_t value);

#endif
