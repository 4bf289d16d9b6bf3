/* The engine's state, shared by its files (engine.c: running; points.c: breakpoints). */
#ifndef HVSIM_SIM_DEBUG_ENGINE_INTERNAL_H
#define HVSIM_SIM_DEBUG_ENGINE_INTERNAL_H

#include <signal.h>

#include "cpu/debug.h"
#include "sim/debug/engine.h"

#define DBG_POINTS_MAX 64

/* The part of a watched range on one page: its linear and physical address, and its hook. */
struct dbg_piece {
	uint64_t va, pa, len;
	uc_hook hook;
};

/* A breakpoint (len 0) or watchpoint; id 0: a free slot. */
struct dbg_point {
	int id;
	uint64_t addr, len;
	enum dbg_watch how;
	bool temporary;
	struct dbg_piece piece[2]; /* a watchpoint's memory: DBG_WATCH_MAX spans two pages at most */
	unsigned pieces;
};

struct dbg {
	struct dbg_target t;
	struct machine m;
	bool built, exited;
	int exit_code;
	struct dbg_stop last;
	bool at_boundary; /* the state is the one at the last stop's virtual time (engine.c) */
	struct dbg_point points[DBG_POINTS_MAX];
	uint64_t break_addrs[DBG_POINTS_MAX]; /* what the CPU looks at (cpu_set_breakpoints) */
	int next_id;
	struct dbg_catch catches;
	struct cpu_debug hooks;
	struct dbg_stop hit; /* what the hook that stopped the run found */
	bool quiet;          /* re-running to a position: nothing stops */
	bool refining;       /* stepping a block again for a watchpoint's exact instruction */
	volatile sig_atomic_t interrupt;
	bool (*poll)(void *ctx);
	void *poll_ctx;
	uint64_t console_shown; /* COM1 bytes already passed on: muted when re-running */
};

/* points.c */
bool points_reinsert(struct dbg *d); /* into a rebuilt machine */
void point_hit(struct dbg *d, int id); /* a temporary breakpoint goes */

#endif
