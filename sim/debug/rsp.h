/*
 * The GDB remote serial protocol's transport (gdb's "Remote Protocol" appendix, "Overview"):
 * packets framed as $data#cs with acknowledgments, binary escapes, and the out-of-band ^C byte.
 * Nothing here knows what a packet means (sim/debug/gdb_packets.c does); every input is bounded.
 */
#ifndef HVSIM_SIM_DEBUG_RSP_H
#define HVSIM_SIM_DEBUG_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet accepted (advertised to gdb as qSupported's PacketSize). */
#define RSP_MAX_PACKET 0x4000
/* The largest reply payload before escaping: a binary reply at most doubles when escaped. */
#define RSP_MAX_REPLY RSP_MAX_PACKET
/* Retransmissions of one packet that gdb NAKs before the connection is given up. */
#define RSP_MAX_RESENDS 8

enum rsp_event {
	RSP_PACKET,   /* a packet arrived intact: r->pkt, r->pkt_len (NUL-terminated) */
	RSP_BREAK,    /* gdb's interrupt byte 0x03 ("Interrupts") */
	RSP_TOO_LONG, /* an intact packet longer than RSP_MAX_PACKET (acknowledged, then dropped) */
	RSP_EOF,      /* the connection closed or failed */
};

struct rsp {
	int fd;
	bool noack;  /* QStartNoAckMode accepted: no '+'/'-' either way ("Packet Acknowledgment") */
	bool closed; /* EOF or an error: every later call fails fast */
	bool brk;    /* a 0x03 arrived while a reply's acknowledgment was awaited */
	uint8_t in[4096];
	size_t in_pos, in_len;
	char pkt[RSP_MAX_PACKET + 1];
	size_t pkt_len;
	char out[2 * RSP_MAX_REPLY + 8]; /* '$' + escaped payload + '#' + checksum */
	size_t out_len;
};

void rsp_init(struct rsp *r, int fd);

/* Wait for the next packet or ^C; acknowledges (or NAKs, on a bad checksum) as it goes. */
enum rsp_event rsp_recv(struct rsp *r);
/*
 * Without blocking: has gdb sent ^C (or hung up) since the last look? Other bytes stay buffered
 * for rsp_recv. For a running machine's poll callback.
 */
bool rsp_poll_break(struct rsp *r);

/* Send a packet made of plain text (hex, stop replies: none of $ # } * occurs in them). */
bool rsp_send(struct rsp *r, const char *text);
bool rsp_sendf(struct rsp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send 'prefix' followed by binary data, escaped ("Overview": '}' then the byte XOR 0x20). */
bool rsp_send_binary(struct rsp *r, const char *prefix, const void *data, size_t len);

/* ---- encodings ---- */
int rsp_hexval(char c); /* 0..15, or -1 */
/* Exactly 2*n hex digits into n bytes; false on any other character. */
bool rsp_hex_decode(const char *hex, size_t n, uint8_t *out);
/* 2*n lowercase hex digits and a NUL into out (which holds 2*n+1). */
void rsp_hex_encode(const void *data, size_t n, char *out);
/*
 * A hex number of 1..16 digits at *p; advances *p past it. False (and *p unchanged) if there is
 * no digit or the number does not fit 64 bits.
 */
bool rsp_parse_hex(const char **p, uint64_t *v);
/*
 * Undo binary escapes of n input bytes into at most cap bytes: false on a '}' with nothing after
 * it or output longer than cap. *out_len receives the decoded length.
 */
bool rsp_unescape(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

#endif
