/*
 * Symbols of ELF images for the debugger (sim/debug/symbols.h), with nm(1) as the oracle, and
 * corrupted or truncated images, which must be refused with one line and never crash.
 */
#define _GNU_SOURCE
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/debug/symbols.h"
#include "tests/lib/harness.h"
#include "tests/sim/nm_oracle.h"

static void check_against_nm(const char *rel)
{
	const char *path = build_path(rel);
	struct symtab *t = symtab_new();
	struct nm_list l;
	struct report rep = { 0 };
	char err[256] = "";

	if (!tool_present("nm"))
		return; /* reported once by the caller */
	ck_assert_msg(symtab_load_elf(t, path, "img", err, sizeof err), "%s", err);
	nm_read(path, &l);
	ck_assert_uint_eq(symtab_count(t), l.n);
	for (size_t i = 0; i < l.n; i++) {
		const struct nm_sym *x = &l.s[i];
		uint64_t addr, off = 1;
		const char *name;
		if (!symtab_lookup(t, x->name, &addr) || !nm_has(&l, x->name, addr))
			report_broken(&rep, "%s: lookup of %s", rel, x->name);
		name = symtab_find(t, x->addr, &off);
		if (!name || off != 0 || !nm_has(&l, name, x->addr))
			report_broken(&rep, "%s: %#" PRIx64 " is %s+%" PRIu64 ", nm says %s", rel,
				      x->addr, name ? name : "(none)", off, x->name);
		/* A sized symbol covers its last byte. */
		if (x->size > 1 && (!(name = symtab_find(t, x->addr + x->size - 1, &off)) ||
				    off == 0 || x->addr + x->size - 1 - off != x->addr ||
				    !nm_has(&l, name, x->addr)))
			report_broken(&rep, "%s: last byte of %s", rel, x->name);
	}
	free(l.s);
	symtab_free(t);
	report_finish(&rep);
}

START_TEST(symbols_match_nm)
{
	static const char *const images[] = { "hv/hv.elf", "hv/hv-unsafe-demo.elf",
					      "workloads/memstress.elf", "workloads/smap-demo.elf" };
	if (!tool_present("nm")) {
		fprintf(stderr, "symbols_match_nm: skipped, nm not found\n");
		return;
	}
	check_against_nm(images[_i]);
}
END_TEST

START_TEST(symbols_qualified_by_image)
{
	struct symtab *t = symtab_new();
	struct nm_list hv, ms;
	char err[256];
	uint64_t addr, off;
	const char *image;

	if (!tool_present("nm")) {
		fprintf(stderr, "symbols_qualified_by_image: skipped, nm not found\n");
		symtab_free(t);
		return;
	}
	ck_assert(symtab_load_elf(t, build_path("hv/hv.elf"), "hv", err, sizeof err));
	ck_assert(symtab_load_elf(t, build_path("workloads/memstress.elf"), "memstress", err, sizeof err));
	nm_read(build_path("hv/hv.elf"), &hv);
	nm_read(build_path("workloads/memstress.elf"), &ms);
	const struct nm_sym *start = nm_find(&ms, "_start"), *entry = nm_find(&hv, "hv_entry32");
	ck_assert_ptr_nonnull(start);
	ck_assert_ptr_nonnull(entry);
	ck_assert(symtab_lookup(t, "memstress:_start", &addr));
	ck_assert_uint_eq(addr, start->addr);
	ck_assert(symtab_lookup(t, "hv:hv_entry32", &addr));
	ck_assert_uint_eq(addr, entry->addr);
	ck_assert(!symtab_lookup(t, "hv:_start", &addr) || nm_find(&hv, "_start"));
	ck_assert(!symtab_lookup(t, "nosuchimage:_start", &addr));
	ck_assert(!symtab_lookup(t, "no_such_symbol_anywhere", &addr));
	ck_assert_str_eq(symtab_find_in(t, start->addr, &off, &image), "_start");
	ck_assert_str_eq(image, "memstress");
	char buf[64];
	ck_assert_str_eq(symtab_format(t, entry->addr + 2, buf, sizeof buf), "hv_entry32+0x2");
	free(hv.s);
	free(ms.s);
	symtab_free(t);
}
END_TEST

/* ---- corrupted images ---- */

static uint8_t *read_whole(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	uint8_t *b = malloc(*n);
	ck_assert_uint_eq(fread(b, 1, *n, f), *n);
	fclose(f);
	return b;
}

/* Load a mutated copy of hv.elf; must fail with one line that names the file, or succeed. */
static bool load_bytes(const uint8_t *data, size_t n, char *err, size_t errn)
{
	const char *path = temp_file(data, n);
	struct symtab *t = symtab_new();
	bool ok;

	err[0] = 0;
	ok = symtab_load_elf(t, path, "x", err, errn);
	if (!ok) {
		ck_assert_msg(err[0] && !strchr(err, '\n'), "not one line: '%s'", err);
		ck_assert_msg(strstr(err, path), "'%s' does not name the file", err);
	}
	symtab_free(t);
	unlink(path);
	return ok;
}

static void put64(uint8_t *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static void put16(uint8_t *b, size_t off, uint16_t v)
{
	memcpy(b + off, &v, 2);
}

static uint64_t get64(const uint8_t *b, size_t off)
{
	uint64_t v;
	memcpy(&v, b + off, 8);
	return v;
}

/* ELF64 layout (System V gABI): e_shoff at 0x28, e_shentsize 0x3a, e_shnum 0x3c; Shdr 64 bytes. */
#define E_SHOFF 0x28
#define E_SHENTSIZE 0x3a
#define E_SHNUM 0x3c
#define SH_TYPE 4
#define SH_OFFSET 0x18
#define SH_SIZE 0x20
#define SH_LINK 0x28
#define SH_ENTSIZE 0x38
#define SHT_SYMTAB_ 2

static size_t symtab_shdr(const uint8_t *b)
{
	uint64_t shoff = get64(b, E_SHOFF);
	uint16_t shnum;
	memcpy(&shnum, b + E_SHNUM, 2);
	for (unsigned i = 0; i < shnum; i++) {
		uint32_t type;
		memcpy(&type, b + shoff + 64 * i + SH_TYPE, 4);
		if (type == SHT_SYMTAB_)
			return shoff + 64 * i;
	}
	ck_abort_msg("hv.elf has no .symtab");
	return 0;
}

START_TEST(corrupted_elfs_fail_cleanly)
{
	size_t n;
	uint8_t *orig = read_whole(build_path("hv/hv.elf"), &n), *b = malloc(n);
	char err[256];
	size_t st = symtab_shdr(orig);
	uint64_t strtab_link;
	uint32_t link32;
	memcpy(&link32, orig + st + SH_LINK, 4);
	strtab_link = link32;
	size_t strtab = get64(orig, E_SHOFF) + 64 * strtab_link;

	/* Each case: a description, then the mutation. All must be refused. */
	struct { const char *what; size_t len; size_t off; int width; uint64_t value; } cases[] = {
		{ "empty file", 0, 0, 0, 0 },
		{ "truncated magic", 3, 0, 0, 0 },
		{ "truncated header", 40, 0, 0, 0 },
		{ "header only", 64, 0, 0, 0 },
		{ "cut inside the section headers", get64(orig, E_SHOFF) + 100, 0, 0, 0 },
		{ "cut inside the symbol table", get64(orig, st + SH_OFFSET) + 100, 0, 0, 0 },
		{ "bad magic", n, 1, 1, 'X' },
		{ "ELF32 class", n, 4, 1, 1 },
		{ "big-endian", n, 5, 1, 2 },
		{ "section headers past the end", n, E_SHOFF, 8, (uint64_t)n + 8 },
		{ "section headers offset wraps", n, E_SHOFF, 8, ~0ull - 8 },
		{ "no section headers", n, E_SHOFF, 8, 0 },
		{ "bad section header size", n, E_SHENTSIZE, 2, 40 },
		{ "huge section count", n, E_SHNUM, 2, 0xfff0 },
		{ "no symbol table", n, st + SH_TYPE, 4, 1 },
		{ "symbol table past the end", n, st + SH_OFFSET, 8, (uint64_t)n },
		{ "symbol table size wraps", n, st + SH_SIZE, 8, ~0ull - 0x20 },
		{ "bad symbol size", n, st + SH_ENTSIZE, 8, 16 },
		{ "string table link out of range", n, st + SH_LINK, 4, 0xffff },
		{ "string table link to itself", n, st + SH_LINK, 4, (uint32_t)((st - get64(orig, E_SHOFF)) / 64) },
		{ "string table past the end", n, strtab + SH_OFFSET, 8, (uint64_t)n - 4 },
		{ "string table size huge", n, strtab + SH_SIZE, 8, 1ull << 40 },
		{ "symbol name outside the strings", n, get64(orig, st + SH_OFFSET) + 24 * 5, 4, 0xfffffff0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memcpy(b, orig, n);
		if (cases[i].width == 1)
			b[cases[i].off] = (uint8_t)cases[i].value;
		else if (cases[i].width == 2)
			put16(b, cases[i].off, (uint16_t)cases[i].value);
		else if (cases[i].width == 4)
			put32(b, cases[i].off, (uint32_t)cases[i].value);
		else if (cases[i].width == 8)
			put64(b, cases[i].off, cases[i].value);
		ck_assert_msg(!load_bytes(b, cases[i].len, err, sizeof err), "%s: accepted",
			      cases[i].what);
	}
	ck_assert(load_bytes(orig, n, err, sizeof err)); /* the unmutated file loads */
	free(orig);
	free(b);
}
END_TEST

/* Random corruption of the headers, the section table and the symbols: refused or loaded, never a crash. */
START_TEST(fuzzed_elfs_never_crash)
{
	size_t n;
	uint8_t *orig = read_whole(build_path("hv/hv.elf"), &n), *b = malloc(n);
	size_t st = symtab_shdr(orig), shoff = get64(orig, E_SHOFF);
	size_t syms = get64(orig, st + SH_OFFSET);
	const size_t regions[][2] = { { 0, 64 }, { shoff, n - shoff }, { syms, 24 * 64 } };
	unsigned seed = 12345; /* fixed: the same cases every run */
	char err[256];

	for (unsigned round = 0; round < 300; round++) {
		memcpy(b, orig, n);
		for (unsigned k = 0; k < 4; k++) {
			const size_t *r = regions[rand_r(&seed) % 3];
			b[r[0] + (size_t)rand_r(&seed) % r[1]] = (uint8_t)rand_r(&seed);
		}
		load_bytes(b, round % 7 ? n : (size_t)rand_r(&seed) % n, err, sizeof err);
	}
	free(orig);
	free(b);
}
END_TEST

START_TEST(missing_file_is_one_line)
{
	struct symtab *t = symtab_new();
	char err[256];
	ck_assert(!symtab_load_elf(t, "/nonexistent/hv.elf", "hv", err, sizeof err));
	ck_assert_msg(strstr(err, "/nonexistent/hv.elf") && !strchr(err, '\n'), "%s", err);
	ck_assert(!symtab_load_elf(t, "/tmp", "hv", err, sizeof err));
	ck_assert_uint_eq(symtab_count(t), 0);
	symtab_free(t);
}
END_TEST

Suite *suite_debug_symbols(void)
{
	Suite *s = suite_create("debug_symbols");
	TCase *nm = tcase_create("nm");
	TCase *bad = tcase_create("bad-images");

	tcase_add_loop_test(nm, symbols_match_nm, 0, 4);
	tcase_add_test(nm, symbols_qualified_by_image);
	tcase_add_test(bad, corrupted_elfs_fail_cleanly);
	tcase_add_test(bad, fuzzed_elfs_never_crash);
	tcase_add_test(bad, missing_file_is_one_line);
	suite_add_tcase(s, nm);
	suite_add_tcase(s, bad);
	return s;
}
