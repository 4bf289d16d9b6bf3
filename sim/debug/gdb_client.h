/*
 * One connected gdb: its transport, what it asked for (breakpoints, stop reasons it understands)
 * and the packets it sends (sim/debug/gdb_packets.c). sim/debug/gdbstub.c accepts clients and
 * runs the machine while none is connected.
 */
#ifndef HVSIM_SIM_DEBUG_GDB_CLIENT_H
#define HVSIM_SIM_DEBUG_GDB_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/debug/commands.h"
#include "sim/debug/rsp.h"

/* Breakpoints and watchpoints one gdb may hold at once (more get an error reply). */
#define GDB_MAX_POINTS 256
/* The widest watchpoint: every access near a watched range costs a call (cpu/debug.c). */
#define GDB_MAX_WATCH (1u << 20)
/* The longest `monitor` line accepted. */
#define GDB_MAX_MONITOR_LINE 1024
/* The one thread (a vCPU) gdb sees; thread ids are hex, positive. */
#define GDB_THREAD 1
/* The largest memory transfer in one packet: a hex reply doubles it. */
#define GDB_MAX_MEM (RSP_MAX_REPLY / 2)

/* Error replies: gdb shows the number only, so each says which kind of refusal it was. */
#define E_SYNTAX "E01"  /* malformed packet */
#define E_TOO_BIG "E02" /* a length beyond what one packet may carry */
#define E_FAULT "E03"   /* memory not mapped, or not RAM */
#define E_NOREG "E04"   /* no such register, or it cannot take that value */
#define E_REFUSED "E05" /* the engine refused (no room for another point, ...) */
#define E_ANNEX "E00"   /* qXfer: unknown annex ("General Query Packets", qXfer) */

/* A Z packet's point, by its type digit ("Remote Protocol", "Packets": Z0..Z4). */
struct gdb_point {
	char type;     /* '0' software / '1' hardware breakpoint; '2' write, '3' read, '4' access watch */
	uint64_t addr, len;
	int id;        /* the engine's id */
};

enum gdb_client_state {
	GDB_CLIENT_SERVING,
	GDB_CLIENT_DETACHED, /* D: the machine runs on */
	GDB_CLIENT_GONE,     /* the connection dropped: treated as a detach */
	GDB_CLIENT_KILLED,   /* k or vKill: the run ends with EXIT_INTERRUPTED */
	GDB_CLIENT_EXITED,   /* the machine finished (gdb was told W or X): exit_code */
};

struct gdb_client {
	struct rsp rsp;
	struct dbg_session *s;
	enum gdb_client_state state;
	int exit_code;
	bool swbreak, hwbreak;  /* gdb understands these stop reasons (its qSupported) */
	char last_stop[96];     /* the answer to '?' */
	struct gdb_point points[GDB_MAX_POINTS];
	unsigned npoints;
	uint8_t scratch[RSP_MAX_PACKET]; /* decoded packet payloads (memory, registers) */
	char hex[2 * GDB_MAX_MEM + 1];   /* hex replies (memory, registers) */
};

/* Take over a connected socket (closed by gdb_client_close). */
void gdb_client_init(struct gdb_client *c, int fd, struct dbg_session *s);
/* Answer packets, running the machine when asked, until the state is no longer SERVING. */
enum gdb_client_state gdb_client_serve(struct gdb_client *c);
/* Queries and settings (sim/debug/gdb_queries.c): each answers with one reply. */
void pkt_supported(struct gdb_client *c, const char *args);
void pkt_xfer(struct gdb_client *c, const char *args);
void pkt_monitor(struct gdb_client *c, const char *args);
void pkt_attached(struct gdb_client *c, const char *args);
void pkt_current_thread(struct gdb_client *c, const char *args);
void pkt_thread_first(struct gdb_client *c, const char *args);
void pkt_thread_next(struct gdb_client *c, const char *args);
void pkt_thread_extra(struct gdb_client *c, const char *args);
void pkt_symbol(struct gdb_client *c, const char *args);
void pkt_no_ack(struct gdb_client *c, const char *args);

/* Remove the client's breakpoints and watchpoints from the engine and close its socket. */
void gdb_client_close(struct gdb_client *c);

#endif
