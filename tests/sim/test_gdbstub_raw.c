/*
 * Raw RSP over a Unix socket to `hvsim run --gdb unix:PATH`: hostile and malformed packets each
 * get an error reply and the stub keeps serving; registers and memory agree with the ELF image
 * the machine booted; breakpoints, steps and reverse steps land where nm says; a connection and
 * a ^C stop a running machine. What the protocol requires is cited beside each expectation
 * (gdb's "Remote Protocol" appendix).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <elf.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sim/debug/rsp.h"
#include "tests/lib/harness.h"
#include "tests/sim/gdbstub_test.h"

#define HV "hv/hv-unsafe-demo.elf"
#define RAM_SIZE (256ull << 20) /* hvsim run's default --mem */
/* gdb's register numbers (target.xml order, test_gdbstub.c) of the ones used here. */
#define REG_RBX 1
#define REG_RIP 16
#define G_BYTES (16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 + 2 * 8 + 7 * 8)

/* A little-endian register value from hex digits. */
static uint64_t le_hex(const char *hex, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned b;
		sscanf(hex + 2 * i, "%2x", &b);
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static uint64_t read_rip(int fd)
{
	const char *r = askr(fd, "p10");
	ck_assert_msg(strlen(r) == 16, "p10: %s", r);
	return le_hex(r, 8);
}

/* The ELF's entry point and the file bytes at it (an oracle the machine must match). */
static uint64_t elf_entry_bytes(const char *path, uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "rb");
	Elf64_Ehdr eh;
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fread(&eh, sizeof eh, 1, f), 1);
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		fseek(f, (long)(eh.e_phoff + (uint64_t)i * eh.e_phentsize), SEEK_SET);
		ck_assert_int_eq(fread(&ph, sizeof ph, 1, f), 1);
		if (ph.p_type == PT_LOAD && eh.e_entry >= ph.p_paddr && eh.e_entry + n <= ph.p_paddr + ph.p_filesz) {
			fseek(f, (long)(ph.p_offset + eh.e_entry - ph.p_paddr), SEEK_SET);
			ck_assert_int_eq(fread(buf, 1, n, f), n);
			fclose(f);
			return eh.e_entry;
		}
	}
	ck_abort_msg("%s: the entry point is in no loaded segment", path);
	return 0;
}

/* ---- hostile and malformed packets ---- */

START_TEST(hostile_packets_get_error_replies)
{
	static char huge_m[64], long_hex[40];
	static const struct {
		const char *req, *reply, *rule;
	} cases[] = {
		{ "m0,0", "E01", "m: a zero length names no memory" },
		{ "mffffffffffffffff,10", "E03", "m: a range wrapping past 2^64" },
		{ "m1000,100000", "E02", "m: longer than a reply can carry (PacketSize)" },
		{ huge_m, "E01", "m: a number of 17 significant digits" },
		{ "m1000", "E01", "m: no length" },
		{ "mzz,4", "E01", "m: not hex" },
		{ "m1000,4,", "E01", "m: trailing junk" },
		{ "m20000000,4", "E03", "m: beyond RAM (256M; paging off at the Multiboot entry)" },
		{ "mfee00000,4", "E03", "m: the local APIC's MMIO page is not RAM" },
		{ "M1000,4:zz", "E01", "M: not hex" },
		{ "M1000,2:0011aa", "E01", "M: more data than the length" },
		{ "M1000,4:0011", "E01", "M: less data than the length" },
		{ "M1000,100000:00", "E02", "M: longer than a packet" },
		{ "X1000,4:ab}", "E01", "X: an escape at the end (truncated binary)" },
		{ "X1000,4:abc", "E01", "X: less data than the length" },
		{ "X1000,2:abc", "E01", "X: more data than the length" },
		{ "X20000000,1:a", "E03", "X: beyond RAM" },
		{ "p999", "E04", "p: no such register" },
		{ "pzz", "E04", "p: not hex" },
		{ "P10=00", "E01", "P: a value shorter than the register" },
		{ "P10", "E04", "P: no value" },
		{ "P18=0000000000000080ff3f", "E04", "P: st0 cannot be written (x87 state is read-only)" },
		{ "G00", "E01", "G: not the whole register block" },
		{ long_hex, "E01", "g: takes no argument" },
		{ "Z0,zz,1", "E01", "Z0: address not hex" },
		{ "Z0,1000", "E01", "Z0: no kind" },
		{ "Z9,1000,1", "", "Z9: unknown type: empty (not supported)" },
		{ "Z2,1000,0", "E05", "Z2: a zero-length watchpoint" },
		{ "Z4,0,ffffffffffffffff", "E02", "Z4: a watchpoint over all memory" },
		{ "z0,1000,1", "OK", "z0: removing what is not there is harmless" },
		{ "vCont;x", "E01", "vCont: unknown action" },
		{ "vCont;c:zz", "E01", "vCont: bad thread id" },
		{ "vCont;c:2", "E01", "vCont: no action for our thread" },
		{ "vCont", "E01", "vCont: no action" },
		{ "vCont?", "vCont;c;C;s;S", "vCont?: the actions supported" },
		{ "qXfer:features:read:foo.xml:0,10", "E00", "qXfer: unknown annex" },
		{ "qXfer:features:read:target.xml:0,zz", "E01", "qXfer: length not hex" },
		{ "qXfer:features:read:target.xml", "E01", "qXfer: no offset" },
		{ "qXfer:features:read:target.xml:ffffffff,10", "l", "qXfer: past the end: nothing more" },
		{ "qXfer:libraries:read::0,10", "", "qXfer: other objects are not supported" },
		{ "qRcmd,4", "E01", "qRcmd: odd number of hex digits" },
		{ "qRcmd,zz", "E01", "qRcmd: not hex" },
		{ "qRcmd,0061", "E01", "qRcmd: a NUL inside the command" },
		{ "Hg2", "E01", "H: no thread 2" },
		{ "Hx1", "E01", "H: unknown operation" },
		{ "Hg1", "OK", "H: thread 1" },
		{ "Hc-1", "OK", "H: all threads" },
		{ "T2", "E01", "T: thread 2 is not alive" },
		{ "T1", "OK", "T: thread 1 is" },
		{ "qC", "QC1", "qC: the current thread" },
		{ "qfThreadInfo", "m1", "qfThreadInfo: one thread" },
		{ "qsThreadInfo", "l", "qsThreadInfo: no more" },
		{ "qAttached", "1", "qAttached: an existing process (gdb detaches on quit)" },
		{ "qSymbol::", "OK", "qSymbol: no symbols wanted" },
		{ "vMustReplyEmpty", "", "vMustReplyEmpty" },
		{ "qTStatus", "", "unknown query: empty" },
		{ "!", "", "no extended mode" },
		{ "bx", "", "b: only bc and bs" },
		{ "?", "T05thread:1;", "still serving: the stop reason" },
	};
	struct stub s;
	struct report rep = { 0 };

	snprintf(huge_m, sizeof huge_m, "m%s,4", "10000000000000000");
	snprintf(long_hex, sizeof long_hex, "g%s", "00");
	stub_start_smap_demo(&s);
	int fd = client_connect(s.sock);
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *r = askr(fd, cases[i].req);
		if (strcmp(r, cases[i].reply))
			report_broken(&rep, "%s -> \"%.40s\", expected \"%s\" (%s)", cases[i].req, r, cases[i].reply,
				      cases[i].rule);
	}
	put_packet(fd, "k", 1); /* no reply ("Packets", k) */
	stub_finish(&s, NULL);
	close(fd);
	if (s.exit_code != 4)
		report_broken(&rep, "k: exit code %d, expected 4 (EXIT_INTERRUPTED)", s.exit_code);
	report_finish(&rep);
}
END_TEST

/*
 * Random packets (a fixed seed): every one gets a reply, and the stub serves on. Packets that
 * run the machine or end the session are left out; the rest may read and write anything.
 */
START_TEST(random_packets_never_stop_the_stub)
{
	static const char heads[] = "gGpPmMXzZHT?q";
	static const char tail[] = "0123456789abcdefABCDEFxyz,:;=-}*";
	struct stub s;
	char req[96];
	uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift64 state */

	stub_start_smap_demo(&s);
	int fd = client_connect(s.sock);
	for (unsigned i = 0; i < 2000; i++) {
		size_t n = 1;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		req[0] = heads[x % (sizeof heads - 1)];
		for (unsigned len = (unsigned)(x >> 32) % 60; n < len; n++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			req[n] = tail[x % (sizeof tail - 1)];
		}
		req[n] = 0;
		askr(fd, req); /* any reply, as long as there is one */
	}
	ck_assert_str_eq(askr(fd, "?"), "T05thread:1;");
	put_packet(fd, "k", 1);
	stub_finish(&s, NULL);
	close(fd);
	ck_assert_int_eq(s.exit_code, 4);
}
END_TEST

/* Framing faults: NAK, resync, drop; ^C while stopped is ignored. Then D: the run goes on. */
START_TEST(framing_errors_over_the_wire)
{
	static char big[20000];
	struct stub s;
	struct run_result plain;
	char *out;
	char hv[512], module[512];

	stub_start_smap_demo(&s);
	int fd = client_connect(s.sock);
	put(fd, "$g#00", 5); /* "g" sums to 0x67 */
	ck_assert_int_eq(get_byte(fd), '-');
	put(fd, "garbage\x03", 8);
	ck_assert_str_eq(askr(fd, "?"), "T05thread:1;");
	memset(big, 'm', sizeof big);
	put_packet(fd, big, sizeof big);
	ck_assert_int_eq(get_byte(fd), '+'); /* intact, but too long: E02 */
	char reply[8];
	ck_assert_int_eq(get_byte(fd), '$');
	for (unsigned i = 0; i < 3; i++)
		reply[i] = get_byte(fd);
	ck_assert_msg(!memcmp(reply, "E02", 3), "oversized packet: %.3s", reply);
	get_byte(fd), get_byte(fd), get_byte(fd);
	put(fd, "+", 1);
	ck_assert_str_eq(askr(fd, "QStartNoAckMode"), "OK");
	/* No acknowledgments now, either way ("Packet Acknowledgment"). */
	put_packet(fd, "D", 1);
	ck_assert_int_eq(get_byte(fd), '$');
	ck_assert_int_eq(get_byte(fd), 'O');
	ck_assert_int_eq(get_byte(fd), 'K');
	stub_finish(&s, &out);
	close(fd);
	/* Detached, the machine ran to its end exactly as without gdb. */
	snprintf(hv, sizeof hv, "%s", build_path(HV));
	snprintf(module, sizeof module, "%s", build_path("workloads/smap-demo.elf"));
	run_hvsim(&plain, (const char *const[]){ "run", "--cmdline", "guest=pv", "--module", module, hv, NULL });
	ck_assert_int_eq(s.exit_code, plain.exit_code);
	ck_assert_str_eq(out, plain.out);
	run_result_free(&plain);
	free(out);
}
END_TEST

/* ---- state: registers and memory against the booted image ---- */

START_TEST(registers_and_memory_match_the_image)
{
	uint8_t want[16];
	char hex[64], req[128];
	struct stub s;
	uint64_t entry = elf_entry_bytes(build_path(HV), want, sizeof want);

	stub_start_smap_demo(&s);
	int fd = client_connect(s.sock);
	const char *g = askr(fd, "g");
	ck_assert_uint_eq(strlen(g), 2 * G_BYTES);
	char *saved = strdup(g);
	/* Before the first instruction: RIP at the entry, paging off (linear = physical). */
	ck_assert_uint_eq(le_hex(saved + 2 * 16 * 8, 8), entry);
	ck_assert_uint_eq(read_rip(fd), entry);
	snprintf(req, sizeof req, "m%" PRIx64 ",10", entry);
	for (unsigned i = 0; i < sizeof want; i++)
		snprintf(hex + 2 * i, 3, "%02x", want[i]);
	ck_assert_str_eq(askr(fd, req), hex);
	/* A read running off the end of RAM returns what precedes it ("Packets", m). */
	snprintf(req, sizeof req, "m%llx,20", RAM_SIZE - 8);
	ck_assert_uint_eq(strlen(askr(fd, req)), 16);
	/* Writes read back: hex, then binary with every character RSP escapes. */
	ck_assert_str_eq(askr(fd, "M1000,4:deadbeef"), "OK");
	ck_assert_str_eq(askr(fd, "m1000,4"), "deadbeef");
	static const char bin[] = "X1000,5:}\x03}\x04}]}\x0a\x01";
	char xreq[32];
	memcpy(xreq, bin, sizeof bin);
	ck_assert_str_eq(askr(fd, xreq), "OK");
	ck_assert_str_eq(askr(fd, "m1000,5"), "23247d2a01"); /* # $ } * 0x01 */
	/* Registers: P then p, and G of what g said changes nothing. */
	ck_assert_str_eq(askr(fd, "P1=efcdab8967452301"), "OK");
	ck_assert_str_eq(askr(fd, "p1"), "efcdab8967452301");
	char *G = malloc(strlen(saved) + 2);
	sprintf(G, "G%s", saved);
	ck_assert_str_eq(askr(fd, G), "OK");
	ck_assert_str_eq(askr(fd, "g"), saved);
	free(G);
	free(saved);
	put_packet(fd, "k", 1);
	stub_finish(&s, NULL);
	close(fd);
	ck_assert_int_eq(s.exit_code, 4);
}
END_TEST

/* ---- running: breakpoints, steps, reverse steps ---- */

START_TEST(breakpoints_steps_and_reverse_steps)
{
	struct stub s;
	char req[128];
	uint64_t hc, hc_end;

	ck_assert(nm_symbol(build_path(HV), "hypercall", &hc, &hc_end));
	stub_start_smap_demo(&s);
	int fd = client_connect(s.sock);
	ck_assert_ptr_nonnull(strstr(askr(fd, "qSupported:swbreak+;hwbreak+"), "ReverseStep+"));
	/* At the start there is nothing to go back to ("Stop Reply Packets", replaylog). */
	ck_assert_str_eq(askr(fd, "bs"), "T05thread:1;replaylog:begin;");
	snprintf(req, sizeof req, "Z0,%" PRIx64 ",1", hc);
	ck_assert_str_eq(askr(fd, req), "OK");
	ck_assert_str_eq(askr(fd, req), "OK"); /* idempotent */
	ck_assert_str_eq(askr(fd, "vCont;c"), "T05thread:1;swbreak:;");
	ck_assert_uint_eq(read_rip(fd), hc);
	/* One step: RIP moves (a breakpoint at RIP does not stop a step from it). */
	ck_assert_str_eq(askr(fd, "vCont;s:1"), "T05thread:1;");
	uint64_t next = read_rip(fd);
	ck_assert_uint_ne(next, hc);
	ck_assert_str_eq(askr(fd, "s"), "T05thread:1;");
	/* Back two instructions: at the breakpoint again. */
	ck_assert_str_eq(askr(fd, "bs"), "T05thread:1;");
	ck_assert_uint_eq(read_rip(fd), next);
	ck_assert_str_eq(askr(fd, "bs"), "T05thread:1;");
	ck_assert_uint_eq(read_rip(fd), hc);
	/* Forward again to the next hypercall, then reverse-continue back to this one. */
	ck_assert_str_eq(askr(fd, "c"), "T05thread:1;swbreak:;");
	ck_assert_uint_eq(read_rip(fd), hc);
	ck_assert_str_eq(askr(fd, "bc"), "T05thread:1;swbreak:;");
	ck_assert_uint_eq(read_rip(fd), hc);
	ck_assert_str_eq(askr(fd, "bc"), "T05thread:1;replaylog:begin;");
	snprintf(req, sizeof req, "z0,%" PRIx64 ",1", hc);
	ck_assert_str_eq(askr(fd, req), "OK");
	put_packet(fd, "k", 1);
	stub_finish(&s, NULL);
	close(fd);
	ck_assert_int_eq(s.exit_code, 4);
}
END_TEST

/*
 * Watchpoints name their kind and the watched address ("Stop Reply Packets", watch/awatch): hv's
 * loader clears the guest's .bss, its buffer included, with a string store.
 */
START_TEST(watchpoints_report_their_kind)
{
	static const struct {
		char type;
		const char *reason;
	} kinds[] = { { '2', "watch" }, { '4', "awatch" } };
	struct stub s;
	char req[128], want[128];
	uint64_t buf, buf_end;

	ck_assert(nm_symbol(build_path("workloads/smap-demo.elf"), "buf", &buf, &buf_end));
	stub_start_smap_demo(&s);
	int fd = client_connect(s.sock);
	askr(fd, "qSupported:swbreak+;hwbreak+");
	snprintf(req, sizeof req, "Z%c,%" PRIx64 ",1", kinds[_i].type, buf + 5);
	ck_assert_str_eq(askr(fd, req), "OK");
	snprintf(want, sizeof want, "T05thread:1;%s:%" PRIx64 ";", kinds[_i].reason, buf + 5);
	ck_assert_str_eq(askr(fd, "c"), want);
	req[0] = 'z';
	ck_assert_str_eq(askr(fd, req), "OK");
	put_packet(fd, "k", 1);
	stub_finish(&s, NULL);
	close(fd);
}
END_TEST

/* monitor: the command's output comes as O packets, then OK ("General Query Packets", qRcmd). */
START_TEST(monitor_output_comes_as_console_packets)
{
	struct stub s;
	static char reply[2 * RSP_MAX_PACKET + 16], console[1 << 16];
	char req[64] = "qRcmd,";
	static const char cmd[] = "help";

	stub_start_smap_demo(&s);
	int fd = client_connect(s.sock);
	for (unsigned i = 0; cmd[i]; i++)
		snprintf(req + strlen(req), 3, "%02x", (unsigned char)cmd[i]);
	ask(fd, req, reply, sizeof reply, console, sizeof console);
	ck_assert_str_eq(reply, "OK");
	ck_assert_msg(strlen(console) > 0, "monitor help printed nothing");
	put_packet(fd, "k", 1);
	stub_finish(&s, NULL);
	close(fd);
}
END_TEST

/* Without --wait the machine runs; connecting stops it, and so does ^C ("Interrupts"). */
START_TEST(connecting_and_ctrl_c_stop_a_running_machine)
{
	struct stub s;
	char reply[64];

	stub_start(&s, "run", NULL, false,
		   (const char *const[]){ "--cmdline", "wss=64k duration=16G", build_path("workloads/memstress.elf"),
					  NULL });
	stub_wait_listening(&s);
	int fd = client_connect(s.sock);
	ck_assert_str_eq(askr(fd, "?"), "T05thread:1;");
	put_packet(fd, "c", 1);
	ck_assert_int_eq(get_byte(fd), '+');
	put(fd, "\x03", 1);
	get_packet(fd, reply, sizeof reply);
	ck_assert_str_eq(reply, "T02thread:1;"); /* SIGINT */
	ck_assert_str_eq(askr(fd, "?"), "T02thread:1;");
	put_packet(fd, "k", 1);
	stub_finish(&s, NULL);
	close(fd);
	ck_assert_int_eq(s.exit_code, 4);
}
END_TEST

/* TCP on loopback: ":0" takes a free port, which hvsim names; the protocol is the same. */
START_TEST(tcp_on_loopback)
{
	struct stub s;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 120 };
	unsigned port;
	char hv[512];

	snprintf(hv, sizeof hv, "%s", build_path(HV));
	stub_start(&s, "run", ":0", true, (const char *const[]){ hv, NULL });
	stub_wait_listening(&s);
	char *err = slurp_file(s.err);
	const char *p = strstr(err, "listening on localhost:");
	ck_assert_msg(p && sscanf(p, "listening on localhost:%u", &port) == 1 && port, "%s", err);
	free(err);
	sa.sin_port = htons((uint16_t)port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ck_assert_str_eq(askr(fd, "?"), "T05thread:1;");
	ck_assert_str_eq(askr(fd, "vKill;1"), "OK");
	stub_finish(&s, NULL);
	close(fd);
	ck_assert_int_eq(s.exit_code, 4);
}
END_TEST

/* Anything but loopback is refused before the machine boots: exit 2, one line. */
START_TEST(other_hosts_are_refused)
{
	struct run_result r;
	run_hvsim(&r, (const char *const[]){ "run", "--gdb", "0.0.0.0:1234", build_path(HV), NULL });
	ck_assert_int_eq(r.exit_code, 2);
	ck_assert_msg(strstr(r.err, "loopback") && strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		      "stderr: %s", r.err);
	run_result_free(&r);
}
END_TEST

void gdbstub_add_raw_tests(Suite *s)
{
	TCase *tc = tcase_create("raw");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, hostile_packets_get_error_replies);
	tcase_add_test(tc, random_packets_never_stop_the_stub);
	tcase_add_test(tc, framing_errors_over_the_wire);
	tcase_add_test(tc, registers_and_memory_match_the_image);
	tcase_add_test(tc, breakpoints_steps_and_reverse_steps);
	tcase_add_loop_test(tc, watchpoints_report_their_kind, 0, 2);
	tcase_add_test(tc, monitor_output_comes_as_console_packets);
	tcase_add_test(tc, connecting_and_ctrl_c_stop_a_running_machine);
	tcase_add_test(tc, tcp_on_loopback);
	tcase_add_test(tc, other_hosts_are_refused);
	suite_add_tcase(s, tc);
}
