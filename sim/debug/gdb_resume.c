/*
 * Running the machine for gdb and telling it why it stopped (gdb's "Remote Protocol" appendix,
 * "Stop Reply Packets"): T packets naming the thread and the reason (swbreak, hwbreak, watch,
 * rwatch, awatch, replaylog), W when the machine exits, X when the simulator cannot go on. Stops
 * gdb has no word for (faults, VM exits, hypercalls) come with the engine's description in an O
 * packet first, which gdb prints.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <unicorn/unicorn.h>

#include "cpu/fault.h"
#include "sim/debug/gdb_client.h"
#include "sim/debug/gdb_resume.h"
#include "sim/exitcode.h"

/* gdb's own signal numbers (gdb/signals.def), which stop replies carry whatever the host OS. */
enum gdb_signal {
	GDB_SIGINT = 2,
	GDB_SIGILL = 4,
	GDB_SIGTRAP = 5,
	GDB_SIGABRT = 6,
	GDB_SIGFPE = 8,
	GDB_SIGBUS = 10,
	GDB_SIGSEGV = 11,
};

/*
 * Exceptions as the signals a Unix kernel turns them into (Linux, arch/x86/kernel/traps.c), so
 * that gdb names a fault the way its users expect; unlisted vectors are SIGSEGV.
 */
static const uint8_t vector_signal[32] = {
	[X86_DE] = GDB_SIGFPE, [X86_DB] = GDB_SIGTRAP, [X86_BP] = GDB_SIGTRAP, [X86_UD] = GDB_SIGILL,
	[X86_NP] = GDB_SIGBUS, [X86_SS] = GDB_SIGBUS,  [X86_MF] = GDB_SIGFPE,  [X86_AC] = GDB_SIGBUS,
	[X86_MC] = GDB_SIGBUS, [X86_XM] = GDB_SIGFPE,
};

static unsigned fault_signal(const struct fault *f)
{
	unsigned sig = f->vector < 32 ? vector_signal[f->vector] : 0;
	return sig ? sig : GDB_SIGSEGV;
}

static const struct gdb_point *point_by_id(const struct gdb_client *c, int id)
{
	for (unsigned i = 0; i < c->npoints; i++)
		if (c->points[i].id == id)
			return &c->points[i];
	return NULL;
}

/* The O packet: text for gdb's console ("Stop Reply Packets", O XX...). */
bool gdb_console(struct gdb_client *c, const char *text, size_t len)
{
	char hex[RSP_MAX_REPLY];
	const size_t chunk = (sizeof hex - 2) / 2;

	for (size_t at = 0; at < len; at += chunk) {
		size_t n = len - at < chunk ? len - at : chunk;
		hex[0] = 'O';
		rsp_hex_encode(text + at, n, hex + 1);
		if (!rsp_send(&c->rsp, hex))
			return false;
	}
	return true;
}

static bool console_line(struct gdb_client *c, const char *text)
{
	char line[sizeof ((struct dbg_stop *)0)->text + 16];
	snprintf(line, sizeof line, "hvsim: %s\n", text);
	return gdb_console(c, line, strlen(line));
}

/*
 * The reason part of a breakpoint or watchpoint stop, if the point is one of gdb's own:
 * "swbreak:;" etc. False for points gdb does not know (set by `monitor break`, temporary ones).
 */
static bool point_reason(const struct gdb_client *c, const struct dbg_stop *st, char *buf, size_t n)
{
	const struct gdb_point *p = point_by_id(c, st->bp);
	if (!p || (p->type >= '2') != (st->kind == DBG_STOP_WATCHPOINT))
		return false;
	if (st->kind == DBG_STOP_BREAKPOINT) {
		bool hw = p->type == '1';
		if (hw ? !c->hwbreak : !c->swbreak)
			buf[0] = 0; /* gdb did not ask for the reason: a plain SIGTRAP, as before swbreak */
		else
			snprintf(buf, n, "%s:;", hw ? "hwbreak" : "swbreak");
		return true;
	}
	static const char *const watch_kind[] = { ['2'] = "watch", ['3'] = "rwatch", ['4'] = "awatch" };
	/* gdb matches the address against its watchpoint's range: report one inside it. */
	uint64_t a = st->data_addr;
	if (a < p->addr || a - p->addr >= p->len)
		a = p->addr;
	snprintf(buf, n, "%s:%" PRIx64 ";", watch_kind[(unsigned char)p->type], a);
	return true;
}

/* Format the T packet for a stop; says whether gdb should also see the engine's description. */
static bool stop_packet(const struct gdb_client *c, const struct dbg_stop *st, char *buf, size_t n)
{
	char reason[64] = "";
	unsigned sig = GDB_SIGTRAP;
	bool describe = false;

	switch (st->kind) {
	case DBG_STOP_BREAKPOINT:
	case DBG_STOP_WATCHPOINT:
		describe = !point_reason(c, st, reason, sizeof reason);
		break;
	case DBG_STOP_FAULT:
		sig = fault_signal(&st->fault);
		describe = true;
		break;
	case DBG_STOP_INTERRUPT:
		sig = GDB_SIGINT;
		break;
	case DBG_STOP_HISTORY:
		snprintf(reason, sizeof reason, "replaylog:begin;");
		break;
	case DBG_STOP_VMEXIT:
	case DBG_STOP_HYPERCALL:
		describe = true;
		break;
	default:
		break;
	}
	snprintf(buf, n, "T%02xthread:%x;%s", sig, GDB_THREAD, reason);
	return describe;
}

/* Tell gdb about a stop and remember it for '?'. */
static void report_stop(struct gdb_client *c, const struct dbg_stop *st)
{
	if (c->rsp.closed) {
		c->state = GDB_CLIENT_GONE;
		return;
	}
	if (st->kind == DBG_STOP_EXITED || st->kind == DBG_STOP_ERROR) {
		bool ok = true;
		c->state = GDB_CLIENT_EXITED;
		c->exit_code = st->exit_code;
		if (st->kind == DBG_STOP_ERROR) {
			if (c->exit_code == EXIT_OK)
				c->exit_code = EXIT_SIM_FAULT;
			ok = console_line(c, st->text);
		}
		/* W: exited with a status; X: terminated by a signal ("Stop Reply Packets"). */
		if (ok && st->kind == DBG_STOP_EXITED)
			rsp_sendf(&c->rsp, "W%02x", (unsigned)st->exit_code & 0xff);
		else if (ok)
			rsp_sendf(&c->rsp, "X%02x", GDB_SIGABRT);
		return;
	}
	if (stop_packet(c, st, c->last_stop, sizeof c->last_stop) && st->text[0])
		console_line(c, st->text);
	rsp_send(&c->rsp, c->last_stop);
}

static struct dbg_stop run(struct gdb_client *c, enum gdb_resume how)
{
	struct dbg *d = c->s->dbg;
	switch (how) {
	case GDB_RESUME_CONTINUE:
		return dbg_continue(d);
	case GDB_RESUME_STEP:
		return dbg_stepi(d, 1);
	case GDB_RESUME_REVERSE_CONTINUE:
		return dbg_reverse_continue(d);
	case GDB_RESUME_REVERSE_STEP:
		return dbg_reverse_stepi(d);
	}
	return *dbg_last_stop(d);
}

void gdb_resume(struct gdb_client *c, enum gdb_resume how)
{
	struct dbg *d = c->s->dbg;
	struct dbg_stop st;

	if (how == GDB_RESUME_REVERSE_CONTINUE || how == GDB_RESUME_REVERSE_STEP) {
		const char *why = dbg_reverse_unavailable(d);
		if (why) {
			char text[200];
			snprintf(text, sizeof text, "reverse execution is unavailable: %s", why);
			if (console_line(c, text))
				rsp_send(&c->rsp, E_REFUSED);
			return;
		}
	}
	if (c->rsp.brk) {
		/* ^C came while a reply was acknowledged: gdb waits for the stop it asked for. */
		c->rsp.brk = false;
		st = *dbg_last_stop(d);
		st.kind = DBG_STOP_INTERRUPT;
		dbg_describe_stop(&st);
	} else {
		st = run(c, how);
	}
	report_stop(c, &st);
}

void gdb_resume_at(struct gdb_client *c, enum gdb_resume how, bool has_addr, uint64_t addr)
{
	if (has_addr)
		dbg_set_reg(c->s->dbg, UC_X86_REG_RIP, addr);
	gdb_resume(c, how);
}
