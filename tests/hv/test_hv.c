/*
 * hv, the portable hypervisor core, booted by hvsim as on a real machine (Multiboot, guests as
 * boot modules): PV and VMX guests, the copy helpers, the SMAP demonstration, and live migration
 * with each tracker. Expectations come from hv_abi.h, the SDM's rules for PML and EPT, arithmetic
 * over the "@mig" statistics, and nm(1) for symbols — never from captured output.
 */
#include <check.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/harness.h"

#define MAX_ROUNDS 8

/* One migration's statistics, read from its "@mig" lines. */
struct mig {
	unsigned rounds;
	uint64_t dirtied[MAX_ROUNDS], sent[MAX_ROUNDS], track[MAX_ROUNDS];
	uint64_t pml_full[MAX_ROUNDS], eptv[MAX_ROUNDS];
	uint64_t final_dirtied, final_sent, final_pml_full, final_eptv, pages, total_sent, lost;
	char verify[16], result[16];
	bool ended;
};

static uint64_t field(const char *line, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, " %s=", key);
	const char *p = strstr(line, pat);
	const char *eol = strchr(line, '\n');
	return p && (!eol || p < eol) ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static void field_str(const char *line, const char *key, char *out, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof pat, " %s=", key);
	const char *p = strstr(line, pat);
	size_t n = 0;
	if (p)
		for (p += strlen(pat); p[n] && p[n] != ' ' && p[n] != '\n' && n + 1 < size; n++)
			out[n] = p[n];
	out[n] = 0;
}

static void parse_mig(const char *out, struct mig *m)
{
	memset(m, 0, sizeof *m);
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, "@mig begin", 10)) {
			m->pages = field(l, "pages");
		} else if (!strncmp(l, "@mig round", 10)) {
			unsigned n = (unsigned)field(l, "n");
			ck_assert_uint_eq(n, m->rounds); /* rounds come in order */
			ck_assert_uint_lt(n, MAX_ROUNDS);
			m->dirtied[n] = field(l, "dirtied");
			m->sent[n] = field(l, "sent");
			m->track[n] = field(l, "track_ticks");
			m->pml_full[n] = field(l, "exit.pml_full");
			m->eptv[n] = field(l, "exit.ept_violation");
			m->rounds++;
		} else if (!strncmp(l, "@mig final", 10)) {
			m->final_dirtied = field(l, "dirtied");
			m->final_sent = field(l, "sent");
			m->final_pml_full = field(l, "exit.pml_full");
			m->final_eptv = field(l, "exit.ept_violation");
		} else if (!strncmp(l, "@mig end", 8)) {
			m->ended = true;
			m->total_sent = field(l, "sent");
			m->lost = field(l, "lost");
			field_str(l, "verify", m->verify, sizeof m->verify);
			field_str(l, "result", m->result, sizeof m->result);
		}
	}
}

/* hvsim run hv.elf with the hv command line and one module; returns the result (caller frees). */
static void run_hv(struct run_result *r, const char *hv, const char *cmdline, const char *module,
		   const char *extra)
{
	char mod[512];
	snprintf(mod, sizeof mod, "%s", module);
	const char *args[16] = { "run", "--mem", "256M", "--cmdline", cmdline, "--module", mod };
	unsigned n = 7;
	if (extra)
		args[n++] = extra;
	args[n++] = build_path(hv);
	args[n] = NULL;
	run_hvsim(r, args);
}

static const char *workload(const char *name, const char *args)
{
	static char bufs[4][512];
	static unsigned next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof bufs[0], "%s%s%s", build_path(name), args ? " " : "", args ? args : "");
	return b;
}

static void expect_contains(const struct run_result *r, const char *s)
{
	ck_assert_msg(strstr(r->out, s), "expected \"%s\" in the output:\n%s\n%s", s, r->out, r->err);
}

#define MEMSTRESS "wss=2M rate=2000 duration=40M"

/* ---- booting ---- */

/*
 * A copy of hv.elf (as build/REL) with one Multiboot header's magic cleared: the first match of
 * 'magic' at 'align' within the first 'window' bytes (Multiboot 3.1.1; Multiboot2 3.1.1).
 */
static void copy_without_header(const char *rel, uint32_t magic, size_t window, size_t align)
{
	FILE *in = fopen(build_path("hv/hv.elf"), "rb");
	static uint8_t img[4 << 20];
	ck_assert_ptr_nonnull(in);
	size_t n = fread(img, 1, sizeof img, in);
	fclose(in);
	ck_assert(n > window && n < sizeof img);
	bool found = false;
	for (size_t off = 0; off + 4 <= window && !found; off += align) {
		uint32_t v = (uint32_t)img[off] | (uint32_t)img[off + 1] << 8 |
			     (uint32_t)img[off + 2] << 16 | (uint32_t)img[off + 3] << 24;
		if (v == magic) {
			memset(img + off, 0, 4);
			found = true;
		}
	}
	ck_assert_msg(found, "no header magic %#x in hv.elf", magic);
	FILE *out = fopen(build_path(rel), "wb");
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fwrite(img, 1, n, out), n);
	fclose(out);
}

/*
 * hv carries both headers, for QEMU's -kernel (v1 only) and GRUB's multiboot2 alike. Booted by
 * either alone, it must read the same command line, modules and RAM: the same migration,
 * byte for byte, as the image with both.
 */
START_TEST(boots_alike_through_multiboot_1_and_2)
{
	static const struct {
		const char *rel;
		uint32_t magic; /* the header to clear */
		size_t window, align;
	} copies[] = {
		{ "hv/hv-mb1-only.elf", 0xe85250d6u, 32768, 8 },
		{ "hv/hv-mb2-only.elf", 0x1badb002u, 8192, 4 },
	};
	struct run_result both, one;
	char cmdline[] = "guest=vmx migrate tracker=pml";

	run_hv(&both, "hv/hv.elf", cmdline, workload("workloads/memstress.elf", MEMSTRESS), NULL);
	ck_assert_msg(both.exit_code == 0, "exit %d\n%s%s", both.exit_code, both.out, both.err);
	for (unsigned i = 0; i < sizeof copies / sizeof copies[0]; i++) {
		copy_without_header(copies[i].rel, copies[i].magic, copies[i].window, copies[i].align);
		run_hv(&one, copies[i].rel, cmdline, workload("workloads/memstress.elf", MEMSTRESS), NULL);
		unlink(build_path(copies[i].rel));
		ck_assert_msg(one.exit_code == 0, "%s: exit %d\n%s", copies[i].rel, one.exit_code, one.err);
		ck_assert_str_eq(one.out, both.out);
		run_result_free(&one);
	}
	run_result_free(&both);
}
END_TEST

/* ---- guests and hypercalls ---- */

static const char *const modes[] = { "guest=pv", "guest=vmx" };

START_TEST(hello_in_each_guest_type)
{
	struct run_result r;
	run_hv(&r, "hv/hv.elf", modes[_i], workload("workloads/hello.elf", "x y"), NULL);
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s%s", r.exit_code, r.out, r.err);
	expect_contains(&r, "Hello from an hvsim guest: 32 MiB of RAM, command line \"x y\"\n");
	expect_contains(&r, "hv: guest hello: SUCCESS\n");
	run_result_free(&r);
}
END_TEST

/* The workload checks every hypercall's result for good and bad pointers (hv_abi.h). */
START_TEST(hypercalls_good_and_bad_pointers)
{
	struct run_result r;
	run_hv(&r, "hv/hv.elf", modes[_i], workload("workloads/hypercalls.elf", NULL), NULL);
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s%s", r.exit_code, r.out, r.err);
	expect_contains(&r, "hv: guest hypercalls: SUCCESS\n");
	run_result_free(&r);
}
END_TEST

START_TEST(bad_module_is_refused_not_fatal)
{
	static const char junk[] = "this is not an ELF file\n";
	char mod[512];
	struct run_result r;
	snprintf(mod, sizeof mod, "%s", temp_file(junk, sizeof junk));
	run_hv(&r, "hv/hv.elf", modes[_i], mod, NULL);
	ck_assert_int_eq(r.exit_code, 1);
	expect_contains(&r, ": not an ELF64 x86-64 executable\n");
	expect_contains(&r, "hv: done, a guest failed\n");
	run_result_free(&r);
}
END_TEST

/* ---- the SMAP demonstration ---- */

/* The symbol (from nm) that contains addr, as "name+0xoff". */
static void nm_symbolize(const char *elf, uint64_t addr, char *out, size_t size)
{
	char cmd[512], line[256], best[128] = "?";
	uint64_t best_addr = 0;
	snprintf(cmd, sizeof cmd, "nm -n --defined-only %s", elf);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof line, p)) {
		uint64_t a;
		char type, name[128];
		if (sscanf(line, "%" SCNx64 " %c %127s", &a, &type, name) == 3 && (type == 't' || type == 'T') &&
		    a <= addr) {
			best_addr = a;
			snprintf(best, sizeof best, "%s", name);
		}
	}
	pclose(p);
	snprintf(out, size, "%s+0x%" PRIx64, best, addr - best_addr);
}

static uint64_t nm_address(const char *elf, const char *sym)
{
	char cmd[512], line[256];
	uint64_t found = 0;
	snprintf(cmd, sizeof cmd, "nm %s", elf);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof line, p)) {
		uint64_t a;
		char type, name[128];
		if (sscanf(line, "%" SCNx64 " %c %127s", &a, &type, name) == 3 && !strcmp(name, sym))
			found = a;
	}
	pclose(p);
	ck_assert_msg(found, "no symbol %s in %s", sym, elf);
	return found;
}

START_TEST(smap_catches_the_unsafe_hypercall)
{
	struct run_result r;
	char expect[512], sym[160];
	uint64_t rip;

	run_hv(&r, "hv/hv-unsafe-demo.elf", "guest=pv", workload("workloads/smap-demo.elf", NULL), "--log=faults");
	ck_assert_msg(r.exit_code == 1, "exit %d\n%s%s", r.exit_code, r.out, r.err);
	expect_contains(&r, "hv: SMEP on, SMAP on\n");
	expect_contains(&r, "hv: SMAP violation in hypercall unsafe_read (5) from guest smap-demo\n");
	/* The faulting RIP lies in the hypercall, as nm says; CR2 is the guest's buffer. */
	const char *p = strstr(r.out, "hv:   RIP ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "hv:   RIP %" SCNx64, &rip), 1);
	nm_symbolize(build_path("hv/hv-unsafe-demo.elf"), rip, sym, sizeof sym);
	ck_assert_msg(!strncmp(sym, "hc_unsafe_read+", 15), "RIP %" PRIx64 " is in %s", rip, sym);
	snprintf(expect, sizeof expect, "hv:   RIP %016" PRIx64 " <%s>  CR2 %016" PRIx64
		 "  error 0x1 (protection, read, supervisor)  AC=0 CPL=0\n",
		 rip, sym, nm_address(build_path("workloads/smap-demo.elf"), "buf"));
	expect_contains(&r, expect);
	expect_contains(&r, "hv: guest smap-demo crashed: SMAP violation\n");
	expect_contains(&r, "hv: guest smap-demo: CRASHED\n");
	/* hvsim's MMU names the rule too (--log faults). */
	ck_assert_msg(strstr(r.err, "smap"), "no smap fault in the log:\n%s", r.err);
	run_result_free(&r);
}
END_TEST

/* Without SMAP (hv told not to use it, or a CPU without it) the same bug goes unnoticed. */
START_TEST(without_smap_the_bug_is_silent)
{
	static const struct {
		const char *cmdline, *extra;
	} how[] = { { "guest=pv nosmap", NULL }, { "guest=pv", "--cpu=broadwell-ep-nosmap" } };
	struct run_result r;

	run_hv(&r, "hv/hv-unsafe-demo.elf", how[_i].cmdline, workload("workloads/smap-demo.elf", NULL),
	       how[_i].extra);
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s%s", r.exit_code, r.out, r.err);
	expect_contains(&r, "SMAP off\n");
	expect_contains(&r, "hv: guest smap-demo: SUCCESS\n");
	ck_assert_ptr_null(strstr(r.out, "SMAP violation"));
	run_result_free(&r);
}
END_TEST

START_TEST(unsafe_hypercall_absent_from_normal_builds)
{
	struct run_result r;
	run_hv(&r, "hv/hv.elf", "guest=pv", workload("workloads/smap-demo.elf", NULL), NULL);
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s%s", r.exit_code, r.out, r.err);
	expect_contains(&r, "hv: guest smap-demo: SKIP\n");
	run_result_free(&r);
}
END_TEST

/* ---- live migration ---- */


static const char *const trackers[] = { "pml", "wp", "scan" };

static void migrate(struct run_result *r, struct mig *m, const char *tracker, const char *more)
{
	char cmdline[256];
	snprintf(cmdline, sizeof cmdline, "guest=vmx migrate tracker=%s%s%s", tracker, more ? " " : "",
		 more ? more : "");
	run_hv(r, "hv/hv.elf", cmdline, workload("workloads/memstress.elf", MEMSTRESS), NULL);
	parse_mig(r->out, m);
}

/*
 * Pre-copy, whatever the tracker: round 0 sends every page; round n sends what round n-1
 * harvested; the final copy sends what was left; the last live round is the one that met the
 * threshold (50) or the round limit (5); destination RAM equals source RAM and the guest's own
 * check passes on the destination.
 */
START_TEST(migration_is_lossless)
{
	struct run_result r;
	struct mig m;

	migrate(&r, &m, trackers[_i], NULL);
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s%s", r.exit_code, r.out, r.err);
	ck_assert(m.ended);
	ck_assert_uint_eq(m.pages, 8192); /* 32M of guest RAM */
	ck_assert_uint_ge(m.rounds, 1);
	ck_assert_uint_eq(m.sent[0], m.pages);
	for (unsigned n = 1; n < m.rounds; n++)
		ck_assert_uint_eq(m.sent[n], m.dirtied[n - 1]);
	ck_assert_uint_eq(m.final_sent, m.final_dirtied);
	ck_assert_uint_ge(m.final_dirtied, m.dirtied[m.rounds - 1]);
	ck_assert(m.rounds == 5 || m.dirtied[m.rounds - 1] < 50);
	for (unsigned n = 0; n + 1 < m.rounds; n++)
		ck_assert_uint_ge(m.dirtied[n], 50);
	uint64_t total = m.final_sent;
	for (unsigned n = 0; n < m.rounds; n++)
		total += m.sent[n];
	ck_assert_uint_eq(m.total_sent, total);
	ck_assert_str_eq(m.verify, "ok");
	ck_assert_uint_eq(m.lost, 0);
	ck_assert_str_eq(m.result, "SUCCESS");
	expect_contains(&r, "verified 512 pages\n");
	run_result_free(&r);
}
END_TEST

/* Dropping the last harvest (test-only fault injection) loses pages, and both sides notice. */
START_TEST(skipping_the_final_harvest_loses_pages)
{
	struct run_result r;
	struct mig m;

	migrate(&r, &m, trackers[_i], "inject=skip-final-harvest");
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_str_eq(m.verify, "mismatch");
	ck_assert_uint_gt(m.lost, 0);
	ck_assert_str_eq(m.result, "FAILURE");
	expect_contains(&r, "bad page");
	run_result_free(&r);
}
END_TEST

/*
 * SDM 29.3.6: a log-full exit happens once per 512 logged pages, so over the migration the PML
 * exits are the dirtied pages / 512 (each harvest drains a partial log: at most one exit fewer
 * per harvest). Write-protect takes one EPT violation per page dirtied in a round; D-bit
 * scanning takes no exits at all. PML's tracking costs less than write-protect's.
 */
START_TEST(tracker_exits_follow_the_dirty_pages)
{
	struct run_result r[3];
	struct mig m[3];
	uint64_t dirtied[3] = { 0 }, exits[3] = { 0 }, track[3] = { 0 };

	for (unsigned t = 0; t < 3; t++) {
		migrate(&r[t], &m[t], trackers[t], NULL);
		ck_assert_msg(r[t].exit_code == 0, "%s: exit %d\n%s", trackers[t], r[t].exit_code, r[t].out);
		for (unsigned n = 0; n < m[t].rounds; n++) {
			dirtied[t] += m[t].dirtied[n];
			exits[t] += t == 0 ? m[t].pml_full[n] : m[t].eptv[n];
			track[t] += m[t].track[n];
			if (t == 1) /* one violation per dirtied page, each round */
				ck_assert_uint_eq(m[t].eptv[n], m[t].dirtied[n]);
		}
		exits[t] += t == 0 ? m[t].final_pml_full : m[t].final_eptv;
	}
	ck_assert_uint_le(exits[0], dirtied[0] / 512 + 1);
	ck_assert_uint_ge(exits[0] + m[0].rounds + 1, dirtied[0] / 512);
	ck_assert_uint_gt(dirtied[0], 2 * 512); /* enough pages for the ratio to mean something */
	ck_assert_uint_eq(exits[2], 0);
	ck_assert_msg(track[0] < track[1], "PML tracking %" PRIu64 " ticks, write-protect %" PRIu64, track[0],
		      track[1]);
	for (unsigned t = 0; t < 3; t++)
		run_result_free(&r[t]);
}
END_TEST

/*
 * ptstress rewrites its own page tables all the time; with EPT A/D on, the CPU's own updates of
 * guest A/D flags are writes too (SDM Vol. 3, 29.3.5). The guest's checksums catch any page lost.
 */
START_TEST(page_table_heavy_guest_migrates)
{
	char cmdline[128];
	struct run_result r;
	struct mig m;

	snprintf(cmdline, sizeof cmdline, "guest=vmx migrate tracker=%s", trackers[_i]);
	run_hv(&r, "hv/hv.elf", cmdline, workload("workloads/ptstress.elf", NULL), NULL);
	parse_mig(r.out, &m);
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s%s", r.exit_code, r.out, r.err);
	ck_assert(m.ended);
	ck_assert_str_eq(m.verify, "ok");
	ck_assert_str_eq(m.result, "SUCCESS");
	run_result_free(&r);
}
END_TEST

START_TEST(migration_is_deterministic)
{
	struct run_result a, b;
	struct mig m;

	migrate(&a, &m, "pml", NULL);
	migrate(&b, &m, "pml", NULL);
	ck_assert_int_eq(a.exit_code, 0);
	ck_assert_str_eq(a.out, b.out);
	run_result_free(&a);
	run_result_free(&b);
}
END_TEST

Suite *suite_hv(void)
{
	Suite *s = suite_create("hv");
	TCase *g = tcase_create("guests");
	tcase_add_test(g, boots_alike_through_multiboot_1_and_2);
	tcase_add_loop_test(g, hello_in_each_guest_type, 0, 2);
	tcase_add_loop_test(g, hypercalls_good_and_bad_pointers, 0, 2);
	tcase_add_loop_test(g, bad_module_is_refused_not_fatal, 0, 2);
	suite_add_tcase(s, g);
	TCase *smap = tcase_create("smap");
	tcase_add_test(smap, smap_catches_the_unsafe_hypercall);
	tcase_add_loop_test(smap, without_smap_the_bug_is_silent, 0, 2);
	tcase_add_test(smap, unsafe_hypercall_absent_from_normal_builds);
	suite_add_tcase(s, smap);
	TCase *mig = tcase_create("migration");
	tcase_set_timeout(mig, 300);
	tcase_add_loop_test(mig, migration_is_lossless, 0, 3);
	tcase_add_loop_test(mig, skipping_the_final_harvest_loses_pages, 0, 3);
	tcase_add_test(mig, tracker_exits_follow_the_dirty_pages);
	tcase_add_loop_test(mig, page_table_heavy_guest_migrates, 0, 3);
	tcase_add_test(mig, migration_is_deterministic);
	suite_add_tcase(s, mig);
	return s;
}
