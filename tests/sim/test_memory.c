/*
 * Guest RAM larger than 3 GiB, laid out as QEMU's pc machine does (cpu/phys.h, README "Booting"):
 * RAM below 3 GiB at physical 0, the rest from 4 GiB, nothing but MMIO in [3 GiB, 4 GiB).
 *
 * Every expected address here is worked out from that rule by hand (3 GiB = 0xc0000000,
 * 4 GiB = 0x100000000; high RAM's host offset is 3 GiB), not computed by cpu/phys.h.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cpu/phys.h"
#include "sim/ram.h"
#include "tests/lib/harness.h"

#define KiB 1024ull
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define NONE UINT64_MAX /* phys_host must return NULL */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the lookup, by arithmetic ---- */

struct lookup_case {
	uint64_t pa, len;
	uint64_t host_off; /* offset into the host block, or NONE */
	const char *rule;
};

static void check_lookups(uint64_t size, const struct lookup_case *c, unsigned n)
{
	uint8_t *host = ram_alloc(size); /* MAP_NORESERVE: nothing here touches it */
	struct phys p;

	ck_assert_ptr_nonnull(host);
	p = phys_layout(host, size);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *got = phys_host(&p, c[i].pa, c[i].len);
		uint8_t *want = c[i].host_off == NONE ? NULL : host + c[i].host_off;
		ck_assert_msg(got == want,
			      "RAM %#llx, pa %#llx len %#llx (%s): host offset %#llx, want %#llx",
			      (unsigned long long)size, (unsigned long long)c[i].pa,
			      (unsigned long long)c[i].len, c[i].rule,
			      got ? (unsigned long long)(got - host) : NONE,
			      (unsigned long long)c[i].host_off);
		ck_assert_msg(phys_contains(&p, c[i].pa, c[i].len) == (want != NULL), "%s", c[i].rule);
	}
	ram_free(host, size);
}

/* 16 GiB: 3 GiB low, 13 GiB high at 0x100000000..0x43fffffff. */
START_TEST(lookup_16g)
{
	static const struct lookup_case c[] = {
		{ 0, 8, 0, "first word of RAM" },
		{ 0, 3 * GiB, 0, "all of low RAM at once" },
		{ 0, 3 * GiB + 1, NONE, "low RAM and one byte of the hole" },
		{ 0xbffffff8, 8, 0xbffffff8, "last word below the hole" },
		{ 0xbfffffff, 1, 0xbfffffff, "last byte below the hole" },
		{ 0xbffffffc, 8, NONE, "word straddling 3 GiB into the hole" },
		{ 0xc0000000, 1, NONE, "first byte of the hole" },
		{ 0xfee00000, 4, NONE, "local APIC page, inside the hole" },
		{ 0xffffffff, 1, NONE, "last byte of the hole" },
		{ 0xfffffffc, 8, NONE, "word straddling the hole into 4 GiB" },
		{ 0x100000000, 8, 3 * GiB, "first word of high RAM: host offset 3 GiB" },
		{ 0x100000000, 13 * GiB, 3 * GiB, "all of high RAM at once" },
		{ 0x100001234, 2, 3 * GiB + 0x1234, "inside high RAM" },
		{ 0x43ffffff8, 8, 16 * GiB - 8, "last word of high RAM: 4 GiB + 13 GiB - 8" },
		{ 0x43ffffffc, 8, NONE, "word straddling the end of high RAM" },
		{ 0x440000000, 1, NONE, "first byte past high RAM" },
		{ 0xbffff000, 0x40001000, NONE, "low RAM, the whole hole, high RAM" },
		{ 0, 16 * GiB, NONE, "RAM's size from 0 spans the hole" },
		{ UINT64_MAX - 3, 8, NONE, "a range that wraps around" },
	};
	check_lookups(16 * GiB, c, ARRAY_LEN(c));
}
END_TEST

/* Up to 3 GiB there is no high RAM: everything from the end of RAM up is absent. */
START_TEST(lookup_up_to_3g)
{
	static const struct lookup_case c256[] = {
		{ 0xffffff8, 8, 0xffffff8, "last word of 256 MiB" },
		{ 0xffffffc, 8, NONE, "word straddling the end of RAM" },
		{ 0x10000000, 1, NONE, "first byte past RAM" },
		{ 0x100000000, 8, NONE, "4 GiB: no high RAM" },
	};
	static const struct lookup_case c3g[] = {
		{ 0xbffffff8, 8, 0xbffffff8, "last word of exactly 3 GiB" },
		{ 0xc0000000, 1, NONE, "3 GiB: the hole" },
		{ 0x100000000, 1, NONE, "4 GiB: no high RAM with exactly 3 GiB" },
	};
	check_lookups(256 * MiB, c256, ARRAY_LEN(c256));
	check_lookups(3 * GiB, c3g, ARRAY_LEN(c3g));
}
END_TEST

/* 3 GiB + 4 KiB: high RAM is one page, 0x100000000..0x100000fff, at host offset 3 GiB. */
START_TEST(lookup_one_high_page)
{
	static const struct lookup_case c[] = {
		{ 0x100000000, 0x1000, 3 * GiB, "the one high page, whole" },
		{ 0x100000ff8, 8, 3 * GiB + 0xff8, "its last word" },
		{ 0x100000ffc, 8, NONE, "straddling its end" },
		{ 0x100001000, 1, NONE, "past it" },
	};
	check_lookups(3 * GiB + 4 * KiB, c, ARRAY_LEN(c));
}
END_TEST

/* Paging-structure reads: RAM on both sides of the hole; all ones from the hole (cpu/phys.h). */
START_TEST(read64_write64_across_the_hole)
{
	uint64_t size = 5 * GiB;
	uint8_t *host = ram_alloc(size);
	struct phys p;
	uint64_t v;

	ck_assert_ptr_nonnull(host);
	p = phys_layout(host, size);
	phys_write64(&p, 0x100000000, 0x1122334455667788ull);
	memcpy(&v, host + 3 * GiB, 8);
	ck_assert_uint_eq(v, 0x1122334455667788ull);  /* 4 GiB lives at host offset 3 GiB */
	ck_assert_uint_eq(phys_read64(&p, 0x100000000), 0x1122334455667788ull);
	memcpy(&v, host, 8);
	ck_assert_uint_eq(v, 0);                        /* and does not alias physical 0 */
	phys_write64(&p, 0xbffffff8, 42);
	ck_assert_uint_eq(phys_read64(&p, 0xbffffff8), 42);
	phys_write64(&p, 0xc0000000, 7);                /* the hole: ignored */
	ck_assert_uint_eq(phys_read64(&p, 0xc0000000), ~0ull);
	ck_assert_uint_eq(phys_read64(&p, 0xfee00000), ~0ull);
	ck_assert_uint_eq(phys_read64(&p, 0x17ffffffc), ~0ull); /* straddles 4 GiB + 2 GiB, the end */
	ram_free(host, size);
}
END_TEST

/* ---- Multiboot kernels with RAM above 4 GiB ---- */

static void expect_line(const struct run_result *r, const char *what, const char *line)
{
	ck_assert_msg(strstr(r->out, line), "%s: '%s' not in output:\n%s", what, line, r->out);
}

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static const struct {
	const char *mem;
	uint64_t bytes;
} big_machines[] = {
	{ "3G", 3 * GiB },                  /* the largest machine without high RAM */
	{ "3145732K", 3 * GiB + 4 * KiB },  /* one page above 4 GiB */
	{ "16G", 16 * GiB },
	{ "64G", 64 * GiB },                /* RAM_MAX */
};

/*
 * The map a kernel must see for 'mem' bytes (README "Booting"): [0, 640K) available, the legacy
 * window reserved, [1 MiB, min(mem, 3 GiB)) available, nothing in the hole, and the rest of RAM
 * from 4 GiB. mem_upper stops at the first hole (Multiboot 3.3). The kernel writes the first and
 * last page of each available region (but the first of upper memory, which holds the kernel).
 */
static void expect_machine(const struct run_result *r, const char *what, uint64_t mem)
{
	uint64_t low = mem < 3 * GiB ? mem : 3 * GiB, high = mem - low;
	char line[160];

	snprintf(line, sizeof line, "mb: mem_lower=640 KiB mem_upper=%llu KiB\n",
		 (unsigned long long)((low - MiB) / KiB));
	expect_line(r, what, line);
	expect_line(r, what, "mb: mmap base=0 len=a0000 type=1\n");
	expect_line(r, what, "mb: mmap base=a0000 len=60000 type=2\n");
	snprintf(line, sizeof line, "mb: mmap base=100000 len=%llx type=1\n",
		 (unsigned long long)(low - MiB));
	expect_line(r, what, line);
	expect_line(r, what, "mb: ram page 0 ok\n");
	expect_line(r, what, "mb: ram page 9f000 ok\n");
	snprintf(line, sizeof line, "mb: ram page %llx ok\n", (unsigned long long)(low - 4 * KiB));
	expect_line(r, what, line);
	ck_assert_msg(count(r->out, "mb: mmap ") == (high ? 4u : 3u), "%s: map entries:\n%s", what,
		      r->out);
	if (!high)
		return;
	snprintf(line, sizeof line, "mb: mmap base=100000000 len=%llx type=1\n",
		 (unsigned long long)high);
	expect_line(r, what, line);
	expect_line(r, what, "mb: ram page 100000000 ok\n");
	snprintf(line, sizeof line, "mb: ram page %llx ok\n",
		 (unsigned long long)(4 * GiB + high - 4 * KiB));
	expect_line(r, what, line);
}

START_TEST(multiboot_sees_and_uses_ram_above_4g)
{
	static const char *const kernels[] = { "tests/guests/mb/mb1.elf", "tests/guests/mb/mb2.elf" };
	unsigned i = (unsigned)_i;

	for (unsigned k = 0; k < ARRAY_LEN(kernels); k++) {
		struct run_result r;
		char what[96];
		snprintf(what, sizeof what, "%s --mem %s", kernels[k], big_machines[i].mem);
		run_hvsim(&r, (const char *const[]){ "run", "--mem", big_machines[i].mem,
						     build_path(kernels[k]), NULL });
		ck_assert_msg(r.exit_code == 0, "%s: exit %d, stderr: %s\nstdout: %s", what,
			      r.exit_code, r.err, r.out);
		expect_machine(&r, what, big_machines[i].bytes);
		ck_assert_msg(!strstr(r.out, "BAD"), "%s:\n%s", what, r.out);
		run_result_free(&r);
	}
}
END_TEST

/*
 * RAM is reserved, not committed: a 64 GiB machine whose guest touches a few pages stays small.
 * RUSAGE_CHILDREN's ru_maxrss is the largest child's peak (getrusage(2)); Check runs each test in
 * its own process, so the children are this test's hvsim runs.
 */
START_TEST(big_ram_is_allocated_lazily)
{
	struct run_result r;
	struct rusage ru;

	run_hvsim(&r, (const char *const[]){ "run", "--mem", "64G",
					     build_path("tests/guests/mb/mb2.elf"), NULL });
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	run_result_free(&r);
	ck_assert_int_eq(getrusage(RUSAGE_CHILDREN, &ru), 0);
	ck_assert_msg((uint64_t)ru.ru_maxrss * KiB < 512 * MiB, "peak RSS %ld KiB", ru.ru_maxrss);
}
END_TEST

/* ---- ELF64 guests: RDI and fw_cfg report all RAM (README "Booting") ---- */

START_TEST(elf64_guests_boot_with_16g)
{
	struct run_result r;

	run_hvsim(&r, (const char *const[]){ "run", "--mem", "16G",
					     build_path("workloads/hello.elf"), NULL });
	ck_assert_msg(r.exit_code == 0, "exit %d: %s", r.exit_code, r.err);
	expect_line(&r, "hello", "16384 MiB of RAM"); /* RDI: all RAM, both ranges */
	run_result_free(&r);
	run_hvsim(&r, (const char *const[]){ "run", "--mem", "16G",
					     build_path("tests/guests/timer.elf"), NULL });
	ck_assert_msg(r.exit_code == 0, "exit %d: %s\n%s", r.exit_code, r.err, r.out);
	/* QEMU's FW_CFG_RAM_SIZE is the machine's whole RAM; the guest compares it with RDI. */
	expect_line(&r, "timer", "PASS fw_cfg RAM size matches the boot RAM size");
	run_result_free(&r);
}
END_TEST

/* ---- --mem limits: one line, exit 2 ---- */

START_TEST(mem_limits)
{
	static const struct {
		const char *mem;
		int exit_code;
		const char *rule;
	} cases[] = {
		{ "65G", 2, "above RAM_MAX (64 GiB)" },
		{ "68719480832", 2, "64 GiB + 4 KiB, just above RAM_MAX" },
		{ "3221225473", 2, "3 GiB + 1 byte: not a multiple of 4 KiB" },
		{ "1M", 2, "below RAM_MIN (2 MiB)" },
		{ "64G", 0, "RAM_MAX itself" },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct run_result r;
		run_hvsim(&r, (const char *const[]){ "run", "--mem", cases[i].mem,
						     build_path("workloads/hello.elf"), NULL });
		ck_assert_msg(r.exit_code == cases[i].exit_code, "--mem %s (%s): exit %d, stderr %s",
			      cases[i].mem, cases[i].rule, r.exit_code, r.err);
		if (cases[i].exit_code == 2) {
			ck_assert_msg(count(r.err, "\n") == 1, "--mem %s: not one line: %s",
				      cases[i].mem, r.err);
			ck_assert_msg(strstr(r.err, cases[i].mem) && strstr(r.err, "2M to 64G"),
				      "--mem %s: %s", cases[i].mem, r.err);
		}
		run_result_free(&r);
	}
}
END_TEST

Suite *suite_memory(void)
{
	Suite *s = suite_create("sim/memory");
	TCase *unit = tcase_create("phys lookup");
	TCase *e2e = tcase_create("big machines");

	tcase_add_test(unit, lookup_16g);
	tcase_add_test(unit, lookup_up_to_3g);
	tcase_add_test(unit, lookup_one_high_page);
	tcase_add_test(unit, read64_write64_across_the_hole);
	suite_add_tcase(s, unit);
	tcase_set_timeout(e2e, 120);
	tcase_add_loop_test(e2e, multiboot_sees_and_uses_ram_above_4g, 0, ARRAY_LEN(big_machines));
	tcase_add_test(e2e, big_ram_is_allocated_lazily);
	tcase_add_test(e2e, elf64_guests_boot_with_16g);
	tcase_add_test(e2e, mem_limits);
	suite_add_tcase(s, e2e);
	return s;
}
