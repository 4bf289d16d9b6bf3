/* Options of `hvsim run` and `hvsim debug`, which boot one image the same way (cmd_run.c). */
#ifndef HVSIM_SIM_RUN_OPTS_H
#define HVSIM_SIM_RUN_OPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/machine.h"

enum run_cmd { RUN_CMD_RUN, RUN_CMD_DEBUG };

struct run_opts {
	struct machine_config cfg;
	const char *log_file;
	bool hash;
	const char *gdb; /* --gdb WHERE (run) */
	bool wait;
	const char *script; /* -x FILE (debug) */
	bool batch;
};

/* Parse argv; returns RUN_ARGS_GO or an exit code (help printed, or a usage error). */
#define RUN_ARGS_GO (-1)
int run_parse(enum run_cmd which, int argc, char **argv, struct run_opts *o);
/* Open --log-file (NULL if none); false after a one-line error. */
bool run_open_log(const char *sub, const struct run_opts *o, FILE **logf);

/* How a machine is debugged: gdb's remote protocol (--gdb) or the built-in debugger. */
struct debug_how {
	const char *gdb; /* --gdb WHERE; NULL: the built-in debugger */
	bool wait;
	const char *script; /* -x FILE */
	bool batch;
};

/*
 * Boot 'cfg' under the debugging engine (sim/debug/engine.h) and debug it; 'setup', if not
 * NULL, runs on each machine the engine builds, after machine_create and before it boots.
 * Returns the exit code of the run.
 */
int debug_machine(const struct machine_config *cfg, FILE *log,
		  void (*setup)(void *ctx, struct machine *m), void *ctx, const struct debug_how *how);

#endif
