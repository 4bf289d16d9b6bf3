/*
 * nm(1) as a test oracle: the symbols of an ELF image as binutils lists them. Shared by the
 * debugger's tests (tests/sim/test_debug_*.c).
 */
#ifndef HVSIM_TESTS_SIM_NM_ORACLE_H
#define HVSIM_TESTS_SIM_NM_ORACLE_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nm_sym {
	uint64_t addr, size;
	char type;
	char name[160];
};

struct nm_list {
	struct nm_sym *s;
	size_t n;
};

static inline bool tool_present(const char *tool)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* `nm -S`: "ADDR [SIZE] TYPE NAME"; absolute (A) and undefined symbols are left out. */
static inline void nm_read(const char *path, struct nm_list *l)
{
	char cmd[600], line[512];
	FILE *p;

	snprintf(cmd, sizeof cmd, "nm -S '%s'", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	l->s = NULL;
	l->n = 0;
	while (fgets(line, sizeof line, p)) {
		struct nm_sym x = { 0 };
		char a[32], b[32], c[160], d[160];
		int k = sscanf(line, "%31s %31s %159s %159s", a, b, c, d);
		if (k == 4) {
			x.addr = strtoull(a, NULL, 16);
			x.size = strtoull(b, NULL, 16);
			x.type = c[0];
			snprintf(x.name, sizeof x.name, "%s", d);
		} else if (k == 3) {
			x.addr = strtoull(a, NULL, 16);
			x.type = b[0];
			snprintf(x.name, sizeof x.name, "%s", c);
		} else {
			continue;
		}
		if (x.type == 'A' || x.type == 'a' || x.type == 'U' || x.type == 'w')
			continue;
		l->s = realloc(l->s, (l->n + 1) * sizeof *l->s);
		l->s[l->n++] = x;
	}
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_uint_gt(l->n, 0);
}

static inline bool nm_has(const struct nm_list *l, const char *name, uint64_t addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->s[i].addr == addr && !strcmp(l->s[i].name, name))
			return true;
	return false;
}

static inline const struct nm_sym *nm_find(const struct nm_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->s[i].name, name))
			return &l->s[i];
	return NULL;
}

#endif
