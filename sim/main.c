/* hvsim: instruction-accurate x86-64 CPU and hypervisor simulator. */
#include <stdio.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/exitcode.h"

const struct command commands[] = {
	{ "run", "boot an image (ELF64 or Multiboot) and run it", cmd_run },
	{ "debug", "boot an image under the built-in debugger (gdb: run/migrate --gdb)", cmd_debug },
	{ "migrate", "boot hv, run a guest, live-migrate it and verify", cmd_migrate },
	{ "record", "run a live migration and record the guest's page writes as a trace", cmd_record },
	{ "replay", "replay a migration trace through hv's real migration loop", cmd_replay },
	{ "trace", "make and inspect traces: gen, import, info", cmd_trace },
	{ "info", "show CPU profiles and what this build supports", cmd_info },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hvsim <command> [options]\n\n"
		   "An instruction-accurate x86-64 CPU and VMX hypervisor simulator that models SMAP,\n"
		   "EPT accessed/dirty flags and Page Modification Logging deterministically.\n\n"
		   "commands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f, "\nglobal options:\n"
		   "  -h, --help     show this help ('hvsim COMMAND --help' for a command)\n"
		   "  -V, --version  print the version\n\n"
		   "exit codes: 0 success, 1 guest reported failure, 2 usage or input error,\n"
		   "            3 simulator fault (triple fault, budget exhausted, unmodelled state)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("hvsim %s\n", HVSIM_VERSION);
		return EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option '%s'", argv[1]);
	return usage_error(NULL, "unknown command '%s'", argv[1]);
}
