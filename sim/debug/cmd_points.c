/*
 * Breakpoints, watchpoints and catchpoints: `break`, `watch`, `rwatch`, `awatch`, `delete`,
 * `info breakpoints`, and the catchpoints `break hypercall|vmexit|fault`, whose names come
 * from the architectural lists (vmx/exit_reasons.def, cpu/fault.h FAULT_REASONS).
 */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "sim/debug/inspect.h"
#include "vmx/vmx.h"

/* ---- names ---- */

static const struct {
	const char *id;
	unsigned n;
} exit_ids[] = {
#define EXIT_REASON(name, n, text) { #name, n },
#include "vmx/exit_reasons.def"
#undef EXIT_REASON
};
#define EXIT_ID_COUNT (sizeof exit_ids / sizeof exit_ids[0])

const char *dbg_exit_reason_id(unsigned reason)
{
	for (size_t i = 0; i < EXIT_ID_COUNT; i++)
		if (exit_ids[i].n == (reason & 0xffff))
			return exit_ids[i].id;
	return NULL;
}

/* Case-insensitive, with '-' matching '_': "pml-full" names PML_FULL. */
static bool same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : (char)tolower((unsigned char)*a);
		char y = *b == '-' ? '_' : (char)tolower((unsigned char)*b);
		if (x != y)
			return false;
	}
	return !*a && !*b;
}

bool dbg_exit_reason_parse(const char *text, unsigned *reason)
{
	uint64_t n;

	if (dbg_parse_number(text, &n)) {
		*reason = (unsigned)n;
		return n < EXIT_REASON_LIMIT && dbg_exit_reason_id((unsigned)n);
	}
	for (size_t i = 0; i < EXIT_ID_COUNT; i++) {
		if (same_name(text, exit_ids[i].id)) {
			*reason = exit_ids[i].n;
			return true;
		}
	}
	return false;
}

/* Exception mnemonics (SDM Vol. 3, Table 6-1 "Protected-Mode Exceptions and Interrupts"). */
static const char *const vector_names[32] = {
	[X86_DE] = "#DE", [X86_DB] = "#DB", [X86_NMI] = "NMI", [X86_BP] = "#BP",
	[X86_OF] = "#OF", [X86_BR] = "#BR", [X86_UD] = "#UD", [X86_NM] = "#NM",
	[X86_DF] = "#DF", [X86_TS] = "#TS", [X86_NP] = "#NP", [X86_SS] = "#SS",
	[X86_GP] = "#GP", [X86_PF] = "#PF", [X86_MF] = "#MF", [X86_AC] = "#AC",
	[X86_MC] = "#MC", [X86_XM] = "#XM", [X86_VE] = "#VE",
};

const char *dbg_vector_name(unsigned vector)
{
	return vector < 32 ? vector_names[vector] : NULL;
}

/* "#PF", "pf", "PF" or a number below 32. */
static bool parse_vector(const char *text, unsigned *vector)
{
	uint64_t n;

	if (dbg_parse_number(text, &n)) {
		*vector = (unsigned)n;
		return n < 32;
	}
	for (unsigned v = 0; v < 32; v++) {
		const char *name = vector_names[v];
		if (name && (same_name(text, name) || (name[0] == '#' && same_name(text, name + 1)))) {
			*vector = v;
			return true;
		}
	}
	return false;
}

/* A #PF reason by its FAULT_REASONS name, or a short form (us, wp, rsvd). */
static bool parse_fault_reason(const char *text, unsigned *reason)
{
	static const struct {
		const char *alias;
		unsigned reason;
	} aliases[] = {
		{ "us", FAULT_USER }, { "user", FAULT_USER }, { "supervisor", FAULT_USER },
		{ "wp", FAULT_WRITE_PROTECT }, { "rsvd", FAULT_RESERVED }, { "reserved", FAULT_RESERVED },
		{ "np", FAULT_NOT_PRESENT }, { "xd", FAULT_NX },
	};

	for (unsigned r = FAULT_NONE + 1; r < FAULT_REASON_COUNT; r++) {
		if (same_name(text, fault_reason_name(r))) {
			*reason = r;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (same_name(text, aliases[i].alias)) {
			*reason = aliases[i].reason;
			return true;
		}
	}
	return false;
}

/* ---- catchpoints ---- */

static enum dbg_cmd_result catch_hypercall(struct dbg_session *s, const struct dbg_args *a,
					   FILE *out, bool set)
{
	struct dbg_catch *c = dbg_catches(s->dbg);
	uint64_t n;

	if (dbg_cmd_max_args(out, a, 1) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	if (a->argc == 0) {
		c->hypercall_any = set;
		if (!set)
			c->hypercalls = 0;
		fprintf(out, "%s every hypercall\n", set ? "catching" : "no longer catching");
		return DBG_CMD_OK;
	}
	if (!dbg_parse_number(a->argv[0], &n) || n >= 64)
		return dbg_cmd_error(out, a, "bad hypercall number '%s' (0..63)", a->argv[0]);
	c->hypercalls = set ? c->hypercalls | 1ull << n : c->hypercalls & ~(1ull << n);
	fprintf(out, "%s hypercall %" PRIu64 "\n", set ? "catching" : "no longer catching", n);
	return DBG_CMD_OK;
}

static enum dbg_cmd_result catch_vmexit(struct dbg_session *s, const struct dbg_args *a,
					FILE *out, bool set)
{
	struct dbg_catch *c = dbg_catches(s->dbg);
	uint64_t bits = 0;

	for (int i = 0; i < a->argc; i++) {
		unsigned r;
		if (!dbg_exit_reason_parse(a->argv[i], &r))
			return dbg_cmd_error(out, a, "unknown exit reason '%s' (a name from SDM "
					     "Appendix C such as pml-full, or a number)", a->argv[i]);
		bits |= 1ull << r;
	}
	if (a->argc == 0) {
		c->vmexit_any = set;
		if (!set)
			c->vmexit_reasons = 0;
		fprintf(out, "%s every VM exit\n", set ? "catching" : "no longer catching");
		return DBG_CMD_OK;
	}
	c->vmexit_reasons = set ? c->vmexit_reasons | bits : c->vmexit_reasons & ~bits;
	fprintf(out, "%s VM exits:", set ? "catching" : "no longer catching");
	for (unsigned r = 0; r < 64; r++)
		if (bits >> r & 1)
			fprintf(out, " %u (%s)", r, dbg_exit_reason_id(r));
	fputc('\n', out);
	return DBG_CMD_OK;
}

static enum dbg_cmd_result catch_fault(struct dbg_session *s, const struct dbg_args *a,
				       FILE *out, bool set)
{
	struct dbg_catch *c = dbg_catches(s->dbg);
	uint32_t vectors = 0, reasons = 0;

	for (int i = 0; i < a->argc; i++) {
		unsigned v, r;
		if (parse_fault_reason(a->argv[i], &r))
			reasons |= 1u << r;
		else if (parse_vector(a->argv[i], &v))
			vectors |= 1u << v;
		else
			return dbg_cmd_error(out, a, "unknown fault '%s' (a #PF reason such as smap, "
					     "or a vector such as #GP or 13)", a->argv[i]);
	}
	if (a->argc == 0) {
		c->fault_any = set;
		if (!set)
			c->fault_vectors = c->fault_reasons = 0;
		fprintf(out, "%s every exception\n", set ? "catching" : "no longer catching");
		return DBG_CMD_OK;
	}
	c->fault_vectors = set ? c->fault_vectors | vectors : c->fault_vectors & ~vectors;
	c->fault_reasons = set ? c->fault_reasons | reasons : c->fault_reasons & ~reasons;
	fprintf(out, "%s faults:", set ? "catching" : "no longer catching");
	for (unsigned v = 0; v < 32; v++)
		if (vectors >> v & 1)
			fprintf(out, " %s", vector_names[v] ? vector_names[v] : "vector");
	for (unsigned r = 0; r < FAULT_REASON_COUNT; r++)
		if (reasons >> r & 1)
			fprintf(out, " #PF(%s)", fault_reason_name(r));
	fputc('\n', out);
	return DBG_CMD_OK;
}

enum dbg_cmd_result dbg_cmd_break_hypercall(struct dbg_session *s, const struct dbg_args *a,
					    FILE *out)
{
	return catch_hypercall(s, a, out, true);
}

enum dbg_cmd_result dbg_cmd_break_vmexit(struct dbg_session *s, const struct dbg_args *a,
					 FILE *out)
{
	return catch_vmexit(s, a, out, true);
}

enum dbg_cmd_result dbg_cmd_break_fault(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	return catch_fault(s, a, out, true);
}

/* ---- breakpoints and watchpoints ---- */

enum dbg_cmd_result dbg_cmd_break(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	char sym[200];
	uint64_t addr;

	if (a->argc != 1)
		return dbg_cmd_error(out, a, "expected one address or symbol");
	const char *text = a->argv[0][0] == '*' ? a->argv[0] + 1 : a->argv[0];
	if (!dbg_parse_value(s, text, &addr))
		return dbg_cmd_error(out, a, "bad address '%s' (no such symbol or number)", a->argv[0]);
	int id = dbg_break_find(s->dbg, addr);
	if (id > 0) {
		fprintf(out, "breakpoint %d is already at %s\n", id, dbg_addr_sym(s, addr, sym, sizeof sym));
		return DBG_CMD_OK;
	}
	id = dbg_break_add(s->dbg, addr, false);
	if (id < 0)
		return dbg_cmd_error(out, a, "cannot set a breakpoint at %#" PRIx64, addr);
	fprintf(out, "breakpoint %d at %s\n", id, dbg_addr_sym(s, addr, sym, sizeof sym));
	return DBG_CMD_OK;
}

static enum dbg_cmd_result watch(struct dbg_session *s, const struct dbg_args *a, FILE *out,
				 enum dbg_watch how)
{
	static const char *const kind[] = { [DBG_WATCH_WRITE] = "watchpoint",
					    [DBG_WATCH_READ] = "read watchpoint",
					    [DBG_WATCH_ACCESS] = "access watchpoint" };
	char sym[200];
	uint64_t addr, len = 8;

	if (a->argc < 1 || a->argc > 2)
		return dbg_cmd_error(out, a, "expected ADDR [LEN]");
	if (!dbg_parse_value(s, a->argv[0], &addr))
		return dbg_cmd_error(out, a, "bad address '%s'", a->argv[0]);
	if (a->argc == 2 && (!dbg_parse_number(a->argv[1], &len) || len == 0 || len > DBG_WATCH_MAX))
		return dbg_cmd_error(out, a, "bad length '%s' (1..%d)", a->argv[1], DBG_WATCH_MAX);
	int id = dbg_watch_add(s->dbg, addr, len, how);
	if (id < 0)
		return dbg_cmd_error(out, a, "cannot watch %#" PRIx64 "+%" PRIu64 ": not mapped to RAM "
				     "now, or too many points", addr, len);
	fprintf(out, "%s %d: %s, %" PRIu64 " bytes\n", kind[how], id,
		dbg_addr_sym(s, addr, sym, sizeof sym), len);
	return DBG_CMD_OK;
}

enum dbg_cmd_result dbg_cmd_watch(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	return watch(s, a, out, DBG_WATCH_WRITE);
}

enum dbg_cmd_result dbg_cmd_rwatch(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	return watch(s, a, out, DBG_WATCH_READ);
}

enum dbg_cmd_result dbg_cmd_awatch(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	return watch(s, a, out, DBG_WATCH_ACCESS);
}

/* `delete N...`, or `delete hypercall|vmexit|fault ...` to clear catchpoints. */
enum dbg_cmd_result dbg_cmd_delete(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	static const struct {
		const char *what;
		enum dbg_cmd_result (*clear)(struct dbg_session *, const struct dbg_args *, FILE *, bool);
	} catches[] = { { "hypercall", catch_hypercall }, { "vmexit", catch_vmexit },
			{ "fault", catch_fault } };

	if (a->argc == 0)
		return dbg_cmd_error(out, a, "expected breakpoint numbers, or hypercall, vmexit or fault");
	for (size_t i = 0; i < sizeof catches / sizeof catches[0]; i++) {
		if (strcasecmp(a->argv[0], catches[i].what))
			continue;
		struct dbg_args rest = { .cmd = a->cmd, .argc = a->argc - 1 };
		memcpy(rest.argv, a->argv + 1, sizeof(char *) * (size_t)rest.argc);
		return catches[i].clear(s, &rest, out, false);
	}
	for (int i = 0; i < a->argc; i++) {
		uint64_t id;
		if (!dbg_parse_number(a->argv[i], &id) || id == 0 || id > INT32_MAX)
			return dbg_cmd_error(out, a, "bad breakpoint number '%s'", a->argv[i]);
		if (!dbg_point_del(s->dbg, (int)id))
			return dbg_cmd_error(out, a, "no breakpoint or watchpoint %" PRIu64, id);
		fprintf(out, "deleted %" PRIu64 "\n", id);
	}
	return DBG_CMD_OK;
}

enum dbg_cmd_result dbg_cmd_info_breakpoints(struct dbg_session *s, const struct dbg_args *a,
					     FILE *out)
{
	if (dbg_cmd_max_args(out, a, 0) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	dbg_points_print(s->dbg, out);
	return DBG_CMD_OK;
}
