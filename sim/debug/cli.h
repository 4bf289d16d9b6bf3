/*
 * The built-in debugger's front end (`hvsim debug`): a script of commands (-x FILE), then,
 * unless in batch mode, an interactive prompt with line editing and history (libedit's
 * readline-compatible API). The commands are sim/debug/commands.h's.
 */
#ifndef HVSIM_SIM_DEBUG_CLI_H
#define HVSIM_SIM_DEBUG_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/debug/commands.h"

/*
 * Run the commands of 'script' (NULL: none), each echoed to 'out' after "(hvsim) " so that a
 * transcript reads like a session; then, unless 'batch', prompt for commands on stdin ("(hvsim) ";
 * an empty line repeats the last step, next, continue or reverse-stepi, as in gdb; Ctrl-C
 * interrupts a running machine; end of input quits). On a terminal lines are edited with
 * libedit and kept in ~/.hvsim_history; other input is read line by line and echoed like a
 * script.
 *
 * A script stops at its first failing command: in batch mode that ends the session with
 * EXIT_USAGE after a one-line "FILE:LINE: message" on 'out'; interactively the prompt follows.
 *
 * Returns hvsim's exit code (sim/exitcode.h):
 *  - the machine's own exit code if it ran to its end (or the simulator's EXIT_SIM_FAULT if it
 *    could not go on), whenever the session ends after that;
 *  - EXIT_USAGE if the script cannot be read, or a batch script failed;
 *  - EXIT_INTERRUPTED if the session ends (quit, end of script or input) with the machine
 *    stopped before its end: the user stopped the run, as a debugger's kill does, and the
 *    machine's verdict is unknown. A script that wants the verdict ends with `continue`.
 */
int dbg_cli_main(struct dbg_session *s, const char *script, bool batch, FILE *out);

#endif
