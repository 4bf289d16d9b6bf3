/*
 * What the debugger's command files share (sim/debug/commands.c, cmd_*.c, inspect_*.c): the
 * handler signature, argument parsing and the inspection commands. Not for use outside
 * sim/debug/.
 *
 * Inspection never changes the machine: page walks use pt_walk without
 * pt_set_accessed_dirty, guest-physical table addresses are translated with probe accesses, and
 * memory is read with dbg_read_*.
 */
#ifndef HVSIM_SIM_DEBUG_INSPECT_H
#define HVSIM_SIM_DEBUG_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/debug/commands.h"

#define DBG_MAX_ARGS 16

/* One command line, split at blanks, the command's own words removed. */
struct dbg_args {
	const char *cmd;    /* the command's name, for messages ("x", "ept walk") */
	const char *suffix; /* text after '/' in the first word ("4gx" of "x/4gx"), or NULL */
	int argc;
	char *argv[DBG_MAX_ARGS];
};

typedef enum dbg_cmd_result (*dbg_handler)(struct dbg_session *s, const struct dbg_args *a,
					   FILE *out);

/* Print "CMD: message" as one line; returns DBG_CMD_ERROR. */
enum dbg_cmd_result dbg_cmd_error(FILE *out, const struct dbg_args *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Refuse extra arguments: DBG_CMD_OK if there are at most 'max'. */
enum dbg_cmd_result dbg_cmd_max_args(FILE *out, const struct dbg_args *a, int max);

/* A number: 0x hex or decimal. */
bool dbg_parse_number(const char *text, uint64_t *v);
/*
 * An address or value: numbers, symbols ("name", "image:name"), registers ("$rip") and sums
 * and differences of them ("hc_read+0x10", "$rsp-8").
 */
bool dbg_parse_value(struct dbg_session *s, const char *text, uint64_t *v);

/* The Unicorn id of a register name ("rax", "rip", "cr3"), or -1. */
int dbg_reg_id(const char *name);

/* "0x... <sym+off>" (or just "0x..." without a symbol) into buf; returns buf. */
const char *dbg_addr_sym(struct dbg_session *s, uint64_t addr, char *buf, size_t n);

/* Memory as the session addresses it (linear, or physical with s->phys). */
bool dbg_read_mem(struct dbg_session *s, uint64_t addr, void *buf, size_t len);

/* The instruction at a linear address: its length and whether it is a CALL (for `next`). */
bool dbg_insn_at(struct dbg_session *s, uint64_t addr, unsigned *len, bool *is_call);

/* "  [NAME NAME]" for the set bits of "cr0", "cr4", "efer" or "rflags" (inspect_state.c). */
void dbg_print_reg_bits(FILE *out, const char *reg, uint64_t v);

/* The machine has a current VMCS in RAM; it enables EPT (inspect_walk.c). */
bool dbg_vmcs_current(struct machine *m);
bool dbg_vmcs_ept_on(struct machine *m);
/* Walk an EPT (host-physical tables) for gpa, changing no flag. */
struct pt_walk;
void dbg_ept_walk(struct machine *m, uint64_t eptp, uint64_t gpa, struct pt_walk *w);

/* ---- inspection commands ---- */
/* inspect_state.c */
enum dbg_cmd_result dbg_cmd_regs(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_where(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_vtime(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_info_symbol(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_exits(struct dbg_session *s, const struct dbg_args *a, FILE *out);
/* inspect_memory.c */
enum dbg_cmd_result dbg_cmd_x(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_disas(struct dbg_session *s, const struct dbg_args *a, FILE *out);
/* inspect_vmcs.c */
enum dbg_cmd_result dbg_cmd_vmcs(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_pml(struct dbg_session *s, const struct dbg_args *a, FILE *out);
/* inspect_walk.c */
enum dbg_cmd_result dbg_cmd_ept_walk(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_pt_walk(struct dbg_session *s, const struct dbg_args *a, FILE *out);

/* ---- commands that set breakpoints, watchpoints and catchpoints (cmd_points.c) ---- */
enum dbg_cmd_result dbg_cmd_break(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_break_hypercall(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_break_vmexit(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_break_fault(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_watch(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_rwatch(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_awatch(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_delete(struct dbg_session *s, const struct dbg_args *a, FILE *out);
enum dbg_cmd_result dbg_cmd_info_breakpoints(struct dbg_session *s, const struct dbg_args *a,
					     FILE *out);

/* Exit reasons and fault reasons by name, as `break vmexit` and `break fault` take them. */
bool dbg_exit_reason_parse(const char *text, unsigned *reason);
/* The exit reason's short name ("PML_FULL"), or NULL for a number without one. */
const char *dbg_exit_reason_id(unsigned reason);
/* An exception vector's mnemonic ("#PF"), or NULL. */
const char *dbg_vector_name(unsigned vector);

#endif
