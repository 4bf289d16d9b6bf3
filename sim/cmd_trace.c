/*
 * hvsim trace gen|import|info: make traces without a guest (synthetic patterns, CSV captured
 * elsewhere) and look inside one. The work is in sim/trace/gen.c, import.c and info.c; this file
 * is their command line. README "hvsim trace" documents it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/exitcode.h"
#include "sim/trace/gen.h"
#include "sim/trace/import.h"
#include "sim/trace/info.h"

#define RAM_ALIGN (2ull << 20) /* default guest RAM is rounded up to this, as import's */
#define DEFAULT_QUANTUM 10000
#define ERR_MAX 512

static void trace_usage(FILE *f)
{
	fprintf(f,
		"usage: hvsim trace gen|import|info [options]\n\n"
		"Make migration traces without a guest, and look inside one:\n"
		"  gen     write a synthetic trace: a write pattern at a rate over a working set\n"
		"  import  convert page writes captured elsewhere (CSV time_ns,gpa[,vcpu]) to a trace\n"
		"  info    print a trace's header, totals and write rate over time\n\n"
		"'hvsim trace COMMAND --help' tells more. Time is virtual: 1 guest instruction is 1 ns,\n"
		"a virtual second 10^9 instructions.\n\n"
		"exit codes: 0 done, 2 usage or input error (bad option, bad CSV or trace, unwritable output)\n");
}

static void gen_usage(FILE *f)
{
	fprintf(f,
		"usage: hvsim trace gen --pattern P -o FILE [options]\n\n"
		"Write a synthetic trace: page writes at a constant rate in virtual time over a working set,\n"
		"write k (from 0) at time floor(k * 10^9 / rate), each page kept once per quantum.\n\n"
		"options:\n"
		"      --pattern P      seq (pages 0, 1, 2, ... wrapping), uniform, zipf (page r-1 has\n"
		"                       popularity rank r: P(r) ~ r^-s), hotcold (90%% of writes to the\n"
		"                       first 10%% of pages, the rest to the others) (required)\n"
		"  -o, --output FILE    the trace ('-': stdout) (required)\n"
		"      --rate R         page writes per virtual second (default 1M; k/M/G = 10^3/6/9)\n"
		"      --wss SIZE       working set in bytes, rounded up to 4K pages (default 8M; K/M/G/T)\n"
		"      --duration D     guest instructions (k/M/G), or virtual time with a unit: 10ms,\n"
		"                       1.5s, 200us (default 100ms)\n"
		"      --base SIZE      where the working set starts in guest RAM (default 0; 4K-aligned)\n"
		"      --ram SIZE       guest RAM (default: base + wss rounded up to 2M; at most 64G)\n"
		"      --quantum N      guest instructions per quantum (default %d)\n"
		"      --seed N         PRNG seed (SplitMix64; default 1)\n"
		"      --zipf-s S       Zipf exponent, > 0 (default 0.99)\n"
		"  -h, --help           show this help\n\n"
		"Prints one line: writes made, events kept, distinct pages, duration (on stderr with -o -).\n",
		DEFAULT_QUANTUM);
}

static void import_usage(FILE *f)
{
	fprintf(f,
		"usage: hvsim trace import --csv FILE -o OUT [options]\n\n"
		"Convert CSV rows time_ns,gpa[,vcpu] (one page write each; gpa decimal or 0x-hex) to a\n"
		"trace. A header line, blank lines and # comments are skipped; rows may be in any order\n"
		"(sorted by time, equal times keep their order); each page is kept once per quantum.\n\n"
		"options:\n"
		"      --csv FILE       the rows ('-': stdin) (required)\n"
		"  -o, --output OUT     the trace ('-': stdout) (required)\n"
		"      --ram SIZE       guest RAM (default: the highest page + 1, rounded up to 2M)\n"
		"      --quantum N      guest instructions per quantum (default %d)\n"
		"      --duration D     the capture's length (default: the last time + 1; units as gen's)\n"
		"      --source TEXT    the header's description (default: the command)\n"
		"  -h, --help           show this help\n",
		DEFAULT_QUANTUM);
}

static void info_usage(FILE *f)
{
	fprintf(f,
		"usage: hvsim trace info FILE [--buckets N] [--json]\n\n"
		"Print a trace's header (version, page size, guest RAM, vCPUs, quantum, source), its totals\n"
		"(events, paging-structure events, distinct pages, duration, mean rate) and the rate over\n"
		"time: the duration cut into N equal buckets, one row each (start and end in virtual\n"
		"seconds, events, distinct pages, events per virtual second). FILE '-' is stdin.\n\n"
		"options:\n"
		"      --buckets N      rows of the rate over time (default %d, 1..%d)\n"
		"      --json           the same as one JSON object\n"
		"  -h, --help           show this help\n",
		INFO_BUCKETS_DEFAULT, INFO_BUCKETS_MAX);
}

/* ---- shared ---- */

/*
 * Guest time: a count (k/M/G), or virtual time with a unit s, ms, us or ns, a fraction allowed
 * ("1.5ms" = 1500000 instructions; rounded down to whole instructions).
 */
static bool parse_duration(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t scale; /* instructions per unit */
	} units[] = { { "ms", 1000000 }, { "us", 1000 }, { "ns", 1 }, { "s", TRACE_NS_PER_SECOND } };
	size_t len = strlen(s);
	char *end;

	for (unsigned i = 0; i < sizeof units / sizeof units[0]; i++) {
		size_t ul = strlen(units[i].unit);
		if (len <= ul || strcmp(s + len - ul, units[i].unit) || s[0] < '0' || s[0] > '9')
			continue;
		errno = 0;
		uint64_t whole = strtoull(s, &end, 10), frac = 0, div = 1;
		if (*end == '.')
			for (end++; *end >= '0' && *end <= '9'; end++)
				if (div < TRACE_NS_PER_SECOND) { /* digits past 1 ns change nothing */
					frac = frac * 10 + (uint64_t)(*end - '0');
					div *= 10;
				}
		if (errno || end != s + len - ul || whole > UINT64_MAX / units[i].scale)
			return false;
		frac = frac * units[i].scale / div;
		if (frac > UINT64_MAX - whole * units[i].scale)
			return false;
		*out = whole * units[i].scale + frac;
		return true;
	}
	return parse_count(s, out);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (!trace_source_char(*s))
			return false;
	return true;
}

/* getopt_long's common cases; returns -1 to go on with c. */
static int common_option(const char *sub, int c, char **argv, void (*usage)(FILE *))
{
	if (c == 'h') {
		usage(stdout);
		return EXIT_OK;
	}
	if (c == ':' || c == '?')
		return usage_getopt(sub, c, argv);
	return -1;
}

static void summary(const char *what, const char *unit, const struct merge_totals *t, const char *out)
{
	fprintf(strcmp(out, "-") ? stdout : stderr,
		"%s: %llu %s, %llu events after merging per quantum, %llu distinct pages, duration %llu "
		"(%.3f s) -> %s\n",
		what, (unsigned long long)t->writes, unit, (unsigned long long)t->events,
		(unsigned long long)t->pages, (unsigned long long)t->duration,
		(double)t->duration / TRACE_NS_PER_SECOND, out);
}

/* ---- gen ---- */

enum { OPT_PATTERN = 256, OPT_RATE, OPT_WSS, OPT_DURATION, OPT_RAM, OPT_BASE, OPT_QUANTUM, OPT_SEED,
       OPT_ZIPF_S, OPT_CSV, OPT_SOURCE, OPT_BUCKETS, OPT_JSON };

static const struct option gen_options[] = {
	{ "pattern", required_argument, NULL, OPT_PATTERN },
	{ "output", required_argument, NULL, 'o' },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "wss", required_argument, NULL, OPT_WSS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "ram", required_argument, NULL, OPT_RAM },
	{ "base", required_argument, NULL, OPT_BASE },
	{ "quantum", required_argument, NULL, OPT_QUANTUM },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "zipf-s", required_argument, NULL, OPT_ZIPF_S },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct gen_args {
	struct gen_config c;
	uint64_t wss, base;
	const char *out;
	bool have_pattern;
};

static bool is_ram_size(uint64_t v)
{
	return v && v % TRACE_PAGE_SIZE == 0 && v <= TRACE_RAM_MAX;
}

static int gen_option(struct gen_args *a, int c, const char *arg)
{
	char *end;

	switch (c) {
	case OPT_PATTERN:
		if (!gen_pattern_parse(arg, &a->c.pattern))
			return usage_error("trace gen", "--pattern '%s': expected seq, uniform, zipf or hotcold", arg);
		a->have_pattern = true;
		return EXIT_OK;
	case 'o': a->out = arg; return EXIT_OK;
	case OPT_RATE:
		if (!parse_count(arg, &a->c.rate) || !a->c.rate)
			return usage_error("trace gen", "--rate '%s': expected a positive count (k/M/G)", arg);
		return EXIT_OK;
	case OPT_WSS:
		if (!parse_size(arg, &a->wss) || !a->wss || a->wss > TRACE_RAM_MAX)
			return usage_error("trace gen", "--wss '%s': expected a size from 1 to 64G (K/M/G)", arg);
		return EXIT_OK;
	case OPT_DURATION:
		if (!parse_duration(arg, &a->c.duration))
			return usage_error("trace gen", "--duration '%s': expected instructions (k/M/G) or a time "
					   "with a unit (s, ms, us, ns)", arg);
		return EXIT_OK;
	case OPT_RAM:
		if (!parse_size(arg, &a->c.ram) || !is_ram_size(a->c.ram))
			return usage_error("trace gen", "--ram '%s': expected a 4K-multiple size up to 64G", arg);
		return EXIT_OK;
	case OPT_BASE:
		if (!parse_size(arg, &a->base) || a->base % TRACE_PAGE_SIZE || a->base >= TRACE_RAM_MAX)
			return usage_error("trace gen", "--base '%s': expected a 4K-aligned offset below 64G", arg);
		return EXIT_OK;
	case OPT_QUANTUM:
		if (!parse_count(arg, &a->c.quantum) || !a->c.quantum)
			return usage_error("trace gen", "--quantum '%s': expected a positive count", arg);
		return EXIT_OK;
	case OPT_SEED:
		if (!parse_count(arg, &a->c.seed))
			return usage_error("trace gen", "--seed '%s': expected a number", arg);
		return EXIT_OK;
	case OPT_ZIPF_S:
		a->c.zipf_s = strtod(arg, &end);
		if (end == arg || *end || !isfinite(a->c.zipf_s) || a->c.zipf_s <= 0)
			return usage_error("trace gen", "--zipf-s '%s': expected a number above 0", arg);
		return EXIT_OK;
	default:
		return usage_error("trace gen", "unhandled option %d", c);
	}
}

/* What the options say together: the working set in RAM, the write count. */
static int gen_finish_args(struct gen_args *a)
{
	uint64_t top, n;

	if (!a->have_pattern)
		return usage_error("trace gen", "missing --pattern (seq, uniform, zipf or hotcold)");
	if (!a->out)
		return usage_error("trace gen", "missing -o FILE");
	a->c.pages = (a->wss + TRACE_PAGE_SIZE - 1) / TRACE_PAGE_SIZE;
	a->c.base_gfn = a->base / TRACE_PAGE_SIZE;
	top = a->base + a->c.pages * TRACE_PAGE_SIZE;
	if (!a->c.ram && top <= TRACE_RAM_MAX)
		a->c.ram = (top + RAM_ALIGN - 1) / RAM_ALIGN * RAM_ALIGN;
	if (top > (a->c.ram ? a->c.ram : TRACE_RAM_MAX))
		return usage_error("trace gen", "the working set (--base %llu + --wss %llu) does not fit in "
				   "guest RAM (%llu bytes)", (unsigned long long)a->base,
				   (unsigned long long)(a->c.pages * TRACE_PAGE_SIZE),
				   (unsigned long long)(a->c.ram ? a->c.ram : TRACE_RAM_MAX));
	if (!gen_count(a->c.duration, a->c.rate, &n))
		return usage_error("trace gen", "--duration times --rate makes more than 2^64 writes");
	return -1;
}

static int trace_gen(int argc, char **argv)
{
	struct gen_args a = { .c = { .rate = 1000000, .duration = TRACE_NS_PER_SECOND / 10,
				     .quantum = DEFAULT_QUANTUM, .seed = 1, .zipf_s = 0.99 },
			      .wss = 8ull << 20 };
	char err[ERR_MAX];
	struct merge_totals t;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", gen_options, NULL)) != -1)
		if ((rc = common_option("trace gen", c, argv, gen_usage)) >= 0 ||
		    (rc = gen_option(&a, c, optarg)) != EXIT_OK)
			return rc;
	if (optind < argc)
		return usage_error("trace gen", "unexpected argument '%s'", argv[optind]);
	if ((rc = gen_finish_args(&a)) >= 0)
		return rc;
	if (!gen_write(&a.c, a.out, &t, err, sizeof err)) {
		fprintf(stderr, "hvsim trace gen: %s\n", err);
		return EXIT_USAGE;
	}
	summary("gen", "writes", &t, a.out);
	return EXIT_OK;
}

/* ---- import ---- */

static const struct option import_options[] = {
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "output", required_argument, NULL, 'o' },
	{ "ram", required_argument, NULL, OPT_RAM },
	{ "quantum", required_argument, NULL, OPT_QUANTUM },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int import_option(struct import_config *ic, int c, const char *arg)
{
	switch (c) {
	case OPT_CSV: ic->csv = arg; return EXIT_OK;
	case 'o': ic->out = arg; return EXIT_OK;
	case OPT_RAM:
		if (!parse_size(arg, &ic->ram) || !is_ram_size(ic->ram))
			return usage_error("trace import", "--ram '%s': expected a 4K-multiple size up to 64G", arg);
		return EXIT_OK;
	case OPT_QUANTUM:
		if (!parse_count(arg, &ic->quantum) || !ic->quantum)
			return usage_error("trace import", "--quantum '%s': expected a positive count", arg);
		return EXIT_OK;
	case OPT_DURATION:
		if (!parse_duration(arg, &ic->duration))
			return usage_error("trace import", "--duration '%s': expected instructions (k/M/G) or a "
					   "time with a unit (s, ms, us, ns)", arg);
		ic->have_duration = true;
		return EXIT_OK;
	case OPT_SOURCE:
		if (strlen(arg) > TRACE_SOURCE_MAX || !printable(arg))
			return usage_error("trace import", "--source: expected at most %d printable ASCII "
					   "characters", TRACE_SOURCE_MAX);
		ic->source = arg;
		return EXIT_OK;
	default:
		return usage_error("trace import", "unhandled option %d", c);
	}
}

static int trace_import(int argc, char **argv)
{
	struct import_config ic = { .quantum = DEFAULT_QUANTUM };
	char err[ERR_MAX];
	struct merge_totals t;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", import_options, NULL)) != -1)
		if ((rc = common_option("trace import", c, argv, import_usage)) >= 0 ||
		    (rc = import_option(&ic, c, optarg)) != EXIT_OK)
			return rc;
	if (optind < argc)
		return usage_error("trace import", "unexpected argument '%s'", argv[optind]);
	if (!ic.csv)
		return usage_error("trace import", "missing --csv FILE");
	if (!ic.out)
		return usage_error("trace import", "missing -o OUT");
	if (!strcmp(ic.csv, "-") && !strcmp(ic.out, "-"))
		return usage_error("trace import", "--csv - and -o - cannot both be standard streams");
	if (!import_csv(&ic, &t, err, sizeof err)) {
		fprintf(stderr, "hvsim trace import: %s\n", err);
		return EXIT_USAGE;
	}
	summary("import", "rows", &t, ic.out);
	return EXIT_OK;
}

/* ---- info ---- */

static const struct option info_options[] = {
	{ "buckets", required_argument, NULL, OPT_BUCKETS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int trace_info(int argc, char **argv)
{
	static struct trace_info ti;
	uint64_t buckets = INFO_BUCKETS_DEFAULT;
	char err[ERR_MAX];
	bool json = false;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", info_options, NULL)) != -1) {
		if ((rc = common_option("trace info", c, argv, info_usage)) >= 0)
			return rc;
		if (c == OPT_JSON)
			json = true;
		else if (!parse_count(optarg, &buckets) || !buckets || buckets > INFO_BUCKETS_MAX)
			return usage_error("trace info", "--buckets '%s': expected 1..%d", optarg, INFO_BUCKETS_MAX);
	}
	if (optind == argc)
		return usage_error("trace info", "missing FILE");
	if (optind + 1 < argc)
		return usage_error("trace info", "unexpected argument '%s'", argv[optind + 1]);
	if (!info_collect(argv[optind], (unsigned)buckets, &ti, err, sizeof err)) {
		fprintf(stderr, "hvsim trace info: %s\n", err);
		return EXIT_USAGE;
	}
	if (!(json ? info_print_json : info_print)(stdout, argv[optind], &ti)) {
		fprintf(stderr, "hvsim trace info: writing to stdout failed\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*main)(int, char **);
	} subs[] = { { "gen", trace_gen }, { "import", trace_import }, { "info", trace_info } };

	if (argc < 2) {
		trace_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		trace_usage(stdout);
		return EXIT_OK;
	}
	for (unsigned i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].main(argc - 1, argv + 1);
	return usage_error("trace", "unknown command '%s' (gen, import or info)", argv[1]);
}
