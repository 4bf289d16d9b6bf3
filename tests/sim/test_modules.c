/*
 * Boot modules end to end (`hvsim run --module`, README "Booting"). The Multiboot test kernels
 * (tests/guests/mb) print every module the boot information lists, with an FNV-1a checksum of
 * its bytes, and their own extent from their link-time symbols. The expectations come from the
 * files written here and from the rules as README states them, each named where it is checked:
 * the string is the whole --module value; modules go in order, each at the next 4 KiB boundary,
 * the first at the boundary after the kernel's last byte; they lie in RAM the memory map lists as
 * available, below 3 GiB, clear of the kernel and of each other.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/harness.h"

#define PAGE 0x1000ul
#define MiB 0x100000ul
#define GiB (1024 * MiB)
#define LOW_RAM_MAX (3 * GiB) /* README: RAM below the PCI hole */
#define MODULES_MAX 32u       /* README: at most 32 modules, each value under 1024 bytes */
#define VALUE_MAX 1024u

static unsigned long page_up(unsigned long a)
{
	return (a + PAGE - 1) & ~(PAGE - 1);
}

/* FNV-1a, 32-bit: offset basis 0x811c9dc5, prime 0x01000193 (as the test kernel computes it). */
static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 0x811c9dc5u;

	while (n--)
		h = (h ^ *p++) * 0x01000193u;
	return h;
}

/* Bytes from a xorshift32 stream: files that differ in every byte, reproducibly. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static bool overlaps(unsigned long a_lo, unsigned long a_hi, unsigned long b_lo,
		     unsigned long b_hi)
{
	return a_lo < b_hi && b_lo < a_hi;
}

/* ---- modules as the kernel sees them ---- */

static const struct {
	size_t size;
	uint32_t seed;
	const char *args; /* after the path and one space; NULL: the path alone */
} files[] = {
	{ 5000, 1, "a=1 b" },          /* two pages, the second partly */
	{ 0, 0, NULL },                /* empty: mod_start = mod_end */
	{ 4096, 2, " two  spaces " },  /* exactly a page; arguments kept byte for byte */
	{ 1, 3, "last" },
};
#define NFILES (sizeof files / sizeof files[0])

/* The module files and the --module values naming them. */
struct module_set {
	char path[NFILES][64];
	char value[NFILES][VALUE_MAX];
	char opt[NFILES][VALUE_MAX + 16]; /* "--module=VALUE" */
	uint32_t fnv[NFILES];
};

static void module_set_create(struct module_set *ms)
{
	static uint8_t data[8192];

	for (unsigned i = 0; i < NFILES; i++) {
		fill(data, files[i].size, files[i].seed);
		ms->fnv[i] = fnv1a(data, files[i].size);
		snprintf(ms->path[i], sizeof ms->path[i], "%s", temp_file(data, files[i].size));
		snprintf(ms->value[i], sizeof ms->value[i], "%s%s%s", ms->path[i],
			 files[i].args ? " " : "", files[i].args ? files[i].args : "");
		snprintf(ms->opt[i], sizeof ms->opt[i], "--module=%s", ms->value[i]);
	}
}

static void module_set_remove(const struct module_set *ms)
{
	for (unsigned i = 0; i < NFILES; i++)
		unlink(ms->path[i]);
}

/* One "mb: module" line of the test kernel (tests/guests/mb/main.c). */
struct seen {
	unsigned long start, end, string;
	char text[VALUE_MAX + 1];
	unsigned fnv;
};

static bool parse_module(const char *out, unsigned i, struct seen *s)
{
	char head[32];
	const char *line, *q, *close;
	int n = 0;

	snprintf(head, sizeof head, "mb: module %u ", i);
	line = strstr(out, head);
	if (!line || sscanf(line + strlen(head), "start=%lx end=%lx string@%lx \"%n", &s->start,
			    &s->end, &s->string, &n) != 3 || !n)
		return false;
	q = line + strlen(head) + n;
	close = strstr(q, "\" fnv1a=");
	if (!close || (size_t)(close - q) > VALUE_MAX || sscanf(close, "\" fnv1a=%x", &s->fnv) != 1)
		return false;
	memcpy(s->text, q, (size_t)(close - q));
	s->text[close - q] = 0;
	return true;
}

/* One boot: the files given, the kernel booted, and what it reported of itself. */
struct boot {
	const struct module_set *ms;
	const char *image;
	unsigned long mem, kernel_lo, kernel_hi;
	struct seen seen[NFILES];
};

static void check_module(struct report *rep, const struct boot *b, unsigned i,
			 unsigned long expect_start)
{
	const struct seen *s = &b->seen[i];
	unsigned long ram_top = b->mem < LOW_RAM_MAX ? b->mem : LOW_RAM_MAX;

	if (s->start % PAGE)
		report_broken(rep, "%s: module %u: start %#lx is not 4 KiB-aligned", b->image, i,
			      s->start);
	if (s->start != expect_start)
		report_broken(rep, "%s: module %u: start %#lx, expected %#lx (the first page boundary after %s)",
			      b->image, i, s->start, expect_start,
			      i ? "the previous module" : "the kernel");
	if (s->end - s->start != files[i].size)
		report_broken(rep, "%s: module %u: %#lx-%#lx holds %lu bytes, the file %zu", b->image,
			      i, s->start, s->end, s->end - s->start, files[i].size);
	if (s->start < MiB || s->end > ram_top)
		report_broken(rep, "%s: module %u: %#lx-%#lx is outside available RAM [1 MiB, %#lx)",
			      b->image, i, s->start, s->end, ram_top);
	if (overlaps(s->start, s->end, b->kernel_lo, b->kernel_hi))
		report_broken(rep, "%s: module %u: %#lx-%#lx overlaps the kernel %#lx-%#lx", b->image,
			      i, s->start, s->end, b->kernel_lo, b->kernel_hi);
	if (strcmp(s->text, b->ms->value[i]))
		report_broken(rep, "%s: module %u: string \"%s\", expected the --module value \"%s\"",
			      b->image, i, s->text, b->ms->value[i]);
	if (s->fnv != b->ms->fnv[i])
		report_broken(rep, "%s: module %u: FNV-1a %#x, the file's is %#x", b->image, i, s->fnv,
			      b->ms->fnv[i]);
}

/* Strings live with the boot information: never inside the kernel or a module. */
static void check_apart(struct report *rep, const struct boot *b)
{
	const struct seen *s = b->seen;

	for (unsigned i = 0; i < NFILES; i++) {
		unsigned long str_end = s[i].string + strlen(s[i].text) + 1;
		if (overlaps(s[i].string, str_end, b->kernel_lo, b->kernel_hi))
			report_broken(rep, "%s: module %u: string at %#lx is inside the kernel", b->image,
				      i, s[i].string);
		for (unsigned j = 0; j < NFILES; j++) {
			if (overlaps(s[i].string, str_end, s[j].start, s[j].end))
				report_broken(rep, "%s: module %u: string at %#lx is inside module %u",
					      b->image, i, s[i].string, j);
			if (j != i && overlaps(s[i].start, s[i].end, s[j].start, s[j].end))
				report_broken(rep, "%s: modules %u and %u overlap", b->image, i, j);
		}
	}
}

static const struct {
	const char *image;
	unsigned version;
	const char *mem;
	unsigned long bytes;
} kernels[] = {
	{ "tests/guests/mb/mb1.elf", 1, "64M", 64 * MiB },
	{ "tests/guests/mb/mb1-aout.bin", 1, "3M", 3 * MiB },
	{ "tests/guests/mb/mb2.elf", 2, "5G", 5 * GiB },
	{ "tests/guests/mb/mb2-addr.bin", 2, "128M", 128 * MiB },
};

/* Multiboot 3.3 flags: MEM, CMDLINE, MODS, MMAP, LOADER_NAME (bits 0, 2, 3, 6, 9). */
#define MB1_FLAGS_WITH_MODS 0x24du

/* What the whole boot information says beside the modules. */
static void check_rest(struct report *rep, const char *out, const struct boot *b, unsigned version)
{
	char line[96];

	snprintf(line, sizeof line, "mb: module %zu ", NFILES);
	if (strstr(out, line))
		report_broken(rep, "%s: more modules listed than the %zu given", b->image, NFILES);
	snprintf(line, sizeof line, "mb: flags=%x\n", MB1_FLAGS_WITH_MODS);
	if (version == 1 && !strstr(out, line))
		report_broken(rep, "%s: v1 flags are not %#x (bit 3: mods_count and mods_addr valid)",
			      b->image, MB1_FLAGS_WITH_MODS);
	/* The map still lists the modules' memory as available RAM, as GRUB does. */
	snprintf(line, sizeof line, "mb: mmap base=100000 len=%lx type=1\n",
		 (b->mem < LOW_RAM_MAX ? b->mem : LOW_RAM_MAX) - MiB);
	if (!strstr(out, line))
		report_broken(rep, "%s: '%s' not in the output", b->image, line);
	if (!strstr(out, "mb: cmdline \"kernel args\"\n"))
		report_broken(rep, "%s: the kernel command line is not \"kernel args\"", b->image);
}

static void check_boot(struct report *rep, const char *out, struct boot *b, unsigned version)
{
	const char *kl = strstr(out, "mb: kernel ");
	unsigned long expect;

	if (!kl || sscanf(kl, "mb: kernel %lx-%lx", &b->kernel_lo, &b->kernel_hi) != 2 ||
	    !strstr(out, "mb: done")) {
		report_broken(rep, "%s: the kernel did not report its extent and finish:\n%s",
			      b->image, out);
		return;
	}
	expect = page_up(b->kernel_hi);
	for (unsigned i = 0; i < NFILES; i++) {
		if (!parse_module(out, i, &b->seen[i])) {
			report_broken(rep, "%s: module %u: no line in the output:\n%s", b->image, i, out);
			return;
		}
		check_module(rep, b, i, expect);
		expect = page_up(b->seen[i].end);
	}
	check_apart(rep, b);
	check_rest(rep, out, b, version);
}

START_TEST(modules_are_loaded_in_order_after_the_kernel)
{
	unsigned k = (unsigned)_i;
	static struct module_set ms;
	static struct boot b;
	struct report rep = { 0 };
	struct run_result r;
	const char *args[16] = { "run", "--mem", kernels[k].mem, "--cmdline", "kernel args" };
	unsigned n = 5;

	module_set_create(&ms);
	for (unsigned i = 0; i < NFILES; i++)
		args[n++] = ms.opt[i];
	args[n++] = build_path(kernels[k].image);
	run_hvsim(&r, args);
	if (r.exit_code != 0)
		report_broken(&rep, "%s: exit %d, stderr: %s", kernels[k].image, r.exit_code, r.err);
	b = (struct boot){ .ms = &ms, .image = kernels[k].image, .mem = kernels[k].bytes };
	check_boot(&rep, r.out, &b, kernels[k].version);
	run_result_free(&r);
	module_set_remove(&ms);
	report_finish(&rep);
}
END_TEST

/* Without --module: no v1 flag bit 3 (as GRUB: only when modules were loaded), no v2 tag 3. */
START_TEST(no_modules_no_module_information)
{
	static const char *const images[] = { "tests/guests/mb/mb1.elf", "tests/guests/mb/mb2.elf" };

	for (unsigned i = 0; i < 2; i++) {
		struct run_result r;
		run_hvsim(&r, (const char *const[]){ "run", build_path(images[i]), NULL });
		ck_assert_msg(r.exit_code == 0, "%s: exit %d: %s", images[i], r.exit_code, r.err);
		ck_assert_msg(!strstr(r.out, "mb: module") && !strstr(r.out, "mb: mods_count"),
			      "%s lists modules:\n%s", images[i], r.out);
		if (i == 0)
			ck_assert_msg(strstr(r.out, "mb: flags=245\n"), "v1 flags:\n%s", r.out);
		run_result_free(&r);
	}
}
END_TEST

/*
 * A kernel loaded low (a.out kludge, Multiboot 3.1.3: 0x40 bytes at 0x10000, so it ends at
 * 0x10040) whose code checks where the first module went: EAX = mods_addr (offset 24 of the
 * information, EBX) -> mod_start; it writes 0 to port 0xf4 if that is 'expect', 1 if not.
 */
static const char *low_kernel(uint32_t expect)
{
	static const uint8_t code[] = {
		0x8b, 0x43, 0x18,             /* mov 0x18(%ebx), %eax */
		0x8b, 0x00,                   /* mov (%eax), %eax */
		0x3d, 0, 0, 0, 0,             /* cmp $expect, %eax */
		0x0f, 0x95, 0xc0,             /* setne %al */
		0xe6, 0xf4,                   /* out %al, $0xf4 */
		0xf4,                         /* hlt */
	};
	const uint32_t flags = 1u << 16; /* the address fields are valid */
	const uint32_t header[8] = { 0x1badb002u, flags, -(0x1badb002u + flags), 0x10000, 0x10000,
				     0x10040, 0, 0x10020 };
	uint8_t k[0x40] = { 0 };

	memcpy(k, header, sizeof header);
	memcpy(k + 0x20, code, sizeof code);
	memcpy(k + 0x20 + 6, &expect, 4);
	return temp_file(k, sizeof k);
}

/* Below the reserved window [0xa0000, 0x100000) while it fits there, else from 1 MiB. */
static const struct {
	size_t size;
	uint32_t start;
	const char *why;
} low_cases[] = {
	{ 0x1000, 0x11000, "the page after the kernel" },
	{ 0xa0000 - 0x11000, 0x11000, "ends exactly at the reserved window" },
	{ 0xa0000 - 0x11000 + 1, 0x100000, "would reach into the reserved window: moved to 1 MiB" },
};

START_TEST(modules_stay_out_of_the_reserved_window)
{
	unsigned i = (unsigned)_i;
	static uint8_t data[0xa0000];
	struct run_result r;
	char kernel[64], opt[96];

	snprintf(kernel, sizeof kernel, "%s", low_kernel(low_cases[i].start));
	snprintf(opt, sizeof opt, "--module=%s", temp_file(data, low_cases[i].size));
	run_hvsim(&r, (const char *const[]){ "run", opt, kernel, NULL });
	ck_assert_msg(r.exit_code == 0, "module of %#zx bytes: not at %#x (%s): exit %d, %s",
		      low_cases[i].size, low_cases[i].start, low_cases[i].why, r.exit_code, r.err);
	run_result_free(&r);
	unlink(kernel);
	unlink(opt + strlen("--module="));
}
END_TEST

/* ---- refusals: exit 2, one line on stderr naming the problem, the guest never runs ---- */

enum value { V_MISSING, V_DIRECTORY, V_SMALL, V_BIG, V_HUGE, V_LONG, V_EMPTY, V_ARGS_ONLY };

/*
 * With --mem 2M, RAM ends 1 MiB past the kernel's start; the kernel takes under 128 KiB of it:
 * one 700000-byte module fits after it, a second does not, and 1100000 bytes never fit.
 */
#define BIG_BYTES 700000u
#define HUGE_BYTES 1100000u

static const struct {
	const char *what;
	const char *image; /* under the build directory */
	const char *mem;   /* NULL: the default */
	enum value value;  /* of every --module */
	unsigned count;
	const char *mentions;
} refusals[] = {
	{ "unreadable module", "tests/guests/mb/mb1.elf", NULL, V_MISSING, 1,
	  "/nonexistent/module.elf: cannot open" },
	{ "module is a directory", "tests/guests/mb/mb2.elf", NULL, V_DIRECTORY, 1,
	  "is a directory" },
	{ "module larger than the RAM after the kernel", "tests/guests/mb/mb2.elf", "2M", V_HUGE, 1,
	  "module 1: physical range" },
	{ "second module past the end of RAM", "tests/guests/mb/mb1.elf", "2M", V_BIG, 2,
	  "module 2: physical range" },
	{ "modules for a plain ELF64 image", "workloads/hello.elf", NULL, V_SMALL, 1,
	  "only a Multiboot kernel can be given boot modules" },
	{ "one module too many", "tests/guests/mb/mb1.elf", NULL, V_SMALL, MODULES_MAX + 1,
	  "more than 32 modules" },
	{ "string too long", "tests/guests/mb/mb2.elf", NULL, V_LONG, 1, "longer than 1023 bytes" },
	{ "empty value", "tests/guests/mb/mb1.elf", NULL, V_EMPTY, 1, "no file name" },
	{ "arguments without a file", "tests/guests/mb/mb2.elf", NULL, V_ARGS_ONLY, 1,
	  "no file name" },
};

/* "--module=VALUE" for the case; the file it names (to remove) in 'file', or "". */
static void refusal_option(enum value v, char *opt, size_t len, char *file)
{
	static uint8_t data[HUGE_BYTES];
	char pad[VALUE_MAX];

	file[0] = 0;
	if (v == V_SMALL || v == V_BIG || v == V_HUGE || v == V_LONG)
		strcpy(file, temp_file(data, v == V_BIG ? BIG_BYTES : v == V_HUGE ? HUGE_BYTES : 1));
	memset(pad, 'a', sizeof pad - 1);
	pad[sizeof pad - 1] = 0; /* with "FILE ", over 1023 bytes */
	switch (v) {
	case V_MISSING:
		snprintf(opt, len, "--module=/nonexistent/module.elf arg");
		break;
	case V_DIRECTORY:
		snprintf(opt, len, "--module=%s", build_path("tests/guests"));
		break;
	case V_LONG:
		snprintf(opt, len, "--module=%s %s", file, pad);
		break;
	case V_EMPTY:
		snprintf(opt, len, "--module=");
		break;
	case V_ARGS_ONLY:
		snprintf(opt, len, "--module= x=1");
		break;
	default:
		snprintf(opt, len, "--module=%s", file);
	}
}

START_TEST(bad_modules_are_refused)
{
	unsigned i = (unsigned)_i;
	static char opt[2 * VALUE_MAX];
	char file[64];
	const char *args[MODULES_MAX + 8] = { "run" };
	unsigned n = 1;
	struct run_result r;

	refusal_option(refusals[i].value, opt, sizeof opt, file);
	if (refusals[i].mem) {
		args[n++] = "--mem";
		args[n++] = refusals[i].mem;
	}
	for (unsigned m = 0; m < refusals[i].count; m++)
		args[n++] = opt;
	args[n++] = build_path(refusals[i].image);
	run_hvsim(&r, args);
	ck_assert_msg(r.exit_code == 2, "%s: exit %d, stderr: %s", refusals[i].what, r.exit_code,
		      r.err);
	ck_assert_msg(count_lines(r.err) == 1, "%s: stderr is not one line: %s", refusals[i].what,
		      r.err);
	ck_assert_msg(strstr(r.err, refusals[i].mentions), "%s: '%s' not in: %s", refusals[i].what,
		      refusals[i].mentions, r.err);
	ck_assert_msg(r.out[0] == 0, "%s: the guest ran: %s", refusals[i].what, r.out);
	run_result_free(&r);
	if (file[0])
		unlink(file);
}
END_TEST

START_TEST(help_documents_module)
{
	struct run_result r;

	run_hvsim(&r, (const char *const[]){ "run", "--help", NULL });
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_msg(strstr(r.out, "--module 'FILE ARGS'"), "run --help:\n%s", r.out);
	run_result_free(&r);
}
END_TEST

Suite *suite_modules(void)
{
	Suite *s = suite_create("sim/modules");
	TCase *boot = tcase_create("boot");
	TCase *bad = tcase_create("refused");

	tcase_set_timeout(boot, 60);
	tcase_add_loop_test(boot, modules_are_loaded_in_order_after_the_kernel, 0,
			    sizeof kernels / sizeof kernels[0]);
	tcase_add_test(boot, no_modules_no_module_information);
	tcase_add_loop_test(boot, modules_stay_out_of_the_reserved_window, 0,
			    sizeof low_cases / sizeof low_cases[0]);
	suite_add_tcase(s, boot);
	tcase_set_timeout(bad, 60);
	tcase_add_loop_test(bad, bad_modules_are_refused, 0, sizeof refusals / sizeof refusals[0]);
	tcase_add_test(bad, help_documents_module);
	suite_add_tcase(s, bad);
	return s;
}
