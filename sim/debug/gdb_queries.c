/*
 * gdb's general queries and settings (gdb's "Remote Protocol" appendix, "General Query
 * Packets"): what the stub supports, the target description, `monitor` commands, and the one
 * thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/debug/gdb_client.h"
#include "sim/debug/gdb_regs.h"
#include "sim/debug/gdb_resume.h"

/* ---- qSupported ---- */

/* Does gdb's qSupported list ("feature+;feature-;name=value;...") contain 'feature'? */
static bool gdb_offers(const char *list, const char *feature)
{
	size_t n = strlen(feature);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !strncmp(p, feature, n))
			return true;
		p += len + (end != NULL);
	}
	return false;
}

void pkt_supported(struct gdb_client *c, const char *args)
{
	/* swbreak/hwbreak stop reasons only go to a gdb that said it understands them. */
	c->swbreak = gdb_offers(args, "swbreak+");
	c->hwbreak = gdb_offers(args, "hwbreak+");
	rsp_sendf(&c->rsp,
		  "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;"
		  "ReverseStep+;ReverseContinue+;QStartNoAckMode+",
		  RSP_MAX_PACKET);
}

/* After its OK has been acknowledged, neither side acknowledges ("Packet Acknowledgment"). */
void pkt_no_ack(struct gdb_client *c, const char *args)
{
	(void)args;
	if (rsp_send(&c->rsp, "OK"))
		c->rsp.noack = true;
}

/* ---- qXfer:features:read:ANNEX:OFFSET,LENGTH ---- */

#define FEATURES_READ "features:read:"
#define TARGET_XML "target.xml"

void pkt_xfer(struct gdb_client *c, const char *args)
{
	size_t xml_len;
	const char *xml = gdb_target_xml(&xml_len);
	uint64_t off, len;

	if (strncmp(args, FEATURES_READ, strlen(FEATURES_READ))) {
		rsp_send(&c->rsp, ""); /* other objects are not supported */
		return;
	}
	args += strlen(FEATURES_READ);
	const char *p = strchr(args, ':');
	if (!p) {
		rsp_send(&c->rsp, E_SYNTAX);
		return;
	}
	size_t annex_len = (size_t)(p++ - args);
	if (!rsp_parse_hex(&p, &off) || *p++ != ',' || !rsp_parse_hex(&p, &len) || *p) {
		rsp_send(&c->rsp, E_SYNTAX);
		return;
	}
	if (annex_len != strlen(TARGET_XML) || strncmp(args, TARGET_XML, annex_len)) {
		rsp_send(&c->rsp, E_ANNEX); /* one document: no other annex */
		return;
	}
	/* 'm': more follows; 'l': the last part. A chunk fits the reply whatever gdb asked. */
	if (off >= xml_len) {
		rsp_send(&c->rsp, "l");
		return;
	}
	size_t n = xml_len - (size_t)off;
	if (len < n)
		n = (size_t)len;
	if (n > RSP_MAX_REPLY / 2)
		n = RSP_MAX_REPLY / 2;
	rsp_send_binary(&c->rsp, off + n < xml_len ? "m" : "l", xml + off, n);
}

/* ---- qRcmd: `monitor LINE`, run by the debugger's command language ---- */

/* Decode the hex of a monitor line into buf: false if malformed, too long or holding a NUL. */
static bool decode_line(const char *hex, char *buf, size_t cap)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 >= cap || !rsp_hex_decode(hex, n / 2, (uint8_t *)buf))
		return false;
	buf[n / 2] = 0;
	return strlen(buf) == n / 2;
}

void pkt_monitor(struct gdb_client *c, const char *args)
{
	char line[GDB_MAX_MONITOR_LINE + 1];
	char *out = NULL;
	size_t out_len = 0;

	if (!decode_line(args, line, sizeof line)) {
		rsp_send(&c->rsp, E_SYNTAX);
		return;
	}
	FILE *f = open_memstream(&out, &out_len);
	if (!f) {
		rsp_send(&c->rsp, E_REFUSED);
		return;
	}
	dbg_command(c->s, line, f);
	fclose(f);
	/* The output goes to gdb's console as O packets; then OK ends the command. */
	if (gdb_console(c, out, out_len))
		rsp_send(&c->rsp, "OK");
	free(out);
}

/* ---- the process and its one thread ---- */

/* "1": attached to a process that existed; gdb detaches (the machine runs on) when it quits. */
void pkt_attached(struct gdb_client *c, const char *args)
{
	(void)args;
	rsp_send(&c->rsp, "1");
}

void pkt_current_thread(struct gdb_client *c, const char *args)
{
	(void)args;
	rsp_sendf(&c->rsp, "QC%x", GDB_THREAD);
}

void pkt_thread_first(struct gdb_client *c, const char *args)
{
	(void)args;
	rsp_sendf(&c->rsp, "m%x", GDB_THREAD);
}

void pkt_thread_next(struct gdb_client *c, const char *args)
{
	(void)args;
	rsp_send(&c->rsp, "l");
}

/* What `info threads` shows beside the thread: the vCPU. */
void pkt_thread_extra(struct gdb_client *c, const char *args)
{
	static const char text[] = "vCPU 0";
	char hex[2 * sizeof text + 1];
	(void)args;
	rsp_hex_encode(text, sizeof text - 1, hex);
	rsp_send(&c->rsp, hex);
}

/* No symbols are needed from gdb. */
void pkt_symbol(struct gdb_client *c, const char *args)
{
	(void)args;
	rsp_send(&c->rsp, "OK");
}
