/*
 * The GDB remote stub (sim/debug/gdbstub.h). First its packet layer alone, against the rules of
 * gdb's "Remote Protocol" appendix written out here (checksums, acknowledgments, escapes, hex);
 * then raw packets over a socket to `hvsim run --gdb unix:PATH --wait`, the hostile ones each
 * answered with an error while the stub keeps serving; real gdb in test_gdbstub_gdb.c.
 * Expected machine state comes from the ELF files (entry point, bytes, nm) and from plain runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/debug/gdb_regs.h"
#include "sim/debug/gdbstub.h"
#include "sim/debug/rsp.h"
#include "tests/lib/harness.h"
#include "tests/sim/gdbstub_test.h"

/* The modulo-256 sum of a packet's data ("Overview"), computed here, not by the stub. */
unsigned checksum(const char *data, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)data[i];
	return sum & 0xff;
}

void put(int fd, const void *buf, size_t n)
{
	ck_assert_int_eq(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

void put_packet(int fd, const char *data, size_t n)
{
	char head = '$', tail[4];
	snprintf(tail, sizeof tail, "#%02x", checksum(data, n));
	put(fd, &head, 1);
	put(fd, data, n);
	put(fd, tail, 3);
}

/* Everything the other side has sent, up to n bytes, once it has sent n or closed. */
static size_t get_all(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;
	while (got < n && (r = recv(fd, buf + got, n - got, 0)) > 0)
		got += (size_t)r;
	return got;
}

/* ---- the packet layer alone ---- */

START_TEST(hex_numbers_and_escapes)
{
	static const struct {
		const char *in;
		bool ok;
		uint64_t value;
		size_t used;
	} nums[] = {
		{ "0", true, 0, 1 },
		{ "1f,", true, 0x1f, 2 },
		{ "ffffffffffffffff", true, UINT64_MAX, 16 },
		{ "000000000000000000001", true, 1, 21 }, /* leading zeros cannot overflow */
		{ "10000000000000000", false, 0, 0 },     /* 2^64: does not fit */
		{ "", false, 0, 0 },
		{ ",1", false, 0, 0 },
		{ "g", false, 0, 0 },
	};
	struct report rep = { 0 };
	for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		const char *p = nums[i].in;
		uint64_t v = 0;
		bool ok = rsp_parse_hex(&p, &v);
		if (ok != nums[i].ok || (ok && (v != nums[i].value || (size_t)(p - nums[i].in) != nums[i].used)))
			report_broken(&rep, "parse_hex(\"%s\"): ok %d value %" PRIx64 " used %zu", nums[i].in, ok, v,
				      (size_t)(p - nums[i].in));
	}
	uint8_t b[8];
	char hex[17];
	if (!rsp_hex_decode("00ff7A", 3, b) || b[0] || b[1] != 0xff || b[2] != 0x7a)
		report_broken(&rep, "hex_decode of 00ff7A (either case is hex)");
	if (rsp_hex_decode("0g", 1, b) || rsp_hex_decode("0", 1, b))
		report_broken(&rep, "hex_decode accepts a non-digit or a half byte");
	rsp_hex_encode((const uint8_t[]){ 0, 0xab, 0x7f }, 3, hex);
	if (strcmp(hex, "00ab7f"))
		report_broken(&rep, "hex_encode gives %s", hex);
	/* Escapes ("Overview", binary data): '}' then the byte XOR 0x20. */
	size_t n;
	if (!rsp_unescape("a}]b}\x03", 6, b, sizeof b, &n) || n != 4 || memcmp(b, "a}b#", 4))
		report_broken(&rep, "unescape of a}]b}\\x03 is not a}b#");
	if (rsp_unescape("ab}", 3, b, sizeof b, &n))
		report_broken(&rep, "unescape accepts a '}' with nothing after it");
	if (rsp_unescape("abc", 3, b, 2, &n))
		report_broken(&rep, "unescape writes past its buffer");
	report_finish(&rep);
}
END_TEST

/* Bad checksums are NAKed, '$' restarts a packet, ^C is out of band, oversized ones are dropped. */
START_TEST(framing_acknowledges_and_recovers)
{
	int sv[2];
	static struct rsp r; /* large: not on the stack */
	char big[RSP_MAX_PACKET + 100], acks[8];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rsp_init(&r, sv[0]);
	put(sv[1], "xx$g#00", 7); /* the checksum of "g" is 0x67 */
	put_packet(sv[1], "?", 1);
	put(sv[1], "\x03", 1);
	put(sv[1], "$ab", 3); /* abandoned: a new '$' starts over */
	put_packet(sv[1], "cd", 2);
	memset(big, 'a', sizeof big);
	put_packet(sv[1], big, sizeof big);

	ck_assert_int_eq(rsp_recv(&r), RSP_PACKET);
	ck_assert_str_eq(r.pkt, "?");
	ck_assert_int_eq(rsp_recv(&r), RSP_BREAK);
	ck_assert_int_eq(rsp_recv(&r), RSP_PACKET);
	ck_assert_str_eq(r.pkt, "cd");
	ck_assert_int_eq(rsp_recv(&r), RSP_TOO_LONG);
	shutdown(sv[1], SHUT_WR);
	ck_assert_int_eq(rsp_recv(&r), RSP_EOF);
	close(sv[0]);
	ck_assert_uint_eq(get_all(sv[1], acks, sizeof acks), 4);
	ck_assert_msg(!memcmp(acks, "-+++", 4), "acknowledgments %.4s, expected -+++", acks);
	close(sv[1]);
}
END_TEST

START_TEST(replies_are_framed_escaped_and_resent)
{
	int sv[2];
	static struct rsp r;
	char got[64];
	static const char escaped[] = "$la}\x04}\x03}]}\x0a" "b#";
	char expect[64];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rsp_init(&r, sv[0]);
	put(sv[1], "-+", 2); /* gdb NAKs the first copy */
	ck_assert(rsp_send(&r, "OK"));
	put(sv[1], "+", 1);
	ck_assert(rsp_send_binary(&r, "l", "a$#}*b", 6));
	r.noack = true;
	ck_assert(rsp_send(&r, "W01"));
	shutdown(sv[0], SHUT_WR);
	size_t n = get_all(sv[1], got, sizeof got);
	/* 'O'+'K' = 0x9a; the escaped binary's sum is over the bytes as sent. */
	int len = snprintf(expect, sizeof expect, "$OK#9a$OK#9a%s%02x$W01#b8", escaped,
			   checksum(escaped + 1, sizeof escaped - 3));
	ck_assert_uint_eq(n, (size_t)len);
	ck_assert_msg(!memcmp(got, expect, n), "sent %.*s", (int)n, got);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(poll_sees_interrupts_and_hangups_only)
{
	int sv[2];
	static struct rsp r;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rsp_init(&r, sv[0]);
	ck_assert(!rsp_poll_break(&r)); /* nothing sent */
	put(sv[1], "+\x03", 2);
	ck_assert(rsp_poll_break(&r));
	put_packet(sv[1], "g", 1);
	ck_assert(!rsp_poll_break(&r)); /* a packet waits for rsp_recv */
	ck_assert_int_eq(rsp_recv(&r), RSP_PACKET);
	ck_assert_str_eq(r.pkt, "g");
	close(sv[1]);
	ck_assert(rsp_poll_break(&r)); /* gdb went away */
	close(sv[0]);
}
END_TEST

/* gdb's amd64 register order (its amd64 target descriptions, "i386 Features"), and ours after. */
static const struct {
	const char *name;
	unsigned bytes;
} expected_regs[] = {
	{ "rax", 8 }, { "rbx", 8 }, { "rcx", 8 }, { "rdx", 8 }, { "rsi", 8 }, { "rdi", 8 }, { "rbp", 8 },
	{ "rsp", 8 }, { "r8", 8 }, { "r9", 8 }, { "r10", 8 }, { "r11", 8 }, { "r12", 8 }, { "r13", 8 },
	{ "r14", 8 }, { "r15", 8 }, { "rip", 8 }, { "eflags", 4 }, { "cs", 4 }, { "ss", 4 }, { "ds", 4 },
	{ "es", 4 }, { "fs", 4 }, { "gs", 4 }, { "st0", 10 }, { "st1", 10 }, { "st2", 10 }, { "st3", 10 },
	{ "st4", 10 }, { "st5", 10 }, { "st6", 10 }, { "st7", 10 }, { "fctrl", 4 }, { "fstat", 4 },
	{ "ftag", 4 }, { "fiseg", 4 }, { "fioff", 4 }, { "foseg", 4 }, { "fooff", 4 }, { "fop", 4 },
	{ "xmm0", 16 }, { "xmm1", 16 }, { "xmm2", 16 }, { "xmm3", 16 }, { "xmm4", 16 }, { "xmm5", 16 },
	{ "xmm6", 16 }, { "xmm7", 16 }, { "xmm8", 16 }, { "xmm9", 16 }, { "xmm10", 16 }, { "xmm11", 16 },
	{ "xmm12", 16 }, { "xmm13", 16 }, { "xmm14", 16 }, { "xmm15", 16 }, { "mxcsr", 4 },
	{ "fs_base", 8 }, { "gs_base", 8 }, { "k_gs_base", 8 }, { "cr0", 8 }, { "cr2", 8 }, { "cr3", 8 },
	{ "cr4", 8 }, { "cr8", 8 }, { "efer", 8 },
};
#define N_EXPECTED_REGS (sizeof expected_regs / sizeof expected_regs[0])

START_TEST(target_description_follows_gdbs_amd64_layout)
{
	size_t len, total = 0;
	const char *xml = gdb_target_xml(&len), *at = xml;
	struct report rep = { 0 };
	static const char *const features[] = { "org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
						"org.gnu.gdb.i386.segments", "org.hvsim.x86.system" };

	ck_assert_uint_eq(strlen(xml), len);
	ck_assert_uint_eq(gdb_reg_count, N_EXPECTED_REGS);
	for (unsigned i = 0; i < N_EXPECTED_REGS; i++) {
		char pat[80];
		total += expected_regs[i].bytes;
		if (strcmp(gdb_regs[i].name, expected_regs[i].name) || gdb_regs[i].bytes != expected_regs[i].bytes)
			report_broken(&rep, "register %u is %s (%u bytes), gdb expects %s (%u)", i, gdb_regs[i].name,
				      gdb_regs[i].bytes, expected_regs[i].name, expected_regs[i].bytes);
		/* The XML's registers in the same order: regnums follow document order. */
		snprintf(pat, sizeof pat, "<reg name=\"%s\" bitsize=\"%u\"", expected_regs[i].name,
			 expected_regs[i].bytes * 8);
		const char *p = strstr(at, pat);
		if (!p)
			report_broken(&rep, "%s missing from the XML, or out of order", pat);
		else
			at = p + 1;
	}
	ck_assert_uint_eq(gdb_regs_size(), total);
	for (unsigned i = 0; i < sizeof features / sizeof features[0]; i++) {
		char pat[80];
		snprintf(pat, sizeof pat, "<feature name=\"%s\">", features[i]);
		if (!strstr(xml, pat))
			report_broken(&rep, "no feature %s", features[i]);
	}
	if (!strstr(xml, "<architecture>i386:x86-64</architecture>"))
		report_broken(&rep, "no architecture");
	/* Nothing that needs escaping in a reply that is not binary-safe everywhere. */
	if (strpbrk(xml, "$#}*"))
		report_broken(&rep, "the XML holds a character RSP escapes");
	report_finish(&rep);
}
END_TEST

START_TEST(only_loopback_and_unix_sockets_are_served)
{
	static const struct {
		const char *where;
		bool ok;
	} cases[] = {
		{ ":1234", true },          { "localhost:1234", true },   { "127.0.0.1:1", true },
		{ ":0", true },             { "unix:/tmp/x.sock", true }, { "0.0.0.0:1234", false },
		{ "example.com:1234", false }, { "[::]:1234", false },    { ":65536", false },
		{ ":", false },             { "1234", false },            { ":12ab", false },
		{ "unix:", false },         { "", false },
	};
	char err[200], longpath[300];
	struct report rep = { 0 };

	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = 0;
		bool ok = gdbstub_parse_where(cases[i].where, err, sizeof err);
		if (ok != cases[i].ok || (!ok && !err[0]))
			report_broken(&rep, "'%s': %s (%s)", cases[i].where, ok ? "accepted" : "refused", err);
	}
	memset(longpath, 'a', sizeof longpath - 1);
	memcpy(longpath, "unix:/", 6);
	longpath[sizeof longpath - 1] = 0;
	if (gdbstub_parse_where(longpath, err, sizeof err))
		report_broken(&rep, "a socket path longer than sun_path is accepted");
	report_finish(&rep);
}
END_TEST

/* ---- an hvsim serving gdb, in the background ---- */

char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	if (!f || getdelim(&buf, &cap, 0, f) < 0) {
		free(buf);
		buf = strdup("");
	}
	if (f)
		fclose(f);
	return buf;
}

void stub_start(struct stub *s, const char *sub, const char *where_opt, bool wait,
		const char *const *args)
{
	const char *argv[40];
	size_t n = 0;
	char where[160];
	posix_spawn_file_actions_t fa;

	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "/tmp/hvsim-gdb-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->sock, sizeof s->sock, "%s/sock", s->dir);
	snprintf(s->out, sizeof s->out, "%s/out", s->dir);
	snprintf(s->err, sizeof s->err, "%s/err", s->dir);
	snprintf(where, sizeof where, "unix:%s", s->sock);
	argv[n++] = build_path("hvsim");
	argv[n++] = sub;
	argv[n++] = "--gdb";
	argv[n++] = where_opt ? where_opt : where;
	if (wait)
		argv[n++] = "--wait";
	while (*args && n < 38)
		argv[n++] = *args++;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, s->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, s->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_eq(posix_spawn(&s->pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
}

void stub_start_smap_demo(struct stub *s)
{
	char hv[512], module[512];
	snprintf(hv, sizeof hv, "%s", build_path("hv/hv-unsafe-demo.elf"));
	snprintf(module, sizeof module, "%s", build_path("workloads/smap-demo.elf"));
	stub_start(s, "run", NULL, true, (const char *const[]){ "--cmdline", "guest=pv", "--module", module, hv, NULL });
	stub_wait_listening(s);
}

/* Generous bound on hvsim getting ready: a limit against hanging, not a timing assertion. */
#define LISTEN_WAIT_MS 120000

void stub_wait_listening(const struct stub *s)
{
	for (unsigned ms = 0; ms < LISTEN_WAIT_MS; ms += 10) {
		char *err = slurp_file(s->err);
		bool ready = strstr(err, "listening on") != NULL;
		int status;
		if (!ready && waitpid(s->pid, &status, WNOHANG) == s->pid)
			ck_abort_msg("hvsim exited before listening:\n%s", err);
		free(err);
		if (ready)
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	ck_abort_msg("hvsim is not listening on %s", s->sock);
}

void stub_finish(struct stub *s, char **out)
{
	int status;
	ck_assert_int_eq(waitpid(s->pid, &status, 0), s->pid);
	s->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (out)
		*out = slurp_file(s->out);
	unlink(s->sock);
	unlink(s->out);
	unlink(s->err);
	rmdir(s->dir);
}

/* From `nm -S`: by name any symbol, by address a function ('t' or 'T') containing it. */
static bool nm_lookup(const char *elf, const char *name, uint64_t addr, uint64_t *start, uint64_t *end,
		      char *found, size_t n)
{
	char cmd[600], line[512];
	bool ok = false;
	snprintf(cmd, sizeof cmd, "nm -S --defined-only %s", elf);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof line, p)) {
		uint64_t a, size;
		char type, sym[256];
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %c %255s", &a, &size, &type, sym) != 4)
			continue;
		if (name ? !strcmp(sym, name)
			 : (type == 't' || type == 'T') && addr >= a && addr - a < size) {
			*start = a;
			*end = a + size;
			if (found)
				snprintf(found, n, "%s", sym);
			ok = true;
		}
	}
	pclose(p);
	return ok;
}

bool nm_symbol(const char *elf, const char *name, uint64_t *start, uint64_t *end)
{
	return nm_lookup(elf, name, 0, start, end, NULL, 0);
}

void nm_function_at(const char *elf, uint64_t addr, char *name, size_t n)
{
	uint64_t s, e;
	if (!nm_lookup(elf, NULL, addr, &s, &e, name, n))
		snprintf(name, n, "%s", "");
}

/* ---- a raw RSP client ---- */

/* A bound on any one reply, against a hang: hvsim answers in far less. */
#define REPLY_WAIT_S 120

int client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_WAIT_S };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	ck_assert_msg(!connect(fd, (struct sockaddr *)&sa, sizeof sa), "connect %s: %s", path, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

char get_byte(int fd)
{
	char c;
	ck_assert_msg(recv(fd, &c, 1, 0) == 1, "the stub sent nothing (or hung up)");
	return c;
}

size_t get_packet(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	char c, cs[3] = { 0 };
	while ((c = get_byte(fd)) != '$')
		ck_assert_msg(c == '+', "unexpected byte %#x between packets", (unsigned char)c);
	while ((c = get_byte(fd)) != '#') {
		ck_assert_uint_lt(n, cap - 1);
		buf[n++] = c;
	}
	buf[n] = 0;
	cs[0] = get_byte(fd);
	cs[1] = get_byte(fd);
	ck_assert_uint_eq(strtoul(cs, NULL, 16), checksum(buf, n));
	put(fd, "+", 1);
	return n;
}

/* Send a request and return its reply; O packets before it are appended to 'console'. */
size_t ask(int fd, const char *req, char *reply, size_t cap, char *console, size_t ccap)
{
	put_packet(fd, req, strlen(req));
	ck_assert_msg(get_byte(fd) == '+', "%s not acknowledged", req);
	for (;;) {
		size_t n = get_packet(fd, reply, cap);
		if (reply[0] != 'O' || n == 1 || n % 2 == 0 || !console)
			return n;
		size_t used = strlen(console);
		for (size_t i = 1; i + 1 < n && used + 1 < ccap; i += 2) {
			unsigned v;
			sscanf(reply + i, "%2x", &v);
			console[used++] = (char)v;
		}
		console[used] = 0;
	}
}

const char *askr(int fd, const char *req)
{
	static char reply[2 * RSP_MAX_PACKET + 16];
	ask(fd, req, reply, sizeof reply, NULL, 0);
	return reply;
}

Suite *suite_gdbstub(void)
{
	Suite *s = suite_create("gdbstub");
	TCase *unit = tcase_create("packets");
	tcase_add_test(unit, hex_numbers_and_escapes);
	tcase_add_test(unit, framing_acknowledges_and_recovers);
	tcase_add_test(unit, replies_are_framed_escaped_and_resent);
	tcase_add_test(unit, poll_sees_interrupts_and_hangups_only);
	tcase_add_test(unit, target_description_follows_gdbs_amd64_layout);
	tcase_add_test(unit, only_loopback_and_unix_sockets_are_served);
	suite_add_tcase(s, unit);
	gdbstub_add_raw_tests(s);
	gdbstub_add_gdb_tests(s);
	return s;
}

