/*
 * hvsim migrate: boot hv with a workload guest as a Multiboot module, let hv live-migrate the
 * guest with the chosen dirty-page tracker, and report the statistics hv prints on COM1
 * (sim/migstat.h) as a table, JSON or CSV. README "hvsim migrate" documents the output.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/profile.h"
#include "sim/cli.h"
#include "sim/exitcode.h"
#include "sim/loader.h"
#include "sim/machine.h"
#include "sim/migstat.h"
#include "sim/ram.h"

#define DEFAULT_GUEST_MEM (32ull << 20)
#define DEFAULT_BANDWIDTH (1ull << 30) /* bytes per virtual second */
#define DEFAULT_MAX_ROUNDS 5           /* Xen's live-migration defaults (libxc's save loop) */
#define DEFAULT_THRESHOLD 50
/* Machine RAM = hv's own share (code, page tables, migration buffers) + two guest copies. */
#define HV_RESERVE (64ull << 20)
#define GUEST_MEM_MAX ((RAM_MAX - HV_RESERVE) / 2)

struct migrate_opts {
	const char *guest, *guest_args, *hv, *workloads, *json, *csv, *serial;
	uint64_t mem, bandwidth, max_rounds, threshold;
	bool all;                  /* --tracker all: pml, wp and scan, one after another */
	enum mig_tracker tracker;  /* otherwise this one */
	struct machine_config mc;  /* --cpu, --log, --max-insns */
};

static void migrate_usage(FILE *f)
{
	fprintf(f,
		"usage: hvsim migrate --guest NAME [options]\n\n"
		"Boot the hypervisor (hv.elf) with the workload NAME as its guest, live-migrate the guest\n"
		"(pre-copy rounds, then stop-and-copy) into a second VM while it runs, and verify that no\n"
		"page was lost. Prints hv's statistics as a table: one row per round (README \"hvsim\n"
		"migrate\" explains the columns). Time is virtual: 1 tick = 1 retired instruction, and a\n"
		"virtual second is 10^9 ticks.\n\n"
		"options:\n"
		"      --guest NAME         workload to migrate: WORKLOADS/NAME.elf (required)\n"
		"      --tracker T          dirty-page tracker: pml (Page Modification Logging), wp\n"
		"                           (EPT write-protect faults), scan (EPT dirty-bit scan), or all\n"
		"                           (the three, one after another, compared; default pml)\n"
		"  -m, --mem SIZE           guest RAM (default 32M; 2M..%lluM, a multiple of 4K; K/M/G);\n"
		"                           the machine gets 2*SIZE + 64M\n"
		"      --bandwidth RATE     migration link, bytes per virtual second (default 1G; K/M/G)\n"
		"      --max-rounds N       most pre-copy rounds before stop-and-copy (default %d, 1..%d)\n"
		"      --threshold PAGES    hv's stop-and-copy threshold in dirty pages (default %d)\n"
		"      --guest-args STR     the guest's command line\n"
		"      --json FILE|-        also write the statistics as JSON to FILE ('-': stdout)\n"
		"      --csv FILE|-         also write one CSV row per round to FILE ('-': stdout)\n"
		"      --hv PATH            the hypervisor image (default: hv/hv.elf beside hvsim)\n"
		"      --workloads DIR      where NAME.elf is (default: workloads/ beside hvsim)\n"
		"      --cpu PROFILE        CPU profile (default broadwell-ep; see 'hvsim info')\n"
		"      --log WHAT           faults, events, vmx (comma-separated; see 'hvsim run --help')\n"
		"      --serial FILE        write all of COM1 (console and @mig lines) to FILE instead\n"
		"                           of the console on stdout\n"
		"      --max-insns N        stop with exit code 3 after N instructions per run (k/M/G)\n"
		"  -h, --help               show this help\n\n"
		"With --json - or --csv -, stdout carries only that and the console goes to stderr.\n\n"
		"exit codes: 0 every migration verified (verify=ok, no page lost, guest SUCCESS)\n"
		"            1 a guest result other than SUCCESS, a verify mismatch, lost pages, or hv's\n"
		"              statistics missing, malformed or inconsistent\n"
		"            2 usage error (bad option, guest or hv image not found, output not writable)\n"
		"            3 simulator fault (triple fault, --max-insns exhausted, unmodelled state)\n",
		(unsigned long long)(GUEST_MEM_MAX >> 20), DEFAULT_MAX_ROUNDS, MIG_ROUNDS_MAX,
		DEFAULT_THRESHOLD);
}

/* ---- options ---- */

enum {
	OPT_GUEST = 256, OPT_TRACKER, OPT_BANDWIDTH, OPT_MAX_ROUNDS, OPT_THRESHOLD, OPT_GUEST_ARGS,
	OPT_JSON, OPT_CSV, OPT_HV, OPT_WORKLOADS, OPT_CPU, OPT_LOG, OPT_SERIAL, OPT_MAX_INSNS,
};

static const struct option migrate_options[] = {
	{ "guest", required_argument, NULL, OPT_GUEST },
	{ "tracker", required_argument, NULL, OPT_TRACKER },
	{ "mem", required_argument, NULL, 'm' },
	{ "bandwidth", required_argument, NULL, OPT_BANDWIDTH },
	{ "max-rounds", required_argument, NULL, OPT_MAX_ROUNDS },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "guest-args", required_argument, NULL, OPT_GUEST_ARGS },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "hv", required_argument, NULL, OPT_HV },
	{ "workloads", required_argument, NULL, OPT_WORKLOADS },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "max-insns", required_argument, NULL, OPT_MAX_INSNS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

static int set_tracker(struct migrate_opts *o, const char *arg)
{
	o->all = !strcmp(arg, "all");
	if (!o->all && !mig_tracker_parse(arg, &o->tracker))
		return usage_error("migrate", "--tracker '%s': expected pml, wp, scan or all", arg);
	return EXIT_OK;
}

/* The options that take a number; the rest are names and paths. */
static int set_number(struct migrate_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'm':
		if (!parse_size(arg, &o->mem) || o->mem < RAM_MIN || o->mem > GUEST_MEM_MAX || (o->mem & 0xfff))
			return usage_error("migrate", "--mem '%s': expected a 4K-multiple size from 2M to %lluM",
					   arg, (unsigned long long)(GUEST_MEM_MAX >> 20));
		return EXIT_OK;
	case OPT_BANDWIDTH:
		if (!parse_size(arg, &o->bandwidth) || !o->bandwidth || o->bandwidth > MIG_VALUE_MAX)
			return usage_error("migrate", "--bandwidth '%s': expected a positive rate in bytes "
					   "per virtual second (K/M/G suffixes)", arg);
		return EXIT_OK;
	case OPT_MAX_ROUNDS:
		if (!parse_count(arg, &o->max_rounds) || !o->max_rounds || o->max_rounds > MIG_ROUNDS_MAX)
			return usage_error("migrate", "--max-rounds '%s': expected 1..%d", arg, MIG_ROUNDS_MAX);
		return EXIT_OK;
	case OPT_THRESHOLD:
		if (!parse_count(arg, &o->threshold) || o->threshold > MIG_PAGES_MAX)
			return usage_error("migrate", "--threshold '%s': expected a page count up to %llu", arg,
					   MIG_PAGES_MAX);
		return EXIT_OK;
	case OPT_MAX_INSNS:
		if (!parse_count(arg, &o->mc.max_insns) || !o->mc.max_insns)
			return usage_error("migrate", "--max-insns '%s': expected a positive count", arg);
		return EXIT_OK;
	default:
		return usage_error("migrate", "unhandled option %d", opt);
	}
}

static int set_option(struct migrate_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_GUEST:
		if (!is_name(arg))
			return usage_error("migrate", "--guest '%s': expected a workload name (letters, digits,"
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
	case OPT_CPU:
		if (!profile_find(arg))
			return usage_error("migrate", "--cpu '%s': unknown profile (see 'hvsim info')", arg);
		o->mc.profile = arg;
		return EXIT_OK;
	case OPT_LOG:
		if (!parse_log_list(arg, &o->mc.log))
			return usage_error("migrate", "--log '%s': expected a list of faults, events, vmx", arg);
		return EXIT_OK;
	default:
		return set_number(o, opt, arg);
	}
}

#define ARGS_RUN (-1) /* parse_args: go on and migrate */

static int parse_args(int argc, char **argv, struct migrate_opts *o)
{
	int c, rc;

	*o = (struct migrate_opts){ .mem = DEFAULT_GUEST_MEM, .bandwidth = DEFAULT_BANDWIDTH,
				    .max_rounds = DEFAULT_MAX_ROUNDS, .threshold = DEFAULT_THRESHOLD,
				    .tracker = MIG_TRACKER_PML, .guest_args = "" };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:h", migrate_options, NULL)) != -1) {
		if (c == 'h') {
			migrate_usage(stdout);
			return EXIT_OK;
		}
		if (c == ':')
			return usage_error("migrate", "option '%s' needs a value", argv[optind - 1]);
		if (c == '?')
			return usage_error("migrate", "unknown option '%s'", argv[optind - 1]);
		if ((rc = set_option(o, c, optarg)) != EXIT_OK)
			return rc;
	}
	if (optind < argc)
		return usage_error("migrate", "unexpected argument '%s'", argv[optind]);
	if (!o->guest)
		return usage_error("migrate", "missing --guest NAME (a workload, e.g. memstress)");
	if (o->json && o->csv && !strcmp(o->json, "-") && !strcmp(o->csv, "-"))
		return usage_error("migrate", "--json - and --csv - cannot both write to stdout");
	return ARGS_RUN;
}

/* ---- images ---- */

/* "DIR/rel" where DIR holds the running hvsim. */
static bool beside_hvsim(char *out, size_t n, const char *rel)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (len <= 0)
		return false;
	exe[len] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	return (size_t)snprintf(out, n, "%s/%s", slash ? exe : ".", rel) < n;
}

struct images {
	char hv[PATH_MAX];
	char module[MB_MODULE_STRING_MAX]; /* "GUEST.elf ARGS": the file, then the guest's command line */
	char cmdline[256];                 /* hv's, without the tracker */
};

static int find_images(const struct migrate_opts *o, struct images *im)
{
	char dir[PATH_MAX], guest[PATH_MAX];

	if (o->hv ? snprintf(im->hv, sizeof im->hv, "%s", o->hv) >= (int)sizeof im->hv
		  : !beside_hvsim(im->hv, sizeof im->hv, "hv/hv.elf"))
		return usage_error("migrate", "--hv: path too long");
	if (access(im->hv, R_OK))
		return usage_error("migrate", "hv image '%s' not found (build hv, or give --hv PATH)", im->hv);
	if (o->workloads ? snprintf(dir, sizeof dir, "%s", o->workloads) >= (int)sizeof dir
			 : !beside_hvsim(dir, sizeof dir, "workloads"))
		return usage_error("migrate", "--workloads: path too long");
	if (snprintf(guest, sizeof guest, "%s/%s.elf", dir, o->guest) >= (int)sizeof guest)
		return usage_error("migrate", "--workloads: path too long");
	if (access(guest, R_OK))
		return usage_error("migrate", "guest '%s': '%s' not found (see --workloads)", o->guest, guest);
	if (strpbrk(guest, " \t"))
		return usage_error("migrate", "'%s': a module's file name ends at the first blank, so the "
				   "path may not contain one", guest);
	if (snprintf(im->module, sizeof im->module, "%s%s%s", guest, *o->guest_args ? " " : "",
		     o->guest_args) >= (int)sizeof im->module)
		return usage_error("migrate", "--guest-args: the module string is longer than %u bytes",
				   MB_MODULE_STRING_MAX - 1);
	snprintf(im->cmdline, sizeof im->cmdline,
		 "guest=vmx migrate guest_mem=%llu bandwidth=%llu max_rounds=%llu threshold=%llu tsc_khz=%llu",
		 (unsigned long long)o->mem, (unsigned long long)o->bandwidth,
		 (unsigned long long)o->max_rounds, (unsigned long long)o->threshold,
		 MIG_TICKS_PER_SECOND / 1000);
	return EXIT_OK;
}

/* ---- one migration ---- */

static void com1_to_stream(void *ctx, uint8_t byte)
{
	mig_stream_byte(ctx, byte);
}

/* Boot hv with tracker t and run it to the end; returns the machine's exit code. */
static int migrate_once(const struct migrate_opts *o, const struct images *im, enum mig_tracker t,
			struct mig_run *run, FILE *echo)
{
	char cmdline[sizeof im->cmdline + 32];
	struct machine_config mc = o->mc;
	struct mig_stream s;
	struct machine m;

	snprintf(cmdline, sizeof cmdline, "tracker=%s %s", mig_tracker_name(t), im->cmdline);
	mc.image = im->hv;
	mc.cmdline = cmdline;
	mc.modules[0] = im->module;
	mc.module_count = 1;
	mc.ram_size = 2 * o->mem + HV_RESERVE;
	mig_run_init(run, mig_tracker_name(t));
	mig_stream_init(&s, run, echo, o->serial != NULL);
	int rc = machine_create(&m, &mc);
	if (rc == EXIT_OK) {
		m.platform.com1.sink = com1_to_stream;
		m.platform.com1.sink_ctx = &s;
		rc = machine_boot(&m);
	}
	if (rc == EXIT_OK)
		rc = machine_run(&m);
	machine_destroy(&m);
	mig_stream_end(&s);
	return rc;
}

/* hv echoes its command line in @mig begin: a difference means hv misread it. */
static bool check_echo(const struct migrate_opts *o, const struct mig_run *r, enum mig_tracker t)
{
	const struct mig_begin *b = &r->begin;
	const struct {
		const char *key;
		uint64_t got, want;
	} echo[] = {
		{ "bandwidth", b->bandwidth, o->bandwidth },
		{ "max_rounds", b->max_rounds, o->max_rounds },
		{ "threshold", b->threshold, o->threshold },
	};

	if (b->tracker != t) {
		fprintf(stderr, "hvsim migrate: tracker %s: hv reports tracker=%s in @mig begin\n", r->label,
			mig_tracker_name(b->tracker));
		return false;
	}
	for (unsigned i = 0; i < sizeof echo / sizeof echo[0]; i++) {
		if (echo[i].got == echo[i].want)
			continue;
		fprintf(stderr, "hvsim migrate: tracker %s: hv reports %s=%llu in @mig begin, but was "
			"given %llu\n", r->label, echo[i].key, (unsigned long long)echo[i].got,
			(unsigned long long)echo[i].want);
		return false;
	}
	return true;
}

/* The exit code of one run, with one line on stderr saying why it is not 0. */
static int verdict(const struct migrate_opts *o, const struct mig_run *r, enum mig_tracker t, int rc)
{
	const struct mig_end *e = &r->end;

	if (rc == EXIT_USAGE || rc == EXIT_SIM_FAULT)
		return rc; /* the machine has said why */
	if (r->err) {
		fprintf(stderr, "hvsim migrate: tracker %s: hv's statistics: %s\n", r->label, r->error);
		return EXIT_GUEST_FAIL;
	}
	if (!check_echo(o, r, t))
		return EXIT_GUEST_FAIL;
	if (e->verify != MIG_VERIFY_OK || e->lost || e->result != MIG_RESULT_SUCCESS) {
		fprintf(stderr, "hvsim migrate: tracker %s: verify=%s, %llu pages lost, guest result %s\n",
			r->label, mig_verify_name(e->verify), (unsigned long long)e->lost,
			mig_result_name(e->result));
		return EXIT_GUEST_FAIL;
	}
	if (rc != EXIT_OK) {
		fprintf(stderr, "hvsim migrate: tracker %s: hv exited with a failure status\n", r->label);
		return EXIT_GUEST_FAIL;
	}
	return EXIT_OK;
}

/* ---- output ---- */

static bool is_stdout(const char *path)
{
	return path && !strcmp(path, "-");
}

typedef bool (*renderer)(FILE *, const struct mig_run *const *, unsigned);

/* --json / --csv: written whatever the runs' outcome, so that failures can be studied. */
static bool write_output(const char *path, renderer render, const struct mig_run *const *runs, unsigned n)
{
	FILE *f;
	bool ok;

	if (!path)
		return true;
	if (is_stdout(path))
		return render(stdout, runs, n) && fflush(stdout) == 0;
	if (!(f = fopen(path, "w"))) {
		fprintf(stderr, "hvsim migrate: %s: cannot open for writing\n", path);
		return false;
	}
	ok = render(f, runs, n);
	if (fclose(f) || !ok) {
		fprintf(stderr, "hvsim migrate: %s: write failed\n", path);
		return false;
	}
	return true;
}

/* Fail before minutes of simulation if an output cannot be created. */
static int check_writable(const char *path)
{
	FILE *f;

	if (!path || is_stdout(path))
		return EXIT_OK;
	if (!(f = fopen(path, "a")))
		return usage_error("migrate", "'%s': cannot open for writing", path);
	fclose(f);
	return EXIT_OK;
}

/* The table on stdout (unless --json - or --csv - has it), then the files; false if one failed. */
static bool report(const struct migrate_opts *o, const struct mig_run *const *runs, unsigned n)
{
	bool ok = true;

	if (!is_stdout(o->json) && !is_stdout(o->csv)) {
		fputc('\n', stdout);
		ok = mig_render_table(stdout, runs, n) && fflush(stdout) == 0;
	}
	ok = write_output(o->json, mig_render_json, runs, n) && ok;
	return write_output(o->csv, mig_render_csv, runs, n) && ok;
}

/* Where the console goes: --serial's file (with the @mig lines), else stdout if free. */
static FILE *console_file(const struct migrate_opts *o)
{
	if (o->serial)
		return fopen(o->serial, "w");
	return is_stdout(o->json) || is_stdout(o->csv) ? stderr : stdout;
}

static unsigned trackers(const struct migrate_opts *o, enum mig_tracker *list)
{
	if (!o->all) {
		list[0] = o->tracker;
		return 1;
	}
	for (unsigned t = 0; t < MIG_TRACKER_COUNT; t++)
		list[t] = (enum mig_tracker)t;
	return MIG_TRACKER_COUNT;
}

/* Run every tracker; EXIT_USAGE at once if the machine refuses the images, else EXIT_OK. */
static int run_all(const struct migrate_opts *o, const struct images *im, const enum mig_tracker *list,
		   unsigned n, struct mig_run *runs, int *rcs, FILE *console)
{
	for (unsigned i = 0; i < n; i++) {
		if (n > 1 && !o->serial)
			fprintf(console, "=== hvsim migrate: tracker %s ===\n", mig_tracker_name(list[i]));
		rcs[i] = migrate_once(o, im, list[i], &runs[i], console);
		if (rcs[i] == EXIT_USAGE) {
			for (unsigned j = 0; j <= i; j++)
				mig_run_free(&runs[j]);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

int cmd_migrate(int argc, char **argv)
{
	struct migrate_opts o;
	struct images im;
	enum mig_tracker list[MIG_TRACKER_COUNT];
	struct mig_run runs[MIG_TRACKER_COUNT];
	const struct mig_run *view[MIG_TRACKER_COUNT];
	int rcs[MIG_TRACKER_COUNT], worst = EXIT_OK;
	int rc = parse_args(argc, argv, &o);

	if (rc != ARGS_RUN)
		return rc;
	if ((rc = find_images(&o, &im)) || (rc = check_writable(o.json)) || (rc = check_writable(o.csv)))
		return rc;
	FILE *console = console_file(&o);
	if (!console)
		return usage_error("migrate", "--serial '%s': cannot open for writing", o.serial);
	unsigned n = trackers(&o, list);
	rc = run_all(&o, &im, list, n, runs, rcs, console);
	if (o.serial)
		fclose(console);
	if (rc != EXIT_OK)
		return rc;
	for (unsigned i = 0; i < n; i++)
		view[i] = &runs[i];
	bool written = report(&o, view, n);
	for (unsigned i = 0; i < n; i++) {
		rc = verdict(&o, &runs[i], list[i], rcs[i]);
		worst = rc > worst ? rc : worst;
		mig_run_free(&runs[i]);
	}
	return worst ? worst : written ? EXIT_OK : EXIT_USAGE;
}
