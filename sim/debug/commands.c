/*
 * The debugger's command language: one table of commands (name, aliases, arguments, help,
 * handler) that dispatch, `help` and the refusal of running commands under gdb all read.
 * Commands that run or reverse the machine are here; breakpoints are in cmd_points.c and the
 * inspection commands in inspect_*.c.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/debug/inspect.h"

struct dbg_cmd {
	const char *name;    /* one or more words: "ept walk" */
	const char *aliases; /* '|'-separated, each one or more words; NULL: none */
	const char *args;    /* for help */
	const char *help;
	dbg_handler run;
	bool runs;           /* runs or reverses the machine: refused as gdb's monitor */
	bool repeat;         /* an empty line repeats it (interactive) */
	bool suffix;         /* takes "/FMT" after its name, as x/4gx */
};

static enum dbg_cmd_result cmd_help(struct dbg_session *s, const struct dbg_args *a, FILE *out);

/* ---- running ---- */

static enum dbg_cmd_result report_stop(struct dbg_session *s, struct dbg_stop st, FILE *out)
{
	dbg_print_stop(s, &st, out);
	return st.kind == DBG_STOP_ERROR ? DBG_CMD_ERROR : DBG_CMD_OK;
}

static bool can_run(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	if (!dbg_exited(s->dbg))
		return true;
	dbg_cmd_error(out, a, "the machine has exited (exit code %d)",
		      dbg_last_stop(s->dbg)->exit_code);
	return false;
}

static bool optional_count(const struct dbg_args *a, FILE *out, uint64_t *n)
{
	*n = 1;
	if (dbg_cmd_max_args(out, a, 1) != DBG_CMD_OK)
		return false;
	if (a->argc == 1 && (!dbg_parse_number(a->argv[0], n) || *n == 0)) {
		dbg_cmd_error(out, a, "bad count '%s' (a positive number)", a->argv[0]);
		return false;
	}
	return true;
}

static enum dbg_cmd_result cmd_stepi(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	uint64_t n;

	if (!optional_count(a, out, &n) || !can_run(s, a, out))
		return DBG_CMD_ERROR;
	return report_stop(s, dbg_stepi(s->dbg, n), out);
}

/*
 * Run to addr with a temporary breakpoint. Reaching it is where the command ends, not a
 * breakpoint stop, unless one of the user's breakpoints is there too.
 */
static struct dbg_stop run_until(struct dbg_session *s, uint64_t addr)
{
	bool user_bp = dbg_break_find(s->dbg, addr) >= 0;
	struct dbg_stop st = dbg_until(s->dbg, addr);

	if (!user_bp && st.kind == DBG_STOP_BREAKPOINT && st.rip == addr) {
		st.kind = DBG_STOP_STEP;
		dbg_describe_stop(&st);
	}
	return st;
}

/* Step over a CALL: run to the instruction after it (a temporary breakpoint), like gdb's nexti. */
static enum dbg_cmd_result cmd_next(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	uint64_t n;

	if (!optional_count(a, out, &n) || !can_run(s, a, out))
		return DBG_CMD_ERROR;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t rip = dbg_reg(s->dbg, UC_X86_REG_RIP);
		unsigned len;
		bool call = false;
		struct dbg_stop st;

		if (!dbg_insn_at(s, rip, &len, &call))
			call = false;
		st = call ? run_until(s, rip + len) : dbg_stepi(s->dbg, 1);
		if (i + 1 == n || st.kind != DBG_STOP_STEP)
			return report_stop(s, st, out);
	}
	return DBG_CMD_OK;
}

static enum dbg_cmd_result cmd_continue(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	if (dbg_cmd_max_args(out, a, 0) != DBG_CMD_OK || !can_run(s, a, out))
		return DBG_CMD_ERROR;
	return report_stop(s, dbg_continue(s->dbg), out);
}

static enum dbg_cmd_result cmd_until(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	uint64_t addr;

	if (a->argc != 1)
		return dbg_cmd_error(out, a, "expected one address or symbol");
	if (!dbg_parse_value(s, a->argv[0], &addr))
		return dbg_cmd_error(out, a, "bad address '%s'", a->argv[0]);
	if (!can_run(s, a, out))
		return DBG_CMD_ERROR;
	return report_stop(s, run_until(s, addr), out);
}

static bool can_reverse(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	const char *why = dbg_reverse_unavailable(s->dbg);

	if (dbg_cmd_max_args(out, a, 0) != DBG_CMD_OK)
		return false;
	if (why)
		dbg_cmd_error(out, a, "%s", why);
	return !why;
}

static enum dbg_cmd_result cmd_reverse_stepi(struct dbg_session *s, const struct dbg_args *a,
					     FILE *out)
{
	if (!can_reverse(s, a, out))
		return DBG_CMD_ERROR;
	return report_stop(s, dbg_reverse_stepi(s->dbg), out);
}

static enum dbg_cmd_result cmd_reverse_continue(struct dbg_session *s, const struct dbg_args *a,
						FILE *out)
{
	if (!can_reverse(s, a, out))
		return DBG_CMD_ERROR;
	return report_stop(s, dbg_reverse_continue(s->dbg), out);
}

/* Whether memory commands (x, disas) take linear or guest-physical addresses. */
static enum dbg_cmd_result cmd_phys(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	if (dbg_cmd_max_args(out, a, 1) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	if (a->argc == 1) {
		if (strcasecmp(a->argv[0], "on") && strcasecmp(a->argv[0], "off"))
			return dbg_cmd_error(out, a, "expected on or off, not '%s'", a->argv[0]);
		s->phys = !strcasecmp(a->argv[0], "on");
	}
	fprintf(out, "memory commands take %s addresses\n",
		s->phys ? "physical (machine RAM)" : "linear (the current translation)");
	return DBG_CMD_OK;
}

static enum dbg_cmd_result cmd_quit(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	(void)s;
	if (dbg_cmd_max_args(out, a, 0) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	return DBG_CMD_QUIT;
}

/* ---- the table ---- */

static const struct dbg_cmd cmds[] = {
	{ "step", "s|stepi|si", "[N]", "run N instructions (default 1), into calls", cmd_stepi,
	  .runs = true, .repeat = true },
	{ "next", "n|nexti|ni", "[N]", "like step, but run a CALL to its return address", cmd_next,
	  .runs = true, .repeat = true },
	{ "continue", "c|cont", "", "run until a breakpoint, watchpoint or catchpoint, or the end",
	  cmd_continue, .runs = true, .repeat = true },
	{ "until", "u|advance", "ADDR|SYM", "run until RIP reaches ADDR (or an earlier stop)",
	  cmd_until, .runs = true },
	{ "reverse-stepi", "rsi|reverse-step|rs", "", "go back one instruction (re-runs from the start)",
	  cmd_reverse_stepi, .runs = true, .repeat = true },
	{ "reverse-continue", "rc", "", "go back to the previous breakpoint/watchpoint/catchpoint stop",
	  cmd_reverse_continue, .runs = true },
	{ "break", "b", "ADDR|SYM|*ADDR", "break when RIP reaches ADDR (SYM+OFF, image:SYM too)",
	  dbg_cmd_break },
	{ "break hypercall", "b hypercall|catch hypercall", "[N]",
	  "stop when a guest makes hypercall N (N < 64; any without N)", dbg_cmd_break_hypercall },
	{ "break vmexit", "b vmexit|catch vmexit", "[REASON...]",
	  "stop after a VM exit (PML_FULL, pml-full or 62; any without REASON)", dbg_cmd_break_vmexit },
	{ "break fault", "b fault|catch fault", "[KIND...]",
	  "stop before an exception: #PF reasons (smap, smep, nx, not-present, user/supervisor, "
	  "write-protect, reserved-bit, implicit-smap, ...) or vectors (#GP, 13); any without KIND",
	  dbg_cmd_break_fault },
	{ "watch", NULL, "ADDR [LEN]", "stop after a write to [ADDR, ADDR+LEN) (LEN default 8)",
	  dbg_cmd_watch },
	{ "rwatch", NULL, "ADDR [LEN]", "stop after a read of [ADDR, ADDR+LEN)", dbg_cmd_rwatch },
	{ "awatch", NULL, "ADDR [LEN]", "stop after any access to [ADDR, ADDR+LEN)", dbg_cmd_awatch },
	{ "delete", "d", "N...|hypercall [N]|vmexit [REASON...]|fault [KIND...]",
	  "delete breakpoints/watchpoints by number, or clear catchpoints", dbg_cmd_delete },
	{ "info breakpoints", "i b|info break|info watchpoints", "",
	  "list breakpoints, watchpoints and catchpoints", dbg_cmd_info_breakpoints },
	{ "info symbol", "i symbol", "ADDR", "the symbol and image ADDR belongs to",
	  dbg_cmd_info_symbol },
	{ "disas", "disassemble", "[ADDR [N]]", "disassemble N instructions (default 10) at ADDR (RIP)",
	  dbg_cmd_disas },
	{ "regs", "info registers|i r", "", "registers: general, RIP, RFLAGS, segments, control, "
	  "EFER, FS/GS base, GDTR/IDTR", dbg_cmd_regs },
	{ "x", NULL, "/Nfu ADDR", "examine memory: N units of u (b h w g) in format f (x d u c s i)",
	  dbg_cmd_x, .suffix = true },
	{ "where", "bt|backtrace|info where", "", "root or non-root, CPL, paging mode, RIP, VMCS, guest",
	  dbg_cmd_where },
	{ "vmcs", NULL, "[MATCH]", "every field of the current VMCS, decoded (MATCH filters names)",
	  dbg_cmd_vmcs },
	{ "ept walk", NULL, "GPA", "walk the current VMCS's EPT for GPA: each level, then the HPA",
	  dbg_cmd_ept_walk },
	{ "pt walk", NULL, "[guest] VA", "walk the paging structures for VA (with 'guest': those "
	  "of the current VMCS's guest), with permissions and A/D", dbg_cmd_pt_walk },
	{ "pml", NULL, "[TOP]", "the page-modification log of the current VMCS: address, index, "
	  "GPAs (TOP: the index software loads, default 511)", dbg_cmd_pml },
	{ "exits", NULL, "[N]", "the last N VM exits (all that are kept), oldest first",
	  dbg_cmd_exits },
	{ "vtime", NULL, "", "virtual time: retired instructions, and guest time", dbg_cmd_vtime },
	{ "phys", NULL, "[on|off]", "memory commands take physical addresses (on) or linear ones "
	  "through the current translation (off, the default)", cmd_phys },
	{ "help", "h|?", "", "this list", cmd_help },
	{ "quit", "q|exit", "", "leave the debugger", cmd_quit, .runs = true },
};
#define CMD_COUNT (sizeof cmds / sizeof cmds[0])

static enum dbg_cmd_result cmd_help(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	(void)a;
	for (size_t i = 0; i < CMD_COUNT; i++) {
		const struct dbg_cmd *c = &cmds[i];
		char head[64];
		snprintf(head, sizeof head, "%s%s%s", c->name, *c->args && !c->suffix ? " " : "",
			 c->args);
		fprintf(out, "  %-26s %s", head, c->help);
		if (c->aliases) {
			fputs(" (also: ", out);
			for (const char *p = c->aliases; *p; p++) {
				if (*p == '|')
					fputs(", ", out);
				else
					fputc(*p, out);
			}
			fputc(')', out);
		}
		if (c->runs && s->in_gdb)
			fputs(" [not as a monitor command]", out);
		fputc('\n', out);
	}
	fputs("Numbers are 0x-hex or decimal; addresses may be symbols (SYM, image:SYM, SYM+OFF) or "
	      "registers ($rsp-8).\n", out);
	return DBG_CMD_OK;
}

/* ---- parsing a line ---- */

static int tokenize(char *line, char **tok, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *p = strtok_r(line, " \t\r\n", &save); p; p = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		tok[n++] = p;
	}
	return n;
}

/* How many tokens the words of 'name' (up to '|' or the end) match; 0 if they do not. */
static int match_words(const char *name, size_t len, char **tok, int ntok)
{
	int i = 0;
	const char *p = name, *end = name + len;

	while (p < end) {
		const char *w = p;
		while (p < end && *p != ' ')
			p++;
		const char *t = i < ntok ? tok[i] : NULL;
		if (!t || strlen(t) != (size_t)(p - w) || strncasecmp(t, w, (size_t)(p - w)))
			return 0;
		i++;
		while (p < end && *p == ' ')
			p++;
	}
	return i;
}

static int match_cmd(const struct dbg_cmd *c, char **tok, int ntok)
{
	int best = match_words(c->name, strlen(c->name), tok, ntok);

	for (const char *p = c->aliases; p && *p;) {
		size_t len = strcspn(p, "|");
		int n = match_words(p, len, tok, ntok);
		if (n > best)
			best = n;
		p += len + (p[len] == '|');
	}
	return best;
}

/* The command the line names (the one matching the most words), with its word count. */
static const struct dbg_cmd *find_cmd(char **tok, int ntok, int *words)
{
	const struct dbg_cmd *best = NULL;

	*words = 0;
	for (size_t i = 0; i < CMD_COUNT; i++) {
		int n = match_cmd(&cmds[i], tok, ntok);
		if (n > *words) {
			*words = n;
			best = &cmds[i];
		}
	}
	return best;
}

static bool blank_or_comment(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	return !*line || *line == '#';
}

enum dbg_cmd_result dbg_command(struct dbg_session *s, const char *line, FILE *out)
{
	char buf[1024], *tok[DBG_MAX_ARGS + 4];
	struct dbg_args a = { 0 };
	int ntok, words;

	if (blank_or_comment(line))
		return DBG_CMD_OK;
	if (strlen(line) >= sizeof buf) {
		fprintf(out, "command line too long (at most %zu characters)\n", sizeof buf - 1);
		return DBG_CMD_ERROR;
	}
	strcpy(buf, line);
	ntok = tokenize(buf, tok, DBG_MAX_ARGS + 4);
	if (ntok < 0) {
		fprintf(out, "too many arguments (at most %d)\n", DBG_MAX_ARGS);
		return DBG_CMD_ERROR;
	}
	char *slash = strchr(tok[0], '/');
	if (slash && slash != tok[0])
		*slash++ = 0;
	else
		slash = NULL;
	const struct dbg_cmd *c = find_cmd(tok, ntok, &words);
	if (!c) {
		fprintf(out, "unknown command '%s' (try 'help')\n", tok[0]);
		return DBG_CMD_ERROR;
	}
	a.cmd = c->name;
	if (slash && (!c->suffix || words > 1)) {
		fprintf(out, "%s: no /FORMAT for this command\n", c->name);
		return DBG_CMD_ERROR;
	}
	a.suffix = slash;
	if (ntok - words > DBG_MAX_ARGS) {
		fprintf(out, "%s: too many arguments (at most %d)\n", c->name, DBG_MAX_ARGS);
		return DBG_CMD_ERROR;
	}
	for (int i = words; i < ntok; i++)
		a.argv[a.argc++] = tok[i];
	if (c->runs && s->in_gdb) {
		fprintf(out, "%s: not available as a monitor command: gdb controls execution\n",
			c->name);
		return DBG_CMD_ERROR;
	}
	return c->run(s, &a, out);
}

bool dbg_command_repeats(const char *line)
{
	char buf[256], *tok[DBG_MAX_ARGS + 4];
	int ntok, words;

	if (blank_or_comment(line) || strlen(line) >= sizeof buf)
		return false;
	strcpy(buf, line);
	ntok = tokenize(buf, tok, DBG_MAX_ARGS + 4);
	if (ntok <= 0)
		return false;
	const struct dbg_cmd *c = find_cmd(tok, ntok, &words);
	return c && c->repeat;
}

/* ---- shared helpers ---- */

enum dbg_cmd_result dbg_cmd_error(FILE *out, const struct dbg_args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s: ", a->cmd);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return DBG_CMD_ERROR;
}

enum dbg_cmd_result dbg_cmd_max_args(FILE *out, const struct dbg_args *a, int max)
{
	if (a->argc <= max)
		return DBG_CMD_OK;
	return dbg_cmd_error(out, a, "unexpected argument '%s'", a->argv[max]);
}

bool dbg_parse_number(const char *text, uint64_t *v)
{
	char *end;
	bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');

	if (!isdigit((unsigned char)text[0]) || (hex && !isxdigit((unsigned char)text[2])))
		return false;
	errno = 0;
	*v = strtoull(text, &end, hex ? 16 : 10);
	return !*end && errno == 0;
}

static bool parse_term(struct dbg_session *s, const char *t, uint64_t *v)
{
	if (dbg_parse_number(t, v))
		return true;
	if (t[0] == '$') {
		int id = dbg_reg_id(t + 1);
		if (id < 0 || !s->dbg)
			return false;
		*v = dbg_reg(s->dbg, id);
		return true;
	}
	return s->syms && symtab_lookup(s->syms, t, v);
}

bool dbg_parse_value(struct dbg_session *s, const char *text, uint64_t *v)
{
	char buf[256];
	uint64_t sum = 0;
	bool neg = false;

	if (!*text || strlen(text) >= sizeof buf)
		return false;
	strcpy(buf, text);
	for (char *p = buf;;) {
		size_t len = strcspn(p + (*p == '$'), "+-") + (*p == '$');
		char op = p[len];
		uint64_t term;
		p[len] = 0;
		if (!*p || !parse_term(s, p, &term))
			return false;
		sum = neg ? sum - term : sum + term;
		if (!op)
			break;
		neg = op == '-';
		p += len + 1;
	}
	*v = sum;
	return true;
}

const char *dbg_addr_sym(struct dbg_session *s, uint64_t addr, char *buf, size_t n)
{
	char sym[160];
	uint64_t off;

	if (!s->syms || !symtab_find(s->syms, addr, &off))
		snprintf(buf, n, "%#" PRIx64, addr);
	else
		snprintf(buf, n, "%#" PRIx64 " <%s>", addr, symtab_format(s->syms, addr, sym, sizeof sym));
	return buf;
}

bool dbg_read_mem(struct dbg_session *s, uint64_t addr, void *buf, size_t len)
{
	return s->phys ? dbg_read_phys(s->dbg, addr, buf, len)
		       : dbg_read_virt(s->dbg, addr, buf, len);
}

/* ---- stops ---- */

void dbg_print_stop(struct dbg_session *s, const struct dbg_stop *st, FILE *out)
{
	char sym[160];

	if (st->kind == DBG_STOP_EXITED) {
		fprintf(out, "the machine exited with code %d, vtime %" PRIu64 "\n", st->exit_code,
			st->vtime);
		return;
	}
	if (st->kind == DBG_STOP_ERROR) {
		fprintf(out, "the simulator cannot go on: %s\n", st->text[0] ? st->text : "error");
		return;
	}
	symtab_format(s->syms, st->rip, sym, sizeof sym);
	fprintf(out, "%s at %s", st->text, sym);
	if (strncmp(sym, "0x", 2))
		fprintf(out, " (%#" PRIx64 ")", st->rip);
	struct machine *m = s->dbg ? dbg_machine(s->dbg) : NULL;
	if (m && m->cpu.nonroot)
		fputs(" in VMX non-root", out);
	fprintf(out, ", vtime %" PRIu64 "\n", st->vtime);
}
