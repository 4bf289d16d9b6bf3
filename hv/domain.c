/*
 * Domains: the current one, how they end, and their console. A guest's console output goes out
 * line by line, so hv's own lines always start at column 0, and a guest line that starts with
 * '@' is prefixed, so that no guest can forge hv's machine-readable records.
 */
#include "domain.h"

#include "hypercall.h"

static struct domain *current;

struct domain *current_domain(void)
{
	return current;
}

void domain_set_current(struct domain *d)
{
	current = d;
}

const char *domain_result_name(int result)
{
	static const char *const names[] = {
		[HV_RESULT_SUCCESS] = "SUCCESS", [HV_RESULT_FAILURE] = "FAILURE",
		[HV_RESULT_ERROR] = "ERROR", [HV_RESULT_SKIP] = "SKIP",
	};
	if (result == DOMAIN_CRASHED)
		return "CRASHED";
	if (result == DOMAIN_HALTED)
		return "HALTED";
	return result >= 0 && (size_t)result < ARRAY_SIZE(names) && names[result] ? names[result] : "ERROR";
}

void domain_end(struct domain *d, int result)
{
	if (d->conlen)
		domain_console(d, "\n", 1);
	d->result = result;
	hypercall_leave();
	hv_longjmp(&d->ended, 1);
}

void domain_crash(struct domain *d, const char *why)
{
	printf("hv: guest %s crashed: %s\n", d->name, why);
	domain_end(d, DOMAIN_CRASHED);
}

void domain_console(struct domain *d, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\n' && d->conlen < sizeof d->conbuf)
			d->conbuf[d->conlen++] = s[i];
		if (s[i] == '\n' || d->conlen == sizeof d->conbuf) {
			/* hv's own "@" records (migrate.h) never come from a guest */
			if (d->conbuf[0] == '@')
				console_write("[guest] ", 8);
			console_write(d->conbuf, d->conlen);
			if (s[i] == '\n')
				console_write("\n", 1);
			d->conlen = 0;
		}
	}
}
