/* hvsim info: what this build models. */
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#include "cpu/profile.h"
#include "sim/cli.h"
#include "sim/exitcode.h"

int cmd_info(int argc, char **argv)
{
	unsigned major, minor;
	int cs_major, cs_minor;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: hvsim info\n\nList the CPU profiles (for --cpu) and library versions.\n");
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error("info", "unexpected argument '%s'", argv[1]);
	uc_version(&major, &minor);
	cs_version(&cs_major, &cs_minor);
	printf("hvsim %s (Unicorn %u.%u, Capstone %d.%d)\n\nCPU profiles (--cpu):\n", HVSIM_VERSION,
	       major, minor, cs_major, cs_minor);
	for (unsigned i = 0; profile_at(i); i++)
		printf("  %-22s %s\n", profile_at(i)->name, profile_at(i)->summary);
	return EXIT_OK;
}
