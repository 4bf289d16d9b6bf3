/*
 * hv's "@mig" statistics lines (sim/migstat.h): the parser on well-formed, malformed and hostile
 * input, the COM1 stream splitter, and the three renderers. Expected values are written out from
 * the input text in each test (sums done by hand in the comments), never computed by the parser.
 * Also `hvsim migrate`'s usage errors (exit 2, one line), run as a user would.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/migstat.h"
#include "tests/lib/harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The example of the format's description: two rounds, the stop-and-copy, the end. */
static const char good_run[] =
	"hv: booting\n"
	"@mig begin tracker=pml guest=memstress pages=8192 bandwidth=1073741824 max_rounds=5 "
	"threshold=50 hv_version=7 build=dev-1\n"
	"guest: hello\n"
	"@mig round n=0 dirtied=0 sent=8192 ticks=123456 guest_ticks=100000 track_ticks=2000 "
	"exit.preempt=12 exit.pml_full=3 exit.io=2\n"
	"@mig round n=1 dirtied=812 sent=812 ticks=23456 guest_ticks=20000 track_ticks=300 "
	"exit.preempt=2 exit.ept_violation=7 note=a,b\n"
	"@mig final dirtied=37 sent=37 ticks=5512 guest_ticks=0 track_ticks=12 exit.io=1\n"
	"@mig end rounds=3 sent=9041 downtime_ticks=5512 verify=ok lost=0 result=SUCCESS\n"
	"Test result: SUCCESS\n";

/* Feed 'len' bytes through a stream into a fresh run; the console (or transcript) into *echo. */
static enum mig_err feed(struct mig_run *r, const char *label, const char *text, size_t len,
			 char **echo, bool transcript)
{
	size_t echo_len;
	FILE *f = open_memstream(echo, &echo_len);
	struct mig_stream s;

	ck_assert_ptr_nonnull(f);
	mig_run_init(r, label);
	mig_stream_init(&s, r, f, transcript);
	for (size_t i = 0; i < len; i++)
		mig_stream_byte(&s, (uint8_t)text[i]);
	enum mig_err e = mig_stream_end(&s);
	fclose(f);
	return e;
}

static enum mig_err feed_str(struct mig_run *r, const char *text)
{
	char *echo;
	enum mig_err e = feed(r, "pml", text, strlen(text), &echo, false);
	free(echo);
	return e;
}

/* An error message quotes only printable ASCII, whatever the input held. */
static void expect_printable(const char *s)
{
	for (const char *p = s; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f, "unprintable byte 0x%02x in message: %s",
			      (unsigned char)*p, s);
}

/* ===================================== parsing ===================================== */

START_TEST(good_run_parses)
{
	struct mig_run r;
	ck_assert_int_eq(feed_str(&r, good_run), MIG_OK);
	ck_assert(r.have_begin && r.have_final && r.have_end);
	ck_assert_uint_eq(r.begin.tracker, MIG_TRACKER_PML);
	ck_assert_str_eq(r.begin.guest, "memstress");
	ck_assert_uint_eq(r.begin.pages, 8192);
	ck_assert_uint_eq(r.begin.bandwidth, 1073741824);
	ck_assert_uint_eq(r.begin.max_rounds, 5);
	ck_assert_uint_eq(r.begin.threshold, 50);
	ck_assert_uint_eq(r.nrounds, 2);
	ck_assert_uint_eq(r.rounds[1].n, 1);
	ck_assert_uint_eq(r.rounds[1].dirtied, 812);
	ck_assert_uint_eq(r.rounds[0].ticks, 123456);
	ck_assert_uint_eq(r.final.sent, 37);
	ck_assert_uint_eq(r.final.n, 2); /* the stop-and-copy follows rounds 0 and 1 */
	ck_assert_uint_eq(r.end.downtime_ticks, 5512);
	ck_assert_uint_eq(r.end.verify, MIG_VERIFY_OK);
	ck_assert_uint_eq(r.end.result, MIG_RESULT_SUCCESS);
	/* exit.* keys: counts, in line order; 12 + 3 + 2 = 17 in round 0. */
	ck_assert_uint_eq(r.rounds[0].more.nexits, 3);
	ck_assert_str_eq(r.rounds[0].more.exits[1].name, "pml_full");
	ck_assert_uint_eq(r.rounds[0].more.exits[1].count, 3);
	ck_assert_uint_eq(r.rounds[0].more.exits_total, 17);
	/* Unknown keys are kept as text. */
	ck_assert_uint_eq(r.begin.more.nextra, 2);
	ck_assert_str_eq(r.begin.more.extra[1].key, "build");
	ck_assert_str_eq(r.begin.more.extra[1].value, "dev-1");
	ck_assert_str_eq(r.rounds[1].more.extra[0].value, "a,b");
	/* Totals: sent 8192 + 812 + 37 = 9041; ticks 123456 + 23456 + 5512 = 152424; track 2312. */
	ck_assert_uint_eq(r.total.sent, 9041);
	ck_assert_uint_eq(r.total.ticks, 152424);
	ck_assert_uint_eq(r.total.guest_ticks, 120000);
	ck_assert_uint_eq(r.total.track_ticks, 2312);
	/* exits: preempt 12 + 2, pml_full 3, io 2 + 1, ept_violation 7 = 27, by first appearance. */
	ck_assert_uint_eq(r.total.exits, 27);
	ck_assert_uint_eq(r.total.nreasons, 4);
	ck_assert_str_eq(r.total.by_reason[0].name, "preempt");
	ck_assert_uint_eq(r.total.by_reason[0].count, 14);
	ck_assert_str_eq(r.total.by_reason[2].name, "io");
	ck_assert_uint_eq(r.total.by_reason[2].count, 3);
	ck_assert_str_eq(r.total.by_reason[3].name, "ept_violation");
	mig_run_free(&r);
}
END_TEST

/* Blanks: runs of spaces and tabs separate keys; a CR before the newline is ignored. */
START_TEST(blanks_and_crlf)
{
	struct mig_run r;
	ck_assert_int_eq(feed_str(&r, "@mig\tbegin  tracker=wp guest=g pages=10 bandwidth=1 max_rounds=1 "
				      "threshold=0 \r\n"
				      "@mig round n=0 dirtied=0\tsent=10 ticks=5 guest_ticks=1 track_ticks=1\r\n"
				      "@mig final dirtied=0 sent=0 ticks=1 guest_ticks=0 track_ticks=0\r\n"
				      "@mig end rounds=2 sent=10 downtime_ticks=1 verify=ok lost=0 result=SKIP"),
			 MIG_OK);
	ck_assert_uint_eq(r.begin.tracker, MIG_TRACKER_WP);
	ck_assert_uint_eq(r.end.result, MIG_RESULT_SKIP);
	mig_run_free(&r);
}
END_TEST

/*
 * A guest that ends before the stop-and-copy: hv's end has no final before it, says
 * verify=incomplete, and counts the unfinished round's pages in sent (10 + 4 here).
 */
START_TEST(unfinished_migration_parses)
{
	struct mig_run r;
	ck_assert_int_eq(feed_str(&r, "@mig begin tracker=pml guest=g pages=10 bandwidth=1 max_rounds=5 "
				      "threshold=0\n"
				      "@mig round n=0 dirtied=6 sent=10 ticks=5 guest_ticks=1 track_ticks=1\n"
				      "@mig end rounds=1 sent=14 downtime_ticks=0 verify=incomplete lost=0 "
				      "result=SUCCESS\n"),
			 MIG_OK);
	ck_assert_uint_eq(r.end.verify, MIG_VERIFY_INCOMPLETE);
	ck_assert_str_eq(mig_verify_name(r.end.verify), "incomplete");
	mig_run_free(&r);
}
END_TEST

/* Console lines pass through byte for byte; @mig lines do not, unless a transcript is asked for. */
START_TEST(stream_splits_console_from_records)
{
	static const char text[] = "\n@mi\n@migrate me\nx@mig begin\n@mig begin tracker=scan guest=g "
				   "pages=1 bandwidth=1 max_rounds=1 threshold=0\n\nlast";
	struct mig_run r;
	char *echo;

	feed(&r, "scan", text, sizeof text - 1, &echo, false);
	ck_assert_str_eq(echo, "\n@mi\n@migrate me\nx@mig begin\n\nlast");
	ck_assert(r.have_begin);
	ck_assert_int_eq(r.err, MIG_ERR_INCOMPLETE);
	free(echo);
	mig_run_free(&r);
	feed(&r, "scan", text, sizeof text - 1, &echo, true);
	ck_assert_str_eq(echo, text);
	free(echo);
	mig_run_free(&r);
}
END_TEST

/* Each malformed or hostile input: the error kind, words of its message, and the line it names. */
START_TEST(hostile_lines_are_errors)
{
#define BEGIN "@mig begin tracker=pml guest=g pages=100 bandwidth=4096 max_rounds=3 threshold=5\n"
#define R0 "@mig round n=0 dirtied=0 sent=100 ticks=1000 guest_ticks=900 track_ticks=10\n"
#define FIN "@mig final dirtied=3 sent=3 ticks=50 guest_ticks=0 track_ticks=1\n"
	static const struct {
		const char *why, *text;
		enum mig_err err;
		const char *mentions;
	} cases[] = {
		{ "a letter in a number", BEGIN "@mig round n=x dirtied=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0\n",
		  MIG_ERR_NUMBER, "COM1 line 2: @mig round: n='x': not a decimal integer" },
		{ "a sign", BEGIN "@mig round n=-1 dirtied=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0\n",
		  MIG_ERR_NUMBER, "n='-1'" },
		{ "a plus sign", BEGIN "@mig round n=+0 dirtied=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0\n",
		  MIG_ERR_NUMBER, "n='+0'" },
		{ "hex", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0x10 guest_ticks=0 track_ticks=0\n",
		  MIG_ERR_NUMBER, "ticks='0x10'" },
		{ "an empty value", BEGIN "@mig round n=0 dirtied= sent=0 ticks=0 guest_ticks=0 track_ticks=0\n",
		  MIG_ERR_NUMBER, "dirtied=: no value" },
		{ "2^63 overflows a JSON integer", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=9223372036854775808 "
		  "guest_ticks=0 track_ticks=0\n", MIG_ERR_NUMBER, "larger than 9223372036854775807" },
		{ "2^64 + more", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=99999999999999999999999999 "
		  "guest_ticks=0 track_ticks=0\n", MIG_ERR_NUMBER, "larger than" },
		{ "the ticks of two rounds overflow", BEGIN "@mig round n=0 dirtied=0 sent=0 "
		  "ticks=9223372036854775807 guest_ticks=0 track_ticks=0\n@mig round n=1 dirtied=0 sent=0 "
		  "ticks=1 guest_ticks=0 track_ticks=0\n", MIG_ERR_RANGE, "line 3: @mig round: the run's ticks total overflows" },
		{ "a line's exit counts overflow", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0 exit.a=9223372036854775807 exit.b=1\n", MIG_ERR_RANGE, "exit counts add up" },
		{ "one reason's count overflows over rounds", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 "
		  "guest_ticks=0 track_ticks=0 exit.a=9223372036854775807\n@mig final dirtied=0 sent=0 ticks=0 "
		  "guest_ticks=0 track_ticks=0 exit.a=1\n", MIG_ERR_RANGE, "line 3: @mig final: the run's exit total overflows" },
		{ "missing n=", BEGIN "@mig round dirtied=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0\n",
		  MIG_ERR_FIELD, "no n=" },
		{ "missing result=", BEGIN R0 FIN "@mig end rounds=2 sent=103 downtime_ticks=9 verify=ok lost=0\n",
		  MIG_ERR_FIELD, "@mig end: no result=" },
		{ "a key twice", BEGIN "@mig round n=0 dirtied=0 sent=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0\n",
		  MIG_ERR_FIELD, "sent given twice" },
		{ "an exit reason twice", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0 exit.io=1 exit.io=2\n", MIG_ERR_FIELD, "exit.io given twice" },
		{ "an unknown key twice", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0 k=1 k=2\n", MIG_ERR_FIELD, "k given twice" },
		{ "rounds out of order", BEGIN R0 "@mig round n=2 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0\n", MIG_ERR_ORDER, "line 3: @mig round: n=2 out of order: expected n=1" },
		{ "a round repeated", BEGIN R0 R0, MIG_ERR_ORDER, "n=0 out of order: expected n=1" },
		{ "the first round is not 0", BEGIN "@mig round n=1 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0\n", MIG_ERR_ORDER, "expected n=0" },
		{ "a round before begin", R0, MIG_ERR_ORDER, "COM1 line 1: @mig round: before @mig begin" },
		{ "end before begin", "@mig end rounds=0 sent=0 downtime_ticks=0 verify=ok lost=0 result=SUCCESS\n",
		  MIG_ERR_ORDER, "before @mig begin" },
		{ "a second begin", BEGIN BEGIN, MIG_ERR_ORDER, "a second @mig begin" },
		{ "a round after final", BEGIN R0 FIN "@mig round n=1 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0\n", MIG_ERR_ORDER, "a round after @mig final" },
		{ "a second final", BEGIN R0 FIN FIN, MIG_ERR_ORDER, "a second @mig final" },
		{ "a record after end", BEGIN R0 FIN "@mig end rounds=2 sent=103 downtime_ticks=9 verify=ok lost=0 "
		  "result=SUCCESS\n" R0, MIG_ERR_ORDER, "line 5: @mig round: a record after @mig end" },
		{ "more rounds than max_rounds=1", "@mig begin tracker=pml guest=g pages=100 bandwidth=1 max_rounds=1 "
		  "threshold=5\n" R0 "@mig round n=1 dirtied=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0\n",
		  MIG_ERR_RANGE, "more rounds than max_rounds=1" },
		{ "no pages", "@mig begin tracker=pml guest=g pages=0 bandwidth=1 max_rounds=1 threshold=5\n",
		  MIG_ERR_RANGE, "pages=0" },
		{ "more pages than 64 GiB", "@mig begin tracker=pml guest=g pages=16777217 bandwidth=1 "
		  "max_rounds=1 threshold=5\n", MIG_ERR_RANGE, "pages=16777217" },
		{ "max_rounds=0", "@mig begin tracker=pml guest=g pages=1 bandwidth=1 max_rounds=0 threshold=5\n",
		  MIG_ERR_RANGE, "max_rounds=0" },
		{ "a million rounds", "@mig begin tracker=pml guest=g pages=1 bandwidth=1 max_rounds=1000000 "
		  "threshold=5\n", MIG_ERR_RANGE, "max_rounds=1000000" },
		{ "no bandwidth", "@mig begin tracker=pml guest=g pages=1 bandwidth=0 max_rounds=1 threshold=5\n",
		  MIG_ERR_RANGE, "bandwidth=0" },
		{ "sent more than the guest has", BEGIN "@mig round n=0 dirtied=0 sent=101 ticks=0 guest_ticks=0 "
		  "track_ticks=0\n", MIG_ERR_RANGE, "sent=101: more than the guest's 100 pages" },
		{ "dirtied more than the guest has", BEGIN R0 "@mig final dirtied=4000000000 sent=0 ticks=0 "
		  "guest_ticks=0 track_ticks=0\n", MIG_ERR_RANGE, "dirtied=4000000000" },
		{ "lost more than the guest has", BEGIN R0 FIN "@mig end rounds=2 sent=103 downtime_ticks=9 "
		  "verify=mismatch lost=101 result=FAILURE\n", MIG_ERR_RANGE, "lost=101" },
		{ "end counts a round too many", BEGIN R0 FIN "@mig end rounds=3 sent=103 downtime_ticks=9 verify=ok "
		  "lost=0 result=SUCCESS\n", MIG_ERR_INCONSISTENT, "rounds=3, but 2 were reported" },
		{ "end's sent is not the rounds' sum (100 + 3)", BEGIN R0 FIN "@mig end rounds=2 sent=100 "
		  "downtime_ticks=9 verify=ok lost=0 result=SUCCESS\n", MIG_ERR_INCONSISTENT,
		  "sent=100, but the rounds sent 103 pages" },
		{ "an unknown tracker", "@mig begin tracker=magic guest=g pages=1 bandwidth=1 max_rounds=1 "
		  "threshold=5\n", MIG_ERR_FIELD, "tracker='magic': expected pml|wp|scan" },
		{ "incomplete after the stop-and-copy", BEGIN R0 FIN "@mig end rounds=2 sent=103 downtime_ticks=9 "
		  "verify=incomplete lost=0 result=SUCCESS\n", MIG_ERR_INCONSISTENT, "verify=incomplete after @mig final" },
		{ "verified without a stop-and-copy", BEGIN R0 "@mig end rounds=1 sent=100 downtime_ticks=0 "
		  "verify=ok lost=0 result=SUCCESS\n", MIG_ERR_INCONSISTENT, "verify=ok without @mig final" },
		{ "incomplete, yet fewer pages than the rounds sent", BEGIN R0 "@mig end rounds=1 sent=99 "
		  "downtime_ticks=0 verify=incomplete lost=0 result=SUCCESS\n", MIG_ERR_INCONSISTENT, "sent=99" },
		{ "verify is not ok|mismatch", BEGIN R0 FIN "@mig end rounds=2 sent=103 downtime_ticks=9 "
		  "verify=maybe lost=0 result=SUCCESS\n", MIG_ERR_FIELD, "verify='maybe'" },
		{ "results are upper case", BEGIN R0 FIN "@mig end rounds=2 sent=103 downtime_ticks=9 verify=ok "
		  "lost=0 result=success\n", MIG_ERR_FIELD, "expected SUCCESS|FAILURE|ERROR|SKIP|CRASHED" },
		{ "a guest name with a slash", "@mig begin tracker=pml guest=a/b pages=1 bandwidth=1 max_rounds=1 "
		  "threshold=5\n", MIG_ERR_FIELD, "guest='a/b'" },
		{ "an exit without a reason", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0 exit.=4\n", MIG_ERR_SYNTAX, "no exit reason" },
		{ "an exit count that is not a number", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0 exit.io=many\n", MIG_ERR_NUMBER, "exit.io='many'" },
		{ "a word without =", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0 "
		  "oops\n", MIG_ERR_SYNTAX, "'oops' is not key=value" },
		{ "a key with odd characters", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0 k$y=1\n", MIG_ERR_SYNTAX, "key 'k$y'" },
		{ "an unknown key without a value", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0 k=\n", MIG_ERR_SYNTAX, "k=: no value" },
		{ "an empty key", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0 =1\n",
		  MIG_ERR_SYNTAX, "key ''" },
		{ "an unknown record kind", "@mig frobnicate a=1\n", MIG_ERR_SYNTAX, "unknown record kind 'frobnicate'" },
		{ "no record kind", "@mig\n", MIG_ERR_SYNTAX, "@mig without a record kind" },
		{ "blanks only", "@mig   \t\n", MIG_ERR_SYNTAX, "without a record kind" },
		{ "an escape sequence", BEGIN "@mig round n=0 dirtied=0 sent=0 ticks=0 guest_ticks=0 "
		  "track_ticks=0 k=\x1b[2J\n", MIG_ERR_SYNTAX, "byte 0x1b at column" },
		{ "a byte above ASCII", "@mig begin tracker=pml guest=\xff pages=1\n", MIG_ERR_SYNTAX,
		  "byte 0xff at column 30" },
		{ "a key of 60 characters is clipped in the message", BEGIN "@mig round n=0 dirtied=0 sent=0 "
		  "ticks=0 guest_ticks=0 track_ticks=0 x0123456789012345678901234567890123456789012345678901234567890\n",
		  MIG_ERR_SYNTAX, "'x012345678901234567890123456789012345678...' is not key=value" },
		{ "nothing at all", "", MIG_ERR_INCOMPLETE, "no @mig lines" },
		{ "console only", "hello\nworld\n", MIG_ERR_INCOMPLETE, "no @mig lines" },
		{ "stopped after a round", BEGIN R0, MIG_ERR_INCOMPLETE, "after 1 round(s), before @mig final" },
		{ "stopped after the stop-and-copy", BEGIN R0 FIN, MIG_ERR_INCOMPLETE, "no @mig end" },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct mig_run r;
		enum mig_err e = feed_str(&r, cases[i].text);
		ck_assert_msg(e == cases[i].err, "case %u (%s): error %d (%s), want %d: %s", i, cases[i].why,
			      e, mig_strerror(e), cases[i].err, r.error);
		ck_assert_msg(strstr(r.error, cases[i].mentions), "case %u (%s): '%s' not in: %s", i,
			      cases[i].why, cases[i].mentions, r.error);
		expect_printable(r.error);
		mig_run_free(&r);
	}
#undef BEGIN
#undef R0
#undef FIN
}
END_TEST

/* A NUL inside an @mig line is an error, not the end of the line's text. */
START_TEST(nul_byte_is_an_error)
{
	static const char text[] = "@mig begin tracker=pml\0 guest=g pages=1 bandwidth=1 max_rounds=1 threshold=0\n";
	struct mig_run r;
	char *echo;

	ck_assert_int_eq(feed(&r, "pml", text, sizeof text - 1, &echo, false), MIG_ERR_SYNTAX);
	ck_assert_ptr_nonnull(strstr(r.error, "COM1 line 1: NUL byte at column 23"));
	free(echo);
	mig_run_free(&r);
	/* The same through the line parser, which is given a length. */
	mig_run_init(&r, "pml");
	ck_assert_int_eq(mig_parse_line(&r, text, sizeof text - 2, 9), MIG_ERR_SYNTAX);
	ck_assert_ptr_nonnull(strstr(r.error, "COM1 line 9: NUL byte"));
	mig_run_free(&r);
}
END_TEST

/* 10,000 characters on one @mig line: too long, whether it ends in a newline or not. */
START_TEST(very_long_line_is_an_error)
{
	size_t n = 10000;
	char *text = malloc(n + 2);
	struct mig_run r;
	char *echo;

	memcpy(text, "@mig round ", 11);
	memset(text + 11, 'a', n - 11);
	for (int newline = 0; newline < 2; newline++) {
		text[n] = '\n';
		ck_assert_int_eq(feed(&r, "pml", text, n + (size_t)newline, &echo, false), MIG_ERR_TOO_LONG);
		ck_assert_ptr_nonnull(strstr(r.error, "COM1 line 1: @mig line longer than 1024 bytes"));
		ck_assert_str_eq(echo, ""); /* nothing of it reaches the console */
		free(echo);
		mig_run_free(&r);
	}
	/* The limit itself: a line of exactly MIG_LINE_MAX bytes is parsed (a round before begin). */
	mig_run_init(&r, "pml");
	ck_assert_int_eq(mig_parse_line(&r, text, MIG_LINE_MAX, 1), MIG_ERR_ORDER);
	mig_run_free(&r);
	mig_run_init(&r, "pml");
	ck_assert_int_eq(mig_parse_line(&r, text, MIG_LINE_MAX + 1, 1), MIG_ERR_TOO_LONG);
	mig_run_free(&r);
	free(text);
}
END_TEST

/* The first error stays: good lines after it change nothing. */
START_TEST(first_error_sticks)
{
	struct mig_run r;
	ck_assert_int_eq(feed_str(&r, "@mig begin tracker=pml guest=g pages=x bandwidth=1 max_rounds=1 threshold=0\n"
				      "@mig begin tracker=pml guest=g pages=1 bandwidth=1 max_rounds=1 threshold=0\n"),
			 MIG_ERR_NUMBER);
	ck_assert(!r.have_begin);
	ck_assert_ptr_nonnull(strstr(r.error, "COM1 line 1: @mig begin: pages='x'"));
	mig_run_free(&r);
}
END_TEST

/* 260 distinct exit reasons over four rounds: more than MIG_REASONS_MAX (256). */
START_TEST(too_many_exit_reasons)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	struct mig_run r;
	unsigned reason = 0;

	fputs("@mig begin tracker=pml guest=g pages=1 bandwidth=1 max_rounds=5 threshold=0\n", f);
	for (unsigned round = 0; round < 4; round++) {
		fprintf(f, "@mig round n=%u dirtied=0 sent=0 ticks=0 guest_ticks=0 track_ticks=0", round);
		for (unsigned i = 0; i < 65; i++)
			fprintf(f, " exit.r%u=1", reason++);
		fputc('\n', f);
	}
	fclose(f);
	ck_assert_int_eq(feed_str(&r, text), MIG_ERR_RANGE);
	ck_assert_ptr_nonnull(strstr(r.error, "COM1 line 5: @mig round: more than 256 distinct exit reasons"));
	ck_assert_uint_eq(r.total.nreasons, 3 * 65);
	mig_run_free(&r);
	free(text);
}
END_TEST

/* Random bytes, and valid lines with bytes changed at random: an error or a parse, never a crash. */
START_TEST(random_input_never_crashes)
{
	uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift64, fixed seed: the same cases every run */
	size_t good_len = sizeof good_run - 1;
	char *buf = malloc(good_len);

	for (unsigned iter = 0; iter < 3000; iter++) {
		struct mig_run r;
		char *echo;
		memcpy(buf, good_run, good_len);
		for (unsigned k = 0; k < 1 + iter % 8; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[x % good_len] = iter % 2 ? (char)(x >> 32) : "0123456789= \n\0x-"[(x >> 40) % 16];
		}
		enum mig_err e = feed(&r, "pml", buf, good_len, &echo, false);
		ck_assert(e == MIG_OK || r.error[0]);
		expect_printable(r.error);
		free(echo);
		mig_run_free(&r);
	}
	free(buf);
}
END_TEST

/* ===================================== renderers ===================================== */

static char *render(bool (*fn)(FILE *, const struct mig_run *const *, unsigned),
		    const struct mig_run *const *runs, unsigned n)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);
	ck_assert(fn(f, runs, n));
	fclose(f);
	return out;
}

static json_int_t jint(json_t *root, const char *path)
{
	json_t *v = json_object_get(root, path);
	ck_assert_msg(json_is_integer(v), "%s is not an integer", path);
	return json_integer_value(v);
}

START_TEST(json_single_run)
{
	struct mig_run r;
	const struct mig_run *runs[] = { &r };
	json_error_t jerr;

	ck_assert_int_eq(feed_str(&r, good_run), MIG_OK);
	char *text = render(mig_render_json, runs, 1);
	json_t *root = json_loads(text, 0, &jerr);
	ck_assert_msg(root, "not JSON (%s, line %d): %s", jerr.text, jerr.line, text);
	ck_assert(json_is_true(json_object_get(root, "complete")));
	ck_assert(json_is_null(json_object_get(root, "error")));
	json_t *begin = json_object_get(root, "begin");
	ck_assert_str_eq(json_string_value(json_object_get(begin, "tracker")), "pml");
	ck_assert_str_eq(json_string_value(json_object_get(begin, "guest")), "memstress");
	ck_assert_int_eq(jint(begin, "pages"), 8192);
	ck_assert_int_eq(jint(begin, "bandwidth"), 1073741824);
	/* Unknown keys: numbers when they are numbers, else text. */
	ck_assert_int_eq(jint(json_object_get(begin, "extra"), "hv_version"), 7);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(begin, "extra"), "build")), "dev-1");
	json_t *rounds = json_object_get(root, "rounds");
	ck_assert_uint_eq(json_array_size(rounds), 2);
	json_t *r1 = json_array_get(rounds, 1);
	ck_assert_int_eq(jint(r1, "n"), 1);
	ck_assert_int_eq(jint(r1, "dirtied"), 812);
	ck_assert_int_eq(jint(json_object_get(r1, "exits"), "ept_violation"), 7);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r1, "extra"), "note")), "a,b");
	json_t *final = json_object_get(root, "final");
	ck_assert_int_eq(jint(final, "sent"), 37);
	ck_assert_ptr_null(json_object_get(final, "n"));
	json_t *end = json_object_get(root, "end");
	ck_assert_int_eq(jint(end, "downtime_ticks"), 5512);
	ck_assert_str_eq(json_string_value(json_object_get(end, "verify")), "ok");
	ck_assert_str_eq(json_string_value(json_object_get(end, "result")), "SUCCESS");
	json_t *totals = json_object_get(root, "totals");
	ck_assert_int_eq(jint(totals, "sent"), 9041);         /* 8192 + 812 + 37 */
	ck_assert_int_eq(jint(totals, "ticks"), 152424);      /* 123456 + 23456 + 5512 */
	ck_assert_int_eq(jint(totals, "track_ticks"), 2312);  /* 2000 + 300 + 12 */
	ck_assert_int_eq(jint(totals, "exits"), 27);          /* 17 + 9 + 1 */
	ck_assert_int_eq(jint(json_object_get(totals, "exits_by_reason"), "preempt"), 14);
	json_decref(root);
	free(text);
	mig_run_free(&r);
}
END_TEST

/* --tracker all: an object keyed by tracker; a failed run says why and keeps what it had. */
START_TEST(json_side_by_side)
{
	struct mig_run r[3];
	const struct mig_run *runs[] = { &r[0], &r[1], &r[2] };
	json_error_t jerr;
	char *echo;

	ck_assert_int_eq(feed(&r[0], "pml", good_run, sizeof good_run - 1, &echo, false), MIG_OK);
	free(echo);
	ck_assert_int_eq(feed_str(&r[1], "@mig begin tracker=wp guest=g pages=9 bandwidth=1 max_rounds=2 threshold=0\n"
					 "@mig round n=0 dirtied=0 sent=9 ticks=40 guest_ticks=30 track_ticks=8 "
					 "exit.ept_violation=9\n"), MIG_ERR_INCOMPLETE);
	ck_assert_int_eq(feed_str(&r[2], ""), MIG_ERR_INCOMPLETE);
	strcpy(r[1].label, "wp");
	strcpy(r[2].label, "scan");
	char *text = render(mig_render_json, runs, 3);
	json_t *root = json_loads(text, 0, &jerr);
	ck_assert_msg(root, "not JSON (%s): %s", jerr.text, text);
	ck_assert_uint_eq(json_object_size(root), 3);
	ck_assert(json_is_true(json_object_get(json_object_get(root, "pml"), "complete")));
	json_t *wp = json_object_get(root, "wp");
	ck_assert(json_is_false(json_object_get(wp, "complete")));
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(wp, "error")), "before @mig final"));
	ck_assert_uint_eq(json_array_size(json_object_get(wp, "rounds")), 1);
	ck_assert(json_is_null(json_object_get(wp, "end")));
	ck_assert_int_eq(jint(json_object_get(wp, "totals"), "track_ticks"), 8);
	json_t *scan = json_object_get(root, "scan");
	ck_assert(json_is_null(json_object_get(scan, "begin")));
	json_decref(root);
	free(text);
	for (unsigned i = 0; i < 3; i++)
		mig_run_free(&r[i]);
}
END_TEST

/* Split a CSV text into rows; each row's column count (no field here is quoted). */
static unsigned csv_shape(char *text, unsigned *cols, unsigned max_rows)
{
	unsigned rows = 0;
	for (char *save, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_lt(rows, max_rows);
		cols[rows] = 1;
		for (char *p = line; *p; p++)
			cols[rows] += *p == ',';
		rows++;
	}
	return rows;
}

START_TEST(csv_rows_and_columns)
{
	struct mig_run r[2];
	const struct mig_run *runs[] = { &r[0], &r[1] };
	unsigned cols[16];
	char *echo;

	ck_assert_int_eq(feed(&r[0], "pml", good_run, sizeof good_run - 1, &echo, false), MIG_OK);
	free(echo);
	ck_assert_int_eq(feed(&r[1], "wp", good_run, sizeof good_run - 1, &echo, false), MIG_OK);
	free(echo);
	char *text = render(mig_render_csv, runs, 2);
	/* tracker, round, 5 round keys, exits, then exit.preempt, .pml_full, .io, .ept_violation. */
	ck_assert_ptr_nonnull(strstr(text, "tracker,round,dirtied,sent,ticks,guest_ticks,track_ticks,exits,"
					   "exit.preempt,exit.pml_full,exit.io,exit.ept_violation\n"));
	ck_assert_ptr_nonnull(strstr(text, "\npml,1,812,812,23456,20000,300,9,2,0,0,7\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nwp,final,37,37,5512,0,12,1,0,0,1,0\n"));
	unsigned rows = csv_shape(text, cols, ARRAY_LEN(cols));
	ck_assert_uint_eq(rows, 1 + 2 * 3); /* header, then 2 rounds + stop-and-copy per run */
	for (unsigned i = 0; i < rows; i++)
		ck_assert_msg(cols[i] == 12, "row %u has %u columns", i, cols[i]);
	free(text);
	for (unsigned i = 0; i < 2; i++)
		mig_run_free(&r[i]);
}
END_TEST

START_TEST(table_single_and_compared)
{
	struct mig_run r[2];
	const struct mig_run *runs[] = { &r[0], &r[1] };
	char *echo;

	ck_assert_int_eq(feed(&r[0], "pml", good_run, sizeof good_run - 1, &echo, false), MIG_OK);
	free(echo);
	ck_assert_int_eq(feed_str(&r[1], "@mig begin tracker=wp guest=g pages=9 bandwidth=1 max_rounds=2 threshold=0\n"),
			 MIG_ERR_INCOMPLETE);
	strcpy(r[1].label, "wp");
	char *one = render(mig_render_table, runs, 1);
	static const char *const want[] = {
		"tracker pml: guest memstress, 8192 pages (32 MiB), bandwidth 1 GiB per virtual second",
		"round  dirtied  sent   ticks  guest_ticks  track_ticks  track%  exits\n",
		"\n      1      812   812   23456        20000          300    1.3%      9\n", /* 300/23456 */
		"\n  final       37    37    5512            0           12    0.2%      1\n",
		"downtime      5512 ticks (5.512 us of virtual time)",
		"sent          9041 pages in 3 rounds (1.10 x guest RAM)", /* 9041 / 8192 */
		"verification  ok, 0 pages lost; guest result SUCCESS",
		"tracking      2312 of 152424 ticks (1.5%); 27 exits: preempt=14 pml_full=3 io=3 ept_violation=7",
	};
	for (unsigned i = 0; i < ARRAY_LEN(want); i++)
		ck_assert_msg(strstr(one, want[i]), "'%s' not in:\n%s", want[i], one);
	ck_assert_ptr_null(strstr(one, "comparison"));
	char *two = render(mig_render_table, runs, 2);
	ck_assert_ptr_nonnull(strstr(two, "\n  error         the output stopped after 0 round(s)"));
	ck_assert_ptr_nonnull(strstr(two, "comparison"));
	ck_assert_ptr_nonnull(strstr(two, "\n  pml             2312    1.5%     27            5512  9041       3  ok      SUCCESS  preempt=14"));
	ck_assert_ptr_nonnull(strstr(two, "\n  wp                 0       -      0               -     -       -  -       -        -\n"));
	free(one);
	free(two);
	for (unsigned i = 0; i < 2; i++)
		mig_run_free(&r[i]);
}
END_TEST

/* ===================================== hvsim migrate ===================================== */

/* Each bad invocation: exit 2, exactly one line on stderr that names the problem. */
START_TEST(migrate_usage_errors)
{
	static const struct {
		const char *args[8];
		const char *mentions;
	} cases[] = {
		{ { "migrate" }, "missing --guest" },
		{ { "migrate", "--guest" }, "'--guest' needs a value" },
		{ { "migrate", "--guest", "../etc/passwd" }, "--guest '../etc/passwd'" },
		{ { "migrate", "--guest", "memstress", "--tracker", "dirty" }, "--tracker 'dirty'" },
		{ { "migrate", "--guest", "memstress", "--mem", "1K" }, "--mem '1K'" },
		{ { "migrate", "--guest", "memstress", "--mem", "64G" }, "--mem '64G'" },
		{ { "migrate", "--guest", "memstress", "--bandwidth", "0" }, "--bandwidth '0'" },
		{ { "migrate", "--guest", "memstress", "--bandwidth", "fast" }, "--bandwidth 'fast'" },
		{ { "migrate", "--guest", "memstress", "--max-rounds", "0" }, "--max-rounds '0'" },
		{ { "migrate", "--guest", "memstress", "--max-rounds", "1001" }, "--max-rounds '1001'" },
		{ { "migrate", "--guest", "memstress", "--threshold", "-1" }, "--threshold '-1'" },
		{ { "migrate", "--guest", "memstress", "--cpu", "pentium" }, "--cpu 'pentium'" },
		{ { "migrate", "--guest", "memstress", "--log", "all" }, "--log 'all'" },
		{ { "migrate", "--guest", "memstress", "--max-insns", "0" }, "--max-insns '0'" },
		{ { "migrate", "--guest", "memstress", "--json", "-", "--csv", "-" }, "cannot both write to stdout" },
		{ { "migrate", "--guest", "memstress", "extra" }, "unexpected argument 'extra'" },
		{ { "migrate", "--frobnicate" }, "unknown option '--frobnicate'" },
		{ { "migrate", "--guest", "memstress", "--hv", "/nonexistent/hv.elf" }, "'/nonexistent/hv.elf' not found" },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct run_result r;
		run_hvsim(&r, cases[i].args);
		ck_assert_msg(r.exit_code == 2, "case %u (%s): exit %d", i, cases[i].mentions, r.exit_code);
		ck_assert_msg(strchr(r.err, '\n') && !strchr(r.err, '\n')[1], "case %u: stderr is not one line: %s",
			      i, r.err);
		ck_assert_msg(strstr(r.err, cases[i].mentions), "case %u: '%s' not in: %s", i,
			      cases[i].mentions, r.err);
		ck_assert_str_eq(r.out, "");
		run_result_free(&r);
	}
}
END_TEST

/* A guest image that is not there: exit 2, before anything boots. */
START_TEST(migrate_missing_guest)
{
	struct run_result r;
	/* Any readable file passes the check for hv's image; the guest's is checked next. */
	run_hvsim(&r, (const char *const[]){ "migrate", "--guest", "nosuchguest", "--hv", build_path("hvsim"),
					     "--workloads", build_path("workloads"), NULL });
	ck_assert_int_eq(r.exit_code, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "guest 'nosuchguest'"));
	ck_assert_ptr_nonnull(strstr(r.err, "nosuchguest.elf' not found"));
	run_result_free(&r);
	run_hvsim(&r, (const char *const[]){ "migrate", "--help", NULL });
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: hvsim migrate --guest NAME"));
	ck_assert_ptr_nonnull(strstr(r.out, "exit codes: 0"));
	run_result_free(&r);
}
END_TEST

Suite *suite_migstat(void)
{
	Suite *s = suite_create("sim/migstat");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, good_run_parses);
	tcase_add_test(tc, blanks_and_crlf);
	tcase_add_test(tc, unfinished_migration_parses);
	tcase_add_test(tc, stream_splits_console_from_records);
	tcase_add_test(tc, hostile_lines_are_errors);
	tcase_add_test(tc, nul_byte_is_an_error);
	tcase_add_test(tc, very_long_line_is_an_error);
	tcase_add_test(tc, first_error_sticks);
	tcase_add_test(tc, too_many_exit_reasons);
	tcase_add_test(tc, random_input_never_crashes);
	suite_add_tcase(s, tc);
	tc = tcase_create("render");
	tcase_add_test(tc, json_single_run);
	tcase_add_test(tc, json_side_by_side);
	tcase_add_test(tc, csv_rows_and_columns);
	tcase_add_test(tc, table_single_and_compared);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, migrate_usage_errors);
	tcase_add_test(tc, migrate_missing_guest);
	suite_add_tcase(s, tc);
	return s;
}
