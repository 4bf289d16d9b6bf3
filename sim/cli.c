#include "sim/cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "sim/exitcode.h"

int usage_error(const char *sub, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "hvsim%s%s: ", sub ? " " : "", sub ? sub : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'hvsim %s%s--help')\n", sub ? sub : "", sub ? " " : "");
	return EXIT_USAGE;
}

int usage_getopt(const char *sub, int c, char **argv)
{
	if (c == ':')
		return usage_error(sub, "option '%s' needs a value", argv[optind - 1]);
	return usage_error(sub, "unknown option '%s'", argv[optind - 1]);
}

static bool parse_scaled(const char *s, uint64_t *out, const char *suffixes, uint64_t base)
{
	char *end;
	uint64_t mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno)
		return false;
	if (*end) {
		const char *p = suffixes;
		uint64_t m = base;
		for (; *p && *p != *end; p++)
			m *= base;
		if (!*p || end[1])
			return false;
		mult = m;
	}
	if (v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

bool parse_size(const char *s, uint64_t *out)
{
	return parse_scaled(s, out, "KMGT", 1024);
}

bool parse_count(const char *s, uint64_t *out)
{
	return parse_scaled(s, out, "kMG", 1000);
}

bool parse_log_list(const char *s, unsigned *log)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = { { "faults", CPU_LOG_FAULTS }, { "events", CPU_LOG_EVENTS }, { "vmx", CPU_LOG_VMX } };
	char buf[128];

	if (strlen(s) >= sizeof buf)
		return false;
	strcpy(buf, s);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned i;
		for (i = 0; i < sizeof names / sizeof names[0] && strcmp(tok, names[i].name); i++)
			;
		if (i == sizeof names / sizeof names[0])
			return false;
		*log |= names[i].bit;
	}
	return true;
}
