/*
 * The debugger's command language, shared by the built-in debugger (`hvsim debug`) and gdb's
 * `monitor` commands. One table of commands (name, help, handler); each prints to 'out'.
 */
#ifndef HVSIM_SIM_DEBUG_COMMANDS_H
#define HVSIM_SIM_DEBUG_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/debug/engine.h"
#include "sim/debug/symbols.h"

struct dbg_session {
	struct dbg *dbg;
	struct symtab *syms;
	bool phys;     /* memory commands take guest-physical (machine) addresses: `monitor phys on` */
	bool in_gdb;   /* running as gdb's monitor: commands that run the machine are refused */
};

enum dbg_cmd_result { DBG_CMD_OK, DBG_CMD_ERROR, DBG_CMD_QUIT };

/* Execute one line (blank lines and '#' comments do nothing). Errors print one line to 'out'. */
enum dbg_cmd_result dbg_command(struct dbg_session *s, const char *line, FILE *out);
/* An empty line repeats this command line in an interactive debugger (step, next, ...). */
bool dbg_command_repeats(const char *line);
/* Describe a stop in one line ("breakpoint 1 at hc_unsafe_read+0x4 (0x...), vtime N"). */
void dbg_print_stop(struct dbg_session *s, const struct dbg_stop *st, FILE *out);

#endif
