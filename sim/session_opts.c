/*
 * The options of hvsim migrate, record and replay: one table says which command takes which
 * option, how it reads its value, and what --help says about it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cpu/profile.h"
#include "sim/cli.h"
#include "sim/debug/gdbstub.h"
#include "sim/exitcode.h"
#include "sim/session.h"
#include "sim/trace/trace.h"

#define M (1u << SESSION_MIGRATE)
#define R (1u << SESSION_RECORD)
#define P (1u << SESSION_REPLAY)

enum {
	OPT_GUEST = 256, OPT_TRACKER, OPT_BANDWIDTH, OPT_MAX_ROUNDS, OPT_THRESHOLD, OPT_PML_ENTRIES,
	OPT_MIGRATE_AFTER, OPT_GUEST_ARGS, OPT_JSON, OPT_CSV, OPT_HV, OPT_WORKLOADS, OPT_CPU, OPT_LOG,
	OPT_SERIAL, OPT_MAX_INSNS, OPT_QUANTUM, OPT_STATS, OPT_VIEW, OPT_PNG, OPT_VIEW_SCREENSHOT,
	OPT_GDB, OPT_WAIT,
};

struct opt_row {
	const char *name;
	int id;          /* the short option's letter, or OPT_* */
	unsigned cmds;   /* M | R | P */
	const char *arg; /* metavariable; NULL: a flag */
	const char *help; /* '\n' starts a continuation line; "%llu" shows 'def' */
	unsigned long long def;
};

static const struct opt_row rows[] = {
	{ "guest", OPT_GUEST, M | R, "NAME", "workload to run: WORKLOADS/NAME.elf (required)" },
	{ "tracker", OPT_TRACKER, M | R | P, "T",
	  "dirty-page tracker: pml (Page Modification Logging), wp\n(EPT write-protect faults), scan "
	  "(EPT dirty-bit scan), or all\n(the three, one after another, compared; not for record;\n"
	  "default pml)" },
	{ "mem", 'm', M | R, "SIZE",
	  "guest RAM (default 32M; 2M..%lluM, a multiple of 4K; K/M/G);\nthe machine gets 2*SIZE + 64M",
	  SESSION_GUEST_MEM_MAX >> 20 },
	{ "bandwidth", OPT_BANDWIDTH, M | R | P, "RATE",
	  "migration link, bytes per virtual second (default 1G; K/M/G)" },
	{ "max-rounds", OPT_MAX_ROUNDS, M | R | P, "N",
	  "most pre-copy rounds before stop-and-copy (1..1000;\ndefault %llu)",
	  SESSION_DEFAULT_MAX_ROUNDS },
	{ "threshold", OPT_THRESHOLD, M | R | P, "PAGES",
	  "hv's stop-and-copy threshold in dirty pages (default %llu)", SESSION_DEFAULT_THRESHOLD },
	{ "pml-entries", OPT_PML_ENTRIES, M | R | P, "N",
	  "PML log entries hv's pml tracker uses: a PML-full exit\nevery N newly dirtied pages "
	  "(1..512, default %llu)", SESSION_DEFAULT_PML_ENTRIES },
	{ "migrate-after", OPT_MIGRATE_AFTER, M | R | P, "T",
	  "guest time before the migration starts, in instructions\n(k/M/G; default %llu)",
	  SESSION_DEFAULT_MIGRATE_AFTER },
	{ "guest-args", OPT_GUEST_ARGS, M | R, "STR", "the guest's command line" },
	{ "output", 'o', R, "FILE", "the trace to write (required)" },
	{ "quantum", OPT_QUANTUM, R, "N",
	  "guest instructions per quantum: each page is recorded at\nmost once per quantum "
	  "(default %llu; k/M/G)", SESSION_DEFAULT_QUANTUM },
	{ "stats", OPT_STATS, P, NULL,
	  "print the replay's throughput and where host time went to\nstderr (host timing: not "
	  "deterministic)" },
	{ "json", OPT_JSON, M | R | P, "FILE|-", "also write the statistics as JSON to FILE ('-': stdout)" },
	{ "csv", OPT_CSV, M | R | P, "FILE|-", "also write one CSV row per round to FILE ('-': stdout)" },
	{ "hv", OPT_HV, M | R | P, "PATH", "the hypervisor image (default: hv/hv.elf beside hvsim)" },
	{ "workloads", OPT_WORKLOADS, M | R | P, "DIR",
	  "where the guests' NAME.elf are (default: workloads/ beside\nhvsim)" },
	{ "cpu", OPT_CPU, M | R | P, "PROFILE", "CPU profile (default broadwell-ep; see 'hvsim info')" },
	{ "log", OPT_LOG, M | R | P, "WHAT", "faults, events, vmx (comma-separated; see 'hvsim run --help')" },
	{ "serial", OPT_SERIAL, M | R | P, "FILE",
	  "write all of COM1 (console and @mig lines) to FILE instead\nof the console on stdout" },
	{ "max-insns", OPT_MAX_INSNS, M | R | P, "N",
	  "stop with exit code 3 after N instructions per run (k/M/G)" },
	{ "view", OPT_VIEW, M | P, NULL,
	  "watch it in a window: guest memory by page state, the PML\nlog, VM exits, rounds, COM1 "
	  "(space pauses, s steps, +/-\nzoom, arrows scroll, q stops with exit code 4); the window\n"
	  "stays open at the end until q" },
	{ "png", OPT_PNG, M | P, "FILE",
	  "at the end, draw the view to FILE and the pages dirtied and\nsent per round to "
	  "FILE-rounds.png (a .png suffix stays\nlast); with --tracker all, FILE-pml.png, "
	  "FILE-wp.png\nand FILE-scan.png. No window needed" },
	{ "view-screenshot", OPT_VIEW_SCREENSHOT, M | P, "FILE",
	  "with --view: save the window as PNG to FILE when the runs\nend, and close it" },
	{ "gdb", OPT_GDB, M, "WHERE",
	  "debug hv and the guest with gdb: serve the GDB remote\nprotocol on WHERE, :PORT (loopback) or unix:PATH;\n"
	  "'target remote' in gdb (README \"Debugging\"); one tracker" },
	{ "wait", OPT_WAIT, M, NULL, "with --gdb: wait for gdb before the first instruction" },
	{ "help", 'h', M | R | P, NULL, "show this help" },
};

#define NROWS (sizeof rows / sizeof rows[0])

static void print_row(FILE *f, const struct opt_row *r)
{
	char left[48], help[512];
	const char *line = help;

	char flag[8] = "    ";

	if (r->id < 256)
		snprintf(flag, sizeof flag, "-%c, ", r->id);
	snprintf(left, sizeof left, "%s--%s%s%s", flag, r->name, r->arg ? " " : "", r->arg ? r->arg : "");
	snprintf(help, sizeof help, r->help, r->def);
	fprintf(f, "  %-25s%s", left, strlen(left) > 24 ? "\n                           " : "");
	for (const char *nl; (nl = strchr(line, '\n')); line = nl + 1)
		fprintf(f, "%.*s\n                           ", (int)(nl - line), line);
	fprintf(f, "%s\n", line);
}

static const char *const intro[] = {
	[SESSION_MIGRATE] =
		"usage: hvsim migrate --guest NAME [options]\n\n"
		"Boot the hypervisor (hv.elf) with the workload NAME as its guest, live-migrate the guest\n"
		"(pre-copy rounds, then stop-and-copy) into a second VM while it runs, and verify that no\n"
		"page was lost. Prints hv's statistics as a table: one row per round (README \"hvsim\n"
		"migrate\" explains the columns). Time is virtual: 1 tick = 1 retired instruction, and a\n"
		"virtual second is 10^9 ticks.\n",
	[SESSION_RECORD] =
		"usage: hvsim record --guest NAME -o FILE [options]\n\n"
		"Run 'hvsim migrate' with one tracker and record the guest's page writes as a migration\n"
		"trace (sim/trace/FORMAT.md): each quantum of guest time, the first write to every page,\n"
		"in guest time (instructions the guest retired). Recording does not change what the guest\n"
		"computes. Prints the same statistics as 'hvsim migrate', then a line about the trace.\n",
	[SESSION_REPLAY] =
		"usage: hvsim replay TRACE [options]\n\n"
		"Boot the hypervisor (hv.elf) with a stand-in guest whose progress is the trace: each\n"
		"recorded write is a guest-physical access through the same EPT, accessed/dirty-flag and\n"
		"PML path as an executed store, so hv takes the same PML-full exits, EPT violations and\n"
		"harvests and runs its real migration loop. The guest gets the trace's RAM. Prints hv's\n"
		"statistics as 'hvsim migrate' does (identical bytes on every run), and a line about the\n"
		"replay. A progress bar goes to stderr when it is a terminal.\n",
};

static void usage(FILE *f, enum session_cmd cmd)
{
	fprintf(f, "%s\noptions:\n", intro[cmd]);
	for (unsigned i = 0; i < NROWS; i++)
		if (rows[i].cmds & (1u << cmd))
			print_row(f, &rows[i]);
	fprintf(f, "\nWith --json - or --csv -, stdout carries only that and the console goes to stderr.\n\n"
		   "exit codes: 0 every migration verified (verify=ok, no page lost, guest SUCCESS)\n"
		   "            1 a guest result other than SUCCESS, a verify mismatch, lost pages, or hv's\n"
		   "              statistics missing, malformed or inconsistent\n"
		   "            2 usage or input error (bad option, image not found, output not writable%s)\n"
		   "            3 simulator fault (triple fault, --max-insns exhausted, unmodelled state)\n%s",
		cmd == SESSION_REPLAY ? ",\n              a truncated, corrupt or hostile trace" : "",
		cmd == SESSION_RECORD ? "" : cmd == SESSION_MIGRATE ?
		"            4 stopped before the end: q in the --view window, or gdb's kill\n" :
		"            4 stopped from the --view window (q) before the end\n");
}

static bool is_name(const char *s)
{
	if (!*s || strlen(s) >= MIG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

static int set_tracker(struct session_opts *o, const char *arg)
{
	o->all = !strcmp(arg, "all");
	if (o->all && o->cmd == SESSION_RECORD)
		return usage_error(o->name, "--tracker all: a recording runs one tracker (pml, wp or scan)");
	if (!o->all && !mig_tracker_parse(arg, &o->tracker))
		return usage_error(o->name, "--tracker '%s': expected pml, wp, scan or all", arg);
	return EXIT_OK;
}

/* A count option: 'ok' says whether the value is in range; 'want' what it should have been. */
static int counted(const struct session_opts *o, const char *opt, const char *arg, uint64_t *v,
		   uint64_t lo, uint64_t hi, const char *want)
{
	if (!parse_count(arg, v) || *v < lo || *v > hi)
		return usage_error(o->name, "--%s '%s': expected %s", opt, arg, want);
	return EXIT_OK;
}

/* The options that take a number; the rest are names and paths. */
static int set_number(struct session_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'm':
		if (!parse_size(arg, &o->mem) || o->mem < RAM_MIN || o->mem > SESSION_GUEST_MEM_MAX ||
		    (o->mem & 0xfff))
			return usage_error(o->name, "--mem '%s': expected a 4K-multiple size from 2M to %lluM",
					   arg, (unsigned long long)(SESSION_GUEST_MEM_MAX >> 20));
		return EXIT_OK;
	case OPT_BANDWIDTH:
		if (!parse_size(arg, &o->bandwidth) || !o->bandwidth || o->bandwidth > MIG_VALUE_MAX)
			return usage_error(o->name, "--bandwidth '%s': expected a positive rate in bytes "
					   "per virtual second (K/M/G suffixes)", arg);
		return EXIT_OK;
	case OPT_MAX_ROUNDS:
		return counted(o, "max-rounds", arg, &o->max_rounds, 1, MIG_ROUNDS_MAX, "1..1000");
	case OPT_THRESHOLD:
		return counted(o, "threshold", arg, &o->threshold, 0, MIG_PAGES_MAX, "a page count up to 16M");
	case OPT_PML_ENTRIES:
		return counted(o, "pml-entries", arg, &o->pml_entries, 1, 512, "1..512");
	case OPT_MIGRATE_AFTER:
		return counted(o, "migrate-after", arg, &o->migrate_after, 0, MIG_VALUE_MAX,
			       "a count of guest instructions");
	case OPT_QUANTUM:
		return counted(o, "quantum", arg, &o->quantum, 1, MIG_VALUE_MAX, "a positive count");
	case OPT_MAX_INSNS:
		return counted(o, "max-insns", arg, &o->mc.max_insns, 1, UINT64_MAX, "a positive count");
	default:
		return usage_error(o->name, "unhandled option %d", opt);
	}
}

static int set_option(struct session_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_GUEST:
		if (!is_name(arg))
			return usage_error(o->name, "--guest '%s': expected a workload name (letters, digits,"
					   " _ and -)", arg);
		o->guest = arg;
		return EXIT_OK;
	case OPT_TRACKER:
		return set_tracker(o, arg);
	case OPT_GUEST_ARGS: o->guest_args = arg; return EXIT_OK;
	case OPT_JSON: o->json = arg; return EXIT_OK;
	case OPT_CSV: o->csv = arg; return EXIT_OK;
	case OPT_HV: o->hv = arg; return EXIT_OK;
	case OPT_WORKLOADS: o->workloads = arg; return EXIT_OK;
	case OPT_SERIAL: o->serial = arg; return EXIT_OK;
	case OPT_STATS: o->stats = true; return EXIT_OK;
	case OPT_VIEW: o->view = true; return EXIT_OK;
	case OPT_PNG: o->png = arg; return EXIT_OK;
	case OPT_VIEW_SCREENSHOT: o->view_screenshot = arg; return EXIT_OK;
	case OPT_WAIT: o->wait = true; return EXIT_OK;
	case OPT_GDB: {
		char err[160];
		if (!gdbstub_parse_where(arg, err, sizeof err))
			return usage_error(o->name, "--gdb '%s': %s", arg, err);
		o->gdb = arg;
		return EXIT_OK;
	}
	case 'o': o->output = arg; return EXIT_OK;
	case OPT_CPU:
		if (!profile_find(arg))
			return usage_error(o->name, "--cpu '%s': unknown profile (see 'hvsim info')", arg);
		o->mc.profile = arg;
		return EXIT_OK;
	case OPT_LOG:
		if (!parse_log_list(arg, &o->mc.log))
			return usage_error(o->name, "--log '%s': expected a list of faults, events, vmx", arg);
		return EXIT_OK;
	default:
		return set_number(o, opt, arg);
	}
}

/* getopt_long's tables for one command, from the rows it takes. */
static void build_tables(enum session_cmd cmd, struct option *longs, char *shorts)
{
	unsigned n = 0;
	char *s = shorts;

	*s++ = ':';
	for (unsigned i = 0; i < NROWS; i++) {
		if (!(rows[i].cmds & (1u << cmd)))
			continue;
		longs[n++] = (struct option){ rows[i].name, rows[i].arg ? required_argument : no_argument,
					      NULL, rows[i].id };
		if (rows[i].id < 256) {
			*s++ = (char)rows[i].id;
			if (rows[i].arg)
				*s++ = ':';
		}
	}
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	*s = 0;
}

/* What each command requires once every option is read. */
static int check_required(struct session_opts *o, int argc, char **argv)
{
	if (o->cmd == SESSION_REPLAY) {
		if (optind >= argc)
			return usage_error(o->name, "missing TRACE (a file from hvsim record or hvsim trace)");
		o->trace = argv[optind++];
	}
	if (optind < argc)
		return usage_error(o->name, "unexpected argument '%s'", argv[optind]);
	if (o->cmd != SESSION_REPLAY && !o->guest)
		return usage_error(o->name, "missing --guest NAME (a workload, e.g. memstress)");
	if (o->cmd == SESSION_RECORD && !o->output)
		return usage_error(o->name, "missing -o FILE (where the trace goes)");
	if (o->output && !strcmp(o->output, "-"))
		return usage_error(o->name, "-o -: a trace is binary; give a file name");
	if (o->json && o->csv && !strcmp(o->json, "-") && !strcmp(o->csv, "-"))
		return usage_error(o->name, "--json - and --csv - cannot both write to stdout");
	if (o->view_screenshot && !o->view)
		return usage_error(o->name, "--view-screenshot saves the --view window: give --view too");
	if (o->wait && !o->gdb)
		return usage_error(o->name, "--wait: only with --gdb");
	if (o->gdb && o->all)
		return usage_error(o->name, "--gdb debugs one run: give --tracker pml, wp or scan");
	if (o->gdb && (o->view || o->png))
		return usage_error(o->name, "--gdb cannot be combined with --view or --png");
	if (o->png && !strcmp(o->png, "-"))
		return usage_error(o->name, "--png -: give a file name (two files are written)");
	return SESSION_ARGS_RUN;
}

int session_parse(int argc, char **argv, struct session_opts *o)
{
	struct option longs[NROWS + 1];
	char shorts[2 * NROWS + 2];
	int c, rc;

	*o = (struct session_opts){ .cmd = o->cmd, .name = o->name, .mem = SESSION_DEFAULT_GUEST_MEM,
				    .bandwidth = 1ull << 30, .max_rounds = SESSION_DEFAULT_MAX_ROUNDS,
				    .threshold = SESSION_DEFAULT_THRESHOLD,
				    .pml_entries = SESSION_DEFAULT_PML_ENTRIES,
				    .migrate_after = SESSION_DEFAULT_MIGRATE_AFTER,
				    .quantum = SESSION_DEFAULT_QUANTUM, .tracker = MIG_TRACKER_PML,
				    .guest_args = "" };
	build_tables(o->cmd, longs, shorts);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout, o->cmd);
			return EXIT_OK;
		}
		if (c == ':' || c == '?')
			return usage_getopt(o->name, c, argv);
		if ((rc = set_option(o, c, optarg)) != EXIT_OK)
			return rc;
	}
	return check_required(o, argc, argv);
}
