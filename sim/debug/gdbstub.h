/*
 * The GDB remote serial protocol (gdb's "Remote Protocol" appendix) over TCP on loopback or a
 * Unix socket, so stock gdb and lldb connect with `target remote`.
 */
#ifndef HVSIM_SIM_DEBUG_GDBSTUB_H
#define HVSIM_SIM_DEBUG_GDBSTUB_H

#include <stdbool.h>

#include "sim/debug/commands.h"

struct gdbstub_opts {
	const char *where; /* ":PORT" or "localhost:PORT" (loopback only), or "unix:PATH" */
	bool wait;         /* wait for gdb to connect before the machine runs */
};

/* Check 'where' before anything boots: false with a one-line reason in err. */
bool gdbstub_parse_where(const char *where, char *err, size_t n);
/*
 * Serve until the machine exits (gdb is told: W/X) or gdb kills or detaches from it (the machine
 * then runs to its end). Returns hvsim's exit code for the run.
 */
int gdbstub_run(struct dbg_session *s, const struct gdbstub_opts *o);

#endif
