/* hvsim run: boot an image and run it to completion; the options hvsim debug shares. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cpu/profile.h"
#include "sim/cli.h"
#include "sim/debug/gdbstub.h"
#include "sim/exitcode.h"
#include "sim/loader.h"
#include "sim/machine.h"
#include "sim/ram.h"
#include "sim/run_opts.h"
#include "sim/statehash.h"

static const char run_intro[] =
	"usage: hvsim run [options] IMAGE\n\n"
	"Boot IMAGE and run it until it writes the debug-exit port (0xf4), halts with\n"
	"interrupts off, or faults. IMAGE is a Multiboot v2 or v1 kernel (32-bit protected-mode\n"
	"entry, as GRUB or QEMU -kernel boot it) or else an ELF64 executable (entered in long\n"
	"mode); README \"Booting\" documents both entry states.\n\n";

static const char debug_intro[] =
	"usage: hvsim debug [options] IMAGE\n\n"
	"Boot IMAGE as 'hvsim run' does, stopped before its first instruction, under the built-in\n"
	"debugger: breakpoints by address or symbol (IMAGE's and its modules' ELF symbols),\n"
	"catchpoints on hypercalls, VM exits and faults, stepping forwards and backwards, and the\n"
	"VMCS, EPT, page tables and PML buffer decoded ('help' lists the commands; README\n"
	"\"Debugging\").\n\n";

static void run_usage(enum run_cmd which, FILE *f)
{
	fputs(which == RUN_CMD_RUN ? run_intro : debug_intro, f);
	fprintf(f,
		"options:\n"
		"  -m, --mem SIZE         guest RAM (default 256M; 2M..64G, a multiple of 4K; K/M/G\n"
		"                         suffixes); RAM past 3G continues at 4G, leaving 3G..4G\n"
		"                         to MMIO (the PC's PCI hole; README \"Booting\")\n"
		"      --serial FILE      write COM1 output to FILE instead of stdout\n"
		"      --cmdline STRING   command line passed to the image\n"
		"      --module 'FILE ARGS'\n"
		"                         load FILE as a Multiboot boot module (repeatable, kept in\n"
		"                         order; at most %u, each value under %u bytes); the kernel\n"
		"                         sees the whole value, FILE (up to the first space) and\n"
		"                         ARGS, as the module's string, as GRUB's 'module' and\n"
		"                         QEMU's -initrd pass it. Modules go page-aligned from the\n"
		"                         first page after the kernel, below 3G (README \"Booting\")\n"
		"      --cpu PROFILE      CPU profile (default broadwell-ep; see 'hvsim info')\n"
		"      --log WHAT         comma-separated: faults (every #PF with RIP, CR2, error code,\n"
		"                         CPL, AC and the reason: not-present, reserved-bit,\n"
		"                         user/supervisor, write-protect, nx, smep, smap,\n"
		"                         implicit-smap), events (every exception/interrupt delivered),\n"
		"                         vmx (every VM entry and exit: reason, qualification, GPA, RIP)\n"
		"      --log-file FILE    write --log output to FILE (default stderr)\n"
		"      --max-insns N      stop with exit code 3 after N guest instructions\n"
		"                         (k/M/G suffixes; default unlimited)\n"
		"      --exit-code STYLE  native (default): debug-exit value v gives 0 if v=0 else 1;\n"
		"                         qemu: (v<<1)|1 like QEMU's isa-debug-exit\n"
		"      --hash             print a hash of registers + RAM at exit (determinism checks)\n",
		MB_MODULES_MAX, MB_MODULE_STRING_MAX);
	if (which == RUN_CMD_RUN)
		fputs("      --gdb WHERE        serve the GDB remote protocol on WHERE: :PORT or\n"
		      "                         localhost:PORT (loopback only), or unix:PATH; then\n"
		      "                         'target remote' in gdb (README \"Debugging\")\n"
		      "      --wait             with --gdb: wait for gdb before the first instruction\n", f);
	else
		fputs("  -x, --command FILE     run the debugger commands in FILE first\n"
		      "      --batch            exit after them (the first failing one: exit 2)\n", f);
	fputs("  -h, --help             show this help\n\n"
	      "exit codes: 0 success, 1 guest failure, 2 usage/input error, 3 simulator fault,\n"
	      "4 stopped by the user (gdb's kill, the debugger's quit before the end)\n", f);
}

enum { OPT_SERIAL = 256, OPT_CMDLINE, OPT_MODULE, OPT_CPU, OPT_LOG, OPT_LOG_FILE, OPT_MAX_INSNS, OPT_EXIT_CODE,
       OPT_HASH, OPT_GDB, OPT_WAIT, OPT_BATCH };

int run_parse(enum run_cmd which, int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "serial", required_argument, NULL, OPT_SERIAL },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "module", required_argument, NULL, OPT_MODULE },
		{ "cpu", required_argument, NULL, OPT_CPU },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "max-insns", required_argument, NULL, OPT_MAX_INSNS },
		{ "exit-code", required_argument, NULL, OPT_EXIT_CODE },
		{ "hash", no_argument, NULL, OPT_HASH },
		{ "gdb", required_argument, NULL, OPT_GDB },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "command", required_argument, NULL, 'x' },
		{ "batch", no_argument, NULL, OPT_BATCH },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub = which == RUN_CMD_RUN ? "run" : "debug";
	struct machine_config *cfg = &o->cfg;
	char err[160];
	int c;

	*o = (struct run_opts){ .cfg = { .ram_size = 256ull << 20 } };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, which == RUN_CMD_RUN ? ":m:h" : ":m:x:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!parse_size(optarg, &cfg->ram_size) || cfg->ram_size < RAM_MIN ||
			    cfg->ram_size > RAM_MAX || (cfg->ram_size & 0xfff))
				return usage_error(sub, "--mem '%s': expected a 4K-multiple size from 2M to 64G", optarg);
			break;
		case OPT_SERIAL:
			cfg->serial_path = optarg;
			break;
		case OPT_CMDLINE:
			cfg->cmdline = optarg;
			break;
		case OPT_MODULE:
			if (cfg->module_count == MB_MODULES_MAX)
				return usage_error(sub, "--module '%s': more than %u modules", optarg,
						   MB_MODULES_MAX);
			cfg->modules[cfg->module_count++] = optarg;
			break;
		case OPT_CPU:
			if (!profile_find(optarg))
				return usage_error(sub, "--cpu '%s': unknown profile (see 'hvsim info')", optarg);
			cfg->profile = optarg;
			break;
		case OPT_LOG:
			if (!parse_log_list(optarg, &cfg->log))
				return usage_error(sub, "--log '%s': expected a list of faults, events, vmx", optarg);
			break;
		case OPT_LOG_FILE:
			o->log_file = optarg;
			break;
		case OPT_MAX_INSNS:
			if (!parse_count(optarg, &cfg->max_insns) || !cfg->max_insns)
				return usage_error(sub, "--max-insns '%s': expected a positive count", optarg);
			break;
		case OPT_EXIT_CODE:
			if (!strcmp(optarg, "native"))
				cfg->exit_style = EXIT_STYLE_NATIVE;
			else if (!strcmp(optarg, "qemu"))
				cfg->exit_style = EXIT_STYLE_QEMU;
			else
				return usage_error(sub, "--exit-code '%s': expected native or qemu", optarg);
			break;
		case OPT_HASH:
			o->hash = true;
			break;
		case OPT_GDB:
			if (which != RUN_CMD_RUN)
				return usage_error(sub, "--gdb: gdb connects to 'hvsim run --gdb'");
			if (!gdbstub_parse_where(optarg, err, sizeof err))
				return usage_error(sub, "--gdb '%s': %s", optarg, err);
			o->gdb = optarg;
			break;
		case OPT_WAIT:
			if (which != RUN_CMD_RUN)
				return usage_error(sub, "--wait: only with 'hvsim run --gdb'");
			o->wait = true;
			break;
		case 'x':
			if (which != RUN_CMD_DEBUG)
				return usage_error(sub, "--command: a script option of 'hvsim debug'");
			o->script = optarg;
			break;
		case OPT_BATCH:
			if (which != RUN_CMD_DEBUG)
				return usage_error(sub, "--batch: a script option of 'hvsim debug'");
			o->batch = true;
			break;
		case 'h':
			run_usage(which, stdout);
			return EXIT_OK;
		default:
			return usage_getopt(sub, c, argv);
		}
	}
	if (optind != argc - 1)
		return usage_error(sub, optind == argc ? "missing IMAGE" : "more than one IMAGE given");
	cfg->image = argv[optind];
	if (o->wait && !o->gdb)
		return usage_error(sub, "--wait: only with --gdb");
	if (o->hash && (o->gdb || which == RUN_CMD_DEBUG))
		return usage_error(sub, "--hash: not under a debugger (it may change the state)");
	return RUN_ARGS_GO;
}

bool run_open_log(const char *sub, const struct run_opts *o, FILE **logf)
{
	*logf = NULL;
	if (o->log_file && !(*logf = fopen(o->log_file, "w"))) {
		fprintf(stderr, "hvsim %s: %s: cannot open for writing\n", sub, o->log_file);
		return false;
	}
	return true;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct machine m;
	FILE *logf;
	int rc = run_parse(RUN_CMD_RUN, argc, argv, &o);

	if (rc != RUN_ARGS_GO)
		return rc;
	if (!run_open_log("run", &o, &logf))
		return EXIT_USAGE;
	if (o.gdb) {
		rc = debug_machine(&o.cfg, logf, NULL, NULL,
				   &(struct debug_how){ .gdb = o.gdb, .wait = o.wait });
		if (logf)
			fclose(logf);
		return rc;
	}

	rc = machine_create(&m, &o.cfg);
	m.cpu.cfg.log_file = logf;
	if (rc == EXIT_OK)
		rc = machine_boot(&m);
	if (rc == EXIT_OK) {
		rc = machine_run(&m);
		if (o.hash)
			printf("state-hash: %016llx\n", (unsigned long long)state_hash(&m.cpu));
	}
	machine_destroy(&m);
	if (logf)
		fclose(logf);
	return rc;
}
