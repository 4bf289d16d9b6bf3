/*
 * What gdb's packets mean (gdb's "Remote Protocol" appendix: "Packets", "General Query
 * Packets", "Stop Reply Packets"). One table maps each packet to its handler. Every handler
 * checks its input completely: a malformed packet gets an error reply (Exx), an unknown one the
 * empty reply that tells gdb "not supported", and nothing gdb sends can make the stub allocate
 * or read beyond what RSP_MAX_PACKET bounds.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/debug/gdb_client.h"
#include "sim/debug/gdb_regs.h"
#include "sim/debug/gdb_resume.h"

void gdb_client_init(struct gdb_client *c, int fd, struct dbg_session *s)
{
	memset(c, 0, sizeof *c);
	rsp_init(&c->rsp, fd);
	c->s = s;
	c->state = GDB_CLIENT_SERVING;
	snprintf(c->last_stop, sizeof c->last_stop, "T05thread:%x;", GDB_THREAD);
}

void gdb_client_close(struct gdb_client *c)
{
	for (unsigned i = 0; i < c->npoints; i++)
		dbg_point_del(c->s->dbg, c->points[i].id);
	c->npoints = 0;
	if (c->rsp.fd >= 0)
		close(c->rsp.fd);
	c->rsp.fd = -1;
}

/* ---- parsing helpers: each consumes exactly what it names, or fails ---- */

static bool expect(const char **p, char ch)
{
	if (**p != ch)
		return false;
	(*p)++;
	return true;
}

/* "ADDR,LEN" followed by 'end' (a character, or 0 for the end of the packet). */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char end)
{
	return rsp_parse_hex(p, addr) && expect(p, ',') && rsp_parse_hex(p, len) && **p == end;
}

/* A thread id as 'H' and 'T' take it: -1 (all), 0 (any) or a positive hex id. */
static bool parse_thread(const char *p, int64_t *tid)
{
	uint64_t v;
	if (!strcmp(p, "-1")) {
		*tid = -1;
		return true;
	}
	if (!rsp_parse_hex(&p, &v) || *p)
		return false;
	*tid = (int64_t)(v > INT64_MAX ? INT64_MAX : v);
	return true;
}

static bool reply(struct gdb_client *c, const char *text)
{
	return rsp_send(&c->rsp, text);
}

static void reply_hex(struct gdb_client *c, const void *data, size_t n)
{
	assert(2 * n < sizeof c->hex);
	rsp_hex_encode(data, n, c->hex);
	reply(c, c->hex);
}

/* ---- registers ('g', 'G', 'p', 'P') ---- */

static void pkt_read_regs(struct gdb_client *c, const char *args)
{
	size_t off = 0;
	if (*args) {
		reply(c, E_SYNTAX);
		return;
	}
	for (unsigned i = 0; i < gdb_reg_count; off += gdb_regs[i++].bytes)
		gdb_reg_read(c->s->dbg, i, c->scratch + off);
	reply_hex(c, c->scratch, off);
}

static void pkt_write_regs(struct gdb_client *c, const char *args)
{
	size_t size = gdb_regs_size(), off = 0;
	bool ok = true;

	if (strlen(args) != 2 * size || !rsp_hex_decode(args, size, c->scratch)) {
		reply(c, E_SYNTAX);
		return;
	}
	for (unsigned i = 0; i < gdb_reg_count; off += gdb_regs[i++].bytes)
		ok &= gdb_reg_write(c->s->dbg, i, c->scratch + off);
	reply(c, ok ? "OK" : E_NOREG);
}

static bool parse_regno(const char **p, unsigned *n)
{
	uint64_t v;
	if (!rsp_parse_hex(p, &v) || v >= gdb_reg_count)
		return false;
	*n = (unsigned)v;
	return true;
}

static void pkt_read_reg(struct gdb_client *c, const char *args)
{
	unsigned n;
	if (!parse_regno(&args, &n) || *args) {
		reply(c, E_NOREG);
		return;
	}
	gdb_reg_read(c->s->dbg, n, c->scratch);
	reply_hex(c, c->scratch, gdb_regs[n].bytes);
}

static void pkt_write_reg(struct gdb_client *c, const char *args)
{
	unsigned n;
	if (!parse_regno(&args, &n) || !expect(&args, '=')) {
		reply(c, E_NOREG);
		return;
	}
	if (strlen(args) != 2 * gdb_regs[n].bytes || !rsp_hex_decode(args, gdb_regs[n].bytes, c->scratch)) {
		reply(c, E_SYNTAX);
		return;
	}
	reply(c, gdb_reg_write(c->s->dbg, n, c->scratch) ? "OK" : E_NOREG);
}

/* ---- memory ('m', 'M', 'X'): guest-virtual, or machine-physical after `monitor phys on` ---- */

#define PAGE 0x1000u

static bool mem_read(struct gdb_client *c, uint64_t addr, void *buf, size_t len)
{
	return c->s->phys ? dbg_read_phys(c->s->dbg, addr, buf, len) : dbg_read_virt(c->s->dbg, addr, buf, len);
}

static bool mem_write(struct gdb_client *c, uint64_t addr, const void *buf, size_t len)
{
	return c->s->phys ? dbg_write_phys(c->s->dbg, addr, buf, len)
			  : dbg_write_virt(c->s->dbg, addr, buf, len);
}

/* A range gdb may name: non-empty, within one packet, not wrapping around the address space. */
static const char *range_error(uint64_t addr, uint64_t len, uint64_t max)
{
	if (!len)
		return E_SYNTAX;
	if (len > max)
		return E_TOO_BIG;
	return addr + (len - 1) < addr ? E_FAULT : NULL;
}

/*
 * How much of [addr, addr+len) reads, page by page from the start: gdb accepts a shorter reply
 * ("Packets", m), so a read that runs into an unmapped page returns what precedes it.
 */
static size_t mem_read_prefix(struct gdb_client *c, uint64_t addr, uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t chunk = PAGE - ((addr + done) & (PAGE - 1));
		if (chunk > len - done)
			chunk = len - done;
		if (!mem_read(c, addr + done, buf + done, chunk))
			break;
		done += chunk;
	}
	return done;
}

static void pkt_read_mem(struct gdb_client *c, const char *args)
{
	uint64_t addr, len;
	const char *err;

	if (!parse_addr_len(&args, &addr, &len, 0)) {
		reply(c, E_SYNTAX);
		return;
	}
	if ((err = range_error(addr, len, GDB_MAX_MEM))) {
		reply(c, err);
		return;
	}
	size_t got = mem_read_prefix(c, addr, c->scratch, (size_t)len);
	if (!got)
		reply(c, E_FAULT);
	else
		reply_hex(c, c->scratch, got);
}

static void pkt_write_mem_hex(struct gdb_client *c, const char *args)
{
	uint64_t addr, len;
	const char *err;

	if (!parse_addr_len(&args, &addr, &len, ':')) {
		reply(c, E_SYNTAX);
		return;
	}
	args++;
	if ((err = range_error(addr, len, sizeof c->scratch))) {
		reply(c, err);
		return;
	}
	if (strlen(args) != 2 * len || !rsp_hex_decode(args, (size_t)len, c->scratch)) {
		reply(c, E_SYNTAX);
		return;
	}
	reply(c, mem_write(c, addr, c->scratch, (size_t)len) ? "OK" : E_FAULT);
}

/* X: binary data, escaped; may contain NULs, so its length comes from the packet's. */
static void pkt_write_mem_bin(struct gdb_client *c, const char *args)
{
	uint64_t addr, len;
	size_t got;
	const char *err;

	if (!parse_addr_len(&args, &addr, &len, ':')) {
		reply(c, E_SYNTAX);
		return;
	}
	args++;
	size_t avail = c->rsp.pkt_len - (size_t)(args - c->rsp.pkt);
	if (!len && !avail) {
		reply(c, "OK"); /* gdb probes for X support with a zero-length write */
		return;
	}
	if ((err = range_error(addr, len, sizeof c->scratch))) {
		reply(c, err);
		return;
	}
	if (!rsp_unescape(args, avail, c->scratch, (size_t)len, &got) || got != len) {
		reply(c, E_SYNTAX);
		return;
	}
	reply(c, mem_write(c, addr, c->scratch, (size_t)len) ? "OK" : E_FAULT);
}

/* ---- breakpoints and watchpoints ('Z', 'z') ---- */

static const enum dbg_watch watch_how[] = { ['2'] = DBG_WATCH_WRITE, ['3'] = DBG_WATCH_READ,
					    ['4'] = DBG_WATCH_ACCESS };

/* "TYPE,ADDR,KIND" (and conditions after ';', which gdb sends only to stubs that ask: ignored). */
static bool parse_point(const char *args, struct gdb_point *p)
{
	if (*args < '0' || *args > '4')
		return false;
	p->type = *args++;
	return expect(&args, ',') && rsp_parse_hex(&args, &p->addr) && expect(&args, ',') &&
	       rsp_parse_hex(&args, &p->len) && (!*args || *args == ';');
}

static struct gdb_point *find_point(struct gdb_client *c, const struct gdb_point *want)
{
	bool watch = want->type >= '2';
	for (unsigned i = 0; i < c->npoints; i++) {
		struct gdb_point *p = &c->points[i];
		if (p->type == want->type && p->addr == want->addr && (!watch || p->len == want->len))
			return p;
	}
	return NULL;
}

static void pkt_insert_point(struct gdb_client *c, const char *args)
{
	struct gdb_point p;

	if (*args < '0' || *args > '4') {
		reply(c, ""); /* other types are not supported ("Packets", Z) */
		return;
	}
	if (!parse_point(args, &p)) {
		reply(c, E_SYNTAX);
		return;
	}
	if (find_point(c, &p)) {
		reply(c, "OK"); /* inserting twice is harmless: gdb may resend */
		return;
	}
	if (c->npoints == GDB_MAX_POINTS) {
		reply(c, E_REFUSED);
		return;
	}
	if (p.type >= '2' && p.len > GDB_MAX_WATCH) {
		reply(c, E_TOO_BIG);
		return;
	}
	if (p.type <= '1')
		p.id = dbg_break_add(c->s->dbg, p.addr, false);
	else
		p.id = !p.len ? -1 : (c->s->phys ? dbg_watch_add_phys : dbg_watch_add)(
			c->s->dbg, p.addr, p.len, watch_how[(unsigned char)p.type]);
	if (p.id < 0) {
		reply(c, E_REFUSED);
		return;
	}
	c->points[c->npoints++] = p;
	reply(c, "OK");
}

static void pkt_remove_point(struct gdb_client *c, const char *args)
{
	struct gdb_point want, *p;

	if (*args < '0' || *args > '4') {
		reply(c, "");
		return;
	}
	if (!parse_point(args, &want)) {
		reply(c, E_SYNTAX);
		return;
	}
	if ((p = find_point(c, &want))) {
		dbg_point_del(c->s->dbg, p->id);
		*p = c->points[--c->npoints];
	}
	reply(c, "OK");
}

/* ---- running ---- */

/* "c [ADDR]", "s [ADDR]" */
static void resume_packet(struct gdb_client *c, const char *args, enum gdb_resume how)
{
	uint64_t addr = 0;
	bool has_addr = *args;
	if (has_addr && (!rsp_parse_hex(&args, &addr) || *args)) {
		reply(c, E_SYNTAX);
		return;
	}
	gdb_resume_at(c, how, has_addr, addr);
}

/* "C SIG[;ADDR]", "S SIG[;ADDR]": a machine has no signals to deliver; the signal is dropped. */
static void resume_signal_packet(struct gdb_client *c, const char *args, enum gdb_resume how)
{
	uint64_t sig;
	if (!rsp_parse_hex(&args, &sig) || (*args && *args != ';')) {
		reply(c, E_SYNTAX);
		return;
	}
	resume_packet(c, *args ? args + 1 : args, how);
}

static void pkt_continue(struct gdb_client *c, const char *args)
{
	resume_packet(c, args, GDB_RESUME_CONTINUE);
}

static void pkt_step(struct gdb_client *c, const char *args)
{
	resume_packet(c, args, GDB_RESUME_STEP);
}

static void pkt_continue_signal(struct gdb_client *c, const char *args)
{
	resume_signal_packet(c, args, GDB_RESUME_CONTINUE);
}

static void pkt_step_signal(struct gdb_client *c, const char *args)
{
	resume_signal_packet(c, args, GDB_RESUME_STEP);
}

/* "bc" and "bs": reverse continue and reverse step ("Packets"). */
static void pkt_backward(struct gdb_client *c, const char *args)
{
	if (!strcmp(args, "c"))
		gdb_resume(c, GDB_RESUME_REVERSE_CONTINUE);
	else if (!strcmp(args, "s"))
		gdb_resume(c, GDB_RESUME_REVERSE_STEP);
	else
		reply(c, "");
}

/*
 * One vCont action "c", "Csig", "s" or "Ssig", with an optional ":thread": does it apply to our
 * thread, and how? False if malformed. "t" (stop) means nothing to a stopped all-stop target.
 */
static bool vcont_action(const char **p, bool *applies, int *how)
{
	char a = **p;
	uint64_t v;
	int64_t tid = -1;

	if (!a)
		return false;
	(*p)++;

	if ((a == 'C' || a == 'S') && !rsp_parse_hex(p, &v))
		return false;
	if (a != 'c' && a != 's' && a != 'C' && a != 'S' && a != 't')
		return false;
	if (**p == ':') {
		const char *t = ++*p;
		while (**p && **p != ';')
			(*p)++;
		char id[24];
		size_t n = (size_t)(*p - t);
		if (n >= sizeof id)
			return false;
		memcpy(id, t, n);
		id[n] = 0;
		if (!parse_thread(id, &tid))
			return false;
	}
	*applies = a != 't' && (tid == -1 || tid == 0 || tid == GDB_THREAD);
	*how = a == 's' || a == 'S' ? GDB_RESUME_STEP : GDB_RESUME_CONTINUE;
	return true;
}

/*
 * "vCont;ACTION[:TID]..." ("Packets", vCont); args starts after the first ';'. The first action
 * for our thread wins.
 */
static void pkt_vcont(struct gdb_client *c, const char *args)
{
	int how = -1;

	for (;;) {
		bool applies;
		int h;
		if (!vcont_action(&args, &applies, &h) || (*args && !expect(&args, ';'))) {
			reply(c, E_SYNTAX);
			return;
		}
		if (applies && how < 0)
			how = h;
		if (!*args)
			break;
	}
	if (how < 0)
		reply(c, E_SYNTAX);
	else
		gdb_resume(c, (enum gdb_resume)how);
}

static void pkt_vcont_query(struct gdb_client *c, const char *args)
{
	(void)args;
	reply(c, "vCont;c;C;s;S");
}

static void pkt_detach(struct gdb_client *c, const char *args)
{
	(void)args; /* "D;PID": one process */
	reply(c, "OK");
	c->state = GDB_CLIENT_DETACHED;
}

static void pkt_kill(struct gdb_client *c, const char *args)
{
	(void)args; /* 'k' has no reply ("Packets", k) */
	c->state = GDB_CLIENT_KILLED;
}

static void pkt_vkill(struct gdb_client *c, const char *args)
{
	(void)args;
	reply(c, "OK");
	c->state = GDB_CLIENT_KILLED;
}

/* ---- threads ---- */

static void pkt_set_thread(struct gdb_client *c, const char *args)
{
	int64_t tid;
	if ((*args != 'g' && *args != 'c') || !parse_thread(args + 1, &tid)) {
		reply(c, E_SYNTAX);
		return;
	}
	reply(c, tid == -1 || tid == 0 || tid == GDB_THREAD ? "OK" : E_SYNTAX);
}

static void pkt_thread_alive(struct gdb_client *c, const char *args)
{
	int64_t tid;
	reply(c, parse_thread(args, &tid) && tid == GDB_THREAD ? "OK" : E_SYNTAX);
}

static void pkt_stop_reason(struct gdb_client *c, const char *args)
{
	(void)args;
	reply(c, c->last_stop);
}

/* ---- dispatch ---- */

typedef void (*packet_fn)(struct gdb_client *c, const char *args);

/*
 * Named packets: the name, then the end or one of ':' ',' ';' (what follows is the argument).
 * The queries are in sim/debug/gdb_queries.c.
 */
static const struct {
	const char *name;
	packet_fn fn;
} named[] = {
	{ "qSupported", pkt_supported },     { "qXfer", pkt_xfer },
	{ "qRcmd", pkt_monitor },            { "qAttached", pkt_attached },
	{ "qC", pkt_current_thread },        { "qfThreadInfo", pkt_thread_first },
	{ "qsThreadInfo", pkt_thread_next }, { "qThreadExtraInfo", pkt_thread_extra },
	{ "qSymbol", pkt_symbol },           { "QStartNoAckMode", pkt_no_ack },
	{ "vCont?", pkt_vcont_query },       { "vCont", pkt_vcont },
	{ "vKill", pkt_vkill },
};

/* Single-letter packets; the argument follows the letter directly. */
static const packet_fn letters[128] = {
	['?'] = pkt_stop_reason,   ['g'] = pkt_read_regs,     ['G'] = pkt_write_regs,
	['p'] = pkt_read_reg,      ['P'] = pkt_write_reg,     ['m'] = pkt_read_mem,
	['M'] = pkt_write_mem_hex, ['X'] = pkt_write_mem_bin, ['Z'] = pkt_insert_point,
	['z'] = pkt_remove_point,  ['c'] = pkt_continue,      ['s'] = pkt_step,
	['C'] = pkt_continue_signal, ['S'] = pkt_step_signal, ['b'] = pkt_backward,
	['H'] = pkt_set_thread,    ['T'] = pkt_thread_alive,  ['D'] = pkt_detach,
	['k'] = pkt_kill,
};

static void dispatch(struct gdb_client *c, const char *pkt)
{
	if (pkt[0] == 'q' || pkt[0] == 'Q' || pkt[0] == 'v') {
		for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
			size_t n = strlen(named[i].name);
			if (!strncmp(pkt, named[i].name, n) && strchr(":,;", pkt[n])) { /* or NUL */
				named[i].fn(c, pkt[n] ? pkt + n + 1 : pkt + n);
				return;
			}
		}
		reply(c, ""); /* qOffsets, qTStatus, vMustReplyEmpty, ...: not supported */
		return;
	}
	unsigned char l = (unsigned char)pkt[0];
	if (l < 128 && letters[l])
		letters[l](c, pkt + 1);
	else
		reply(c, "");
}

enum gdb_client_state gdb_client_serve(struct gdb_client *c)
{
	while (c->state == GDB_CLIENT_SERVING) {
		switch (rsp_recv(&c->rsp)) {
		case RSP_PACKET:
			dispatch(c, c->rsp.pkt);
			break;
		case RSP_TOO_LONG:
			reply(c, E_TOO_BIG);
			break;
		case RSP_BREAK:
			break; /* already stopped: a ^C that crossed our stop reply */
		case RSP_EOF:
			break;
		}
		if (c->rsp.closed && c->state == GDB_CLIENT_SERVING)
			c->state = GDB_CLIENT_GONE;
	}
	return c->state;
}
