/*
 * RSP framing (gdb's "Remote Protocol" appendix, "Overview" and "Packet Acknowledgment").
 * A packet is '$' data '#' and two hex digits of the modulo-256 sum of data. The receiver answers
 * '+' or '-' (asking for a retransmission) until QStartNoAckMode turns acknowledgments off. '$'
 * inside a packet starts it over, as after line noise. gdb sends 0x03 alone to interrupt.
 */
#include "sim/debug/rsp.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RSP_INTERRUPT 0x03
#define RSP_ESCAPE '}'
#define RSP_ESCAPE_XOR 0x20

void rsp_init(struct rsp *r, int fd)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
}

/* ---- bytes in ---- */

/* Refill the input buffer; 'wait' false: only what has already arrived. False if nothing came. */
static bool fill(struct rsp *r, bool wait)
{
	if (r->closed)
		return false;
	for (;;) {
		ssize_t n = recv(r->fd, r->in, sizeof r->in, wait ? 0 : MSG_DONTWAIT);
		if (n > 0) {
			r->in_pos = 0;
			r->in_len = (size_t)n;
			return true;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		r->closed = true;
		return false;
	}
}

/* The next byte, waiting for it; -1 at EOF. */
static int get_byte(struct rsp *r)
{
	if (r->in_pos == r->in_len && !fill(r, true))
		return -1;
	return r->in[r->in_pos++];
}

/* ---- bytes out ---- */

static bool put_raw(struct rsp *r, const void *buf, size_t len)
{
	const char *p = buf;
	while (len && !r->closed) {
		/* MSG_NOSIGNAL: a vanished gdb is an EOF, not a SIGPIPE that kills the simulator. */
		ssize_t n = send(r->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->closed = true;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	return !r->closed;
}

static const char hexdigits[] = "0123456789abcdef";

/* ---- receiving ---- */

/* The two checksum digits after '#'; -1 if either is not hex (or the connection ended). */
static int read_checksum(struct rsp *r)
{
	int hi = get_byte(r), lo = hi < 0 ? -1 : get_byte(r);
	if (lo < 0 || rsp_hexval((char)hi) < 0 || rsp_hexval((char)lo) < 0)
		return -1;
	return rsp_hexval((char)hi) << 4 | rsp_hexval((char)lo);
}

/*
 * The body of a packet whose '$' was just read, up to '#'. Bytes beyond RSP_MAX_PACKET are
 * counted in the checksum but not kept. Returns the last byte read: '#', or -1 at EOF.
 */
static int read_body(struct rsp *r, uint8_t *sum, bool *too_long)
{
	int c;
restart:
	r->pkt_len = 0;
	*sum = 0;
	*too_long = false;
	while ((c = get_byte(r)) >= 0 && c != '#') {
		if (c == '$')
			goto restart; /* a new packet began: the old one was noise */
		*sum = (uint8_t)(*sum + c);
		if (r->pkt_len < RSP_MAX_PACKET)
			r->pkt[r->pkt_len++] = (char)c;
		else
			*too_long = true;
	}
	r->pkt[r->pkt_len] = 0;
	return c;
}

enum rsp_event rsp_recv(struct rsp *r)
{
	for (;;) {
		int c = get_byte(r);
		if (c < 0)
			return RSP_EOF;
		if (c == RSP_INTERRUPT)
			return RSP_BREAK;
		if (c != '$')
			continue; /* stray acknowledgments and noise between packets */
		uint8_t sum;
		bool too_long;
		if (read_body(r, &sum, &too_long) < 0)
			return RSP_EOF;
		int cs = read_checksum(r);
		if (r->closed)
			return RSP_EOF;
		if (cs != sum) {
			/* In no-ack mode the transport is trusted and gdb would not resend: drop it. */
			if (!r->noack && !put_raw(r, "-", 1))
				return RSP_EOF;
			continue;
		}
		if (!r->noack && !put_raw(r, "+", 1))
			return RSP_EOF;
		return too_long ? RSP_TOO_LONG : RSP_PACKET;
	}
}

bool rsp_poll_break(struct rsp *r)
{
	if (r->in_pos == r->in_len && !fill(r, false))
		return r->closed;
	/* gdb sends nothing else to an all-stop target that runs, except acknowledgments. */
	while (r->in_pos < r->in_len && r->in[r->in_pos] == '+')
		r->in_pos++;
	if (r->in_pos < r->in_len && r->in[r->in_pos] == RSP_INTERRUPT) {
		r->in_pos++;
		return true;
	}
	return false;
}

/* ---- sending ---- */

/* After a packet went out: wait for '+', resending on '-' ("Packet Acknowledgment"). */
static bool await_ack(struct rsp *r)
{
	for (unsigned tries = 0;;) {
		int c = get_byte(r);
		if (c < 0)
			return false;
		if (c == '+')
			return true;
		if (c == RSP_INTERRUPT) {
			r->brk = true;
		} else if (c == '-') {
			if (++tries > RSP_MAX_RESENDS || !put_raw(r, r->out, r->out_len))
				return false;
		} else if (c == '$') {
			r->in_pos--; /* gdb has moved on to its next packet: take that as the ack */
			return true;
		}
	}
}

/* Frame r->out[1 .. out_len) (already escaped) and send it. */
static bool send_frame(struct rsp *r)
{
	uint8_t sum = 0;
	for (size_t i = 1; i < r->out_len; i++)
		sum = (uint8_t)(sum + (uint8_t)r->out[i]);
	r->out[0] = '$';
	r->out[r->out_len++] = '#';
	r->out[r->out_len++] = hexdigits[sum >> 4];
	r->out[r->out_len++] = hexdigits[sum & 15];
	if (!put_raw(r, r->out, r->out_len))
		return false;
	return r->noack || await_ack(r);
}

bool rsp_send(struct rsp *r, const char *text)
{
	size_t n = strlen(text);
	assert(n <= RSP_MAX_REPLY);
	memcpy(r->out + 1, text, n);
	r->out_len = 1 + n;
	return send_frame(r);
}

bool rsp_sendf(struct rsp *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	assert(n >= 0 && (size_t)n < sizeof buf);
	return rsp_send(r, buf);
}

static bool needs_escape(uint8_t c)
{
	return c == '$' || c == '#' || c == RSP_ESCAPE || c == '*';
}

bool rsp_send_binary(struct rsp *r, const char *prefix, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n = strlen(prefix);
	assert(n + len <= RSP_MAX_REPLY);
	memcpy(r->out + 1, prefix, n);
	r->out_len = 1 + n;
	for (size_t i = 0; i < len; i++) {
		if (needs_escape(p[i])) {
			r->out[r->out_len++] = RSP_ESCAPE;
			r->out[r->out_len++] = (char)(p[i] ^ RSP_ESCAPE_XOR);
		} else {
			r->out[r->out_len++] = (char)p[i];
		}
	}
	return send_frame(r);
}

/* ---- encodings ---- */

int rsp_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool rsp_hex_decode(const char *hex, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = rsp_hexval(hex[2 * i]), lo = hi < 0 ? -1 : rsp_hexval(hex[2 * i + 1]);
		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void rsp_hex_encode(const void *data, size_t n, char *out)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 15];
	}
	out[2 * n] = 0;
}

bool rsp_parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	size_t digits = 0;
	while (s[digits] == '0')
		digits++; /* leading zeros never overflow */
	size_t significant = 0;
	for (int h; (h = rsp_hexval(s[digits])) >= 0; digits++, significant++) {
		if (significant == 16)
			return false;
		x = x << 4 | (uint64_t)h;
	}
	if (!digits)
		return false;
	*v = x;
	*p = s + digits;
	return true;
}

bool rsp_unescape(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)in[i];
		if (c == RSP_ESCAPE) {
			if (++i == n)
				return false; /* an escape with nothing to escape: truncated data */
			c = (uint8_t)(in[i] ^ RSP_ESCAPE_XOR);
		}
		if (o == cap)
			return false;
		out[o++] = c;
	}
	*out_len = o;
	return true;
}
