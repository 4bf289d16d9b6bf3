/*
 * The built-in debugger's command language and scripted sessions (sim/debug/commands.h,
 * cli.h). Oracles: nm(1) and objdump(1) for symbols, code and bytes; a
 * plain `hvsim run --log vmx` for where the first PML-full exit happens and what it reports; the
 * SDM's rules for PML (29.3.6) and EPT entries (29.3.2, 29.3.5), written as arithmetic on the raw
 * values the debugger prints; and the machine's state hash for "looking changes nothing".
 */
#define _GNU_SOURCE
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/debug/cli.h"
#include "sim/debug/commands.h"
#include "sim/debug/engine.h"
#include "sim/debug/symbols.h"
#include "sim/exitcode.h"
#include "sim/statehash.h"
#include "tests/lib/harness.h"
#include "tests/sim/nm_oracle.h"

/* ---- sessions in this process ---- */

struct sess {
	struct machine_config cfg;
	char image[512], module[600];
	FILE *console;
	struct dbg *d;
	struct symtab *syms;
	struct dbg_session s;
};

static int sess_build(void *ctx, struct machine *m)
{
	struct sess *x = ctx;
	int rc = machine_create(m, &x->cfg);
	if (rc == EXIT_OK) {
		m->serial = m->platform.com1.out = x->console;
		rc = machine_boot(m);
	}
	return rc;
}

static void sess_destroy(void *ctx, struct machine *m)
{
	(void)ctx;
	m->serial = stdout;
	machine_destroy(m);
}

/* hv (rel) with one guest module "GUEST ARGS", symbols of both loaded. */
static void sess_open(struct sess *x, const char *hv, const char *cmdline, const char *guest,
		      const char *args)
{
	char err[256];

	memset(x, 0, sizeof *x);
	snprintf(x->image, sizeof x->image, "%s", build_path(hv));
	snprintf(x->module, sizeof x->module, "%s%s%s", build_path(guest), args ? " " : "",
		 args ? args : "");
	x->cfg = (struct machine_config){ .ram_size = 256ull << 20, .image = x->image,
					  .cmdline = cmdline, .module_count = 1 };
	x->cfg.modules[0] = x->module;
	x->console = tmpfile();
	ck_assert_ptr_nonnull(x->console);
	struct dbg_target t = { .ctx = x, .build = sess_build, .destroy = sess_destroy,
				.reversible = true };
	ck_assert_int_eq(dbg_open(&x->d, &t), EXIT_OK);
	x->syms = symtab_new();
	ck_assert_msg(symtab_load_elf(x->syms, x->image, "hv", err, sizeof err), "%s", err);
	ck_assert_msg(symtab_load_elf(x->syms, build_path(guest), "guest", err, sizeof err), "%s", err);
	x->s = (struct dbg_session){ .dbg = x->d, .syms = x->syms };
}

static void sess_close(struct sess *x)
{
	dbg_close(x->d);
	symtab_free(x->syms);
	fclose(x->console);
}

/* Run one command; its output (malloc'd) and result. */
static char *run_cmd(struct sess *x, const char *line, enum dbg_cmd_result *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	enum dbg_cmd_result res = dbg_command(&x->s, line, f);
	fclose(f);
	if (r)
		*r = res;
	return text;
}

static char *ok_cmd(struct sess *x, const char *line)
{
	enum dbg_cmd_result r;
	char *out = run_cmd(x, line, &r);
	ck_assert_msg(r == DBG_CMD_OK, "'%s' failed: %s", line, out);
	return out;
}

static unsigned lines_in(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define PV_SMAP "guest=pv", "workloads/smap-demo.elf", NULL
#define HV "hv/hv.elf"
#define HV_DEMO "hv/hv-unsafe-demo.elf"

/* Bad arguments: one line naming the command, DBG_CMD_ERROR, nothing else. */
START_TEST(bad_arguments_are_one_line_errors)
{
	static const struct { const char *line, *expect; } cases[] = {
		{ "x foo", "x: bad address 'foo'" },
		{ "x/4q 0", "x: bad format '/4q'" },
		{ "x", "x: expected one address" },
		{ "x/0x 0", "x: bad format" },
		{ "break", "break: expected one address or symbol" },
		{ "break no_such_symbol", "break: bad address 'no_such_symbol'" },
		{ "b *nowhere+4", "break: bad address '*nowhere+4'" },
		{ "break vmexit nosuch", "break vmexit: unknown exit reason 'nosuch'" },
		{ "break vmexit 65", "break vmexit: unknown exit reason '65'" },
		{ "break vmexit 35", "break vmexit: unknown exit reason '35'" }, /* no reason 35 */
		{ "break fault bogus", "break fault: unknown fault 'bogus'" },
		{ "break fault 32", "break fault: unknown fault '32'" },
		{ "break hypercall 64", "break hypercall: bad hypercall number '64'" },
		{ "break hypercall x", "break hypercall: bad hypercall number 'x'" },
		{ "delete", "delete: expected" },
		{ "delete 0", "delete: bad breakpoint number '0'" },
		{ "delete 99", "delete: no breakpoint or watchpoint 99" },
		{ "step 0", "step: bad count '0'" },
		{ "si -1", "step: bad count '-1'" },
		{ "step 1 2", "step: unexpected argument '2'" },
		{ "next x", "next: bad count 'x'" },
		{ "until", "until: expected one address or symbol" },
		{ "continue 3", "continue: unexpected argument '3'" },
		{ "frobnicate", "unknown command 'frobnicate'" },
		{ "ept walk", "ept walk: expected one guest-physical address" },
		{ "ept walk 0x1000", "ept walk: no current VMCS" },
		{ "pt walk", "pt walk: expected [guest] VA" },
		{ "pt walk a b c", "pt walk: expected [guest] VA" },
		{ "pt walk guest 0", "pt walk: no current VMCS" },
		{ "watch 0 0", "watch: bad length '0'" },
		{ "watch", "watch: expected ADDR [LEN]" },
		{ "rwatch zz", "rwatch: bad address 'zz'" },
		{ "disas 0 0", "disas: bad count '0'" },
		{ "disas 0x0 1 2", "disas: unexpected argument '2'" },
		{ "vmcs", "vmcs: no current VMCS" },
		{ "pml", "pml: no current VMCS" },
		{ "pml 512", "pml: bad top entry '512'" },
		{ "exits 0", "exits: bad count '0'" },
		{ "info symbol", "info symbol: expected one address" },
		{ "regs now", "regs: unexpected argument 'now'" },
		{ "regs/x", "regs: no /FORMAT for this command" },
		{ "x/s 0xfffffffffffff000", "x: cannot read memory" },
		{ "quit now", "quit: unexpected argument 'now'" },
	};
	struct sess x;
	struct report rep = { 0 };

	sess_open(&x, HV, PV_SMAP);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum dbg_cmd_result r;
		char *out = run_cmd(&x, cases[i].line, &r);
		if (r != DBG_CMD_ERROR || lines_in(out) != 1 ||
		    strncmp(out, cases[i].expect, strlen(cases[i].expect)))
			report_broken(&rep, "'%s': result %d, output '%s' (expected '%s...')",
				      cases[i].line, r, out, cases[i].expect);
		free(out);
	}
	sess_close(&x);
	report_finish(&rep);
}
END_TEST

START_TEST(monitor_refuses_running_commands)
{
	static const char *const refused[] = { "step", "si 3", "next", "continue", "c", "until 0x1000",
					       "reverse-stepi", "rsi", "reverse-continue", "rc", "quit" };
	static const char *const allowed[] = { "regs", "where", "help", "vtime", "exits",
					       "info breakpoints", "disas", "x/2gx $rsp" };
	struct sess x;

	sess_open(&x, HV, PV_SMAP);
	x.s.in_gdb = true;
	uint64_t vtime = dbg_machine(x.d)->cpu.vtime;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		enum dbg_cmd_result r;
		char *out = run_cmd(&x, refused[i], &r);
		ck_assert_msg(r == DBG_CMD_ERROR && lines_in(out) == 1 && strstr(out, "gdb"),
			      "'%s': %d %s", refused[i], r, out);
		free(out);
	}
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		free(ok_cmd(&x, allowed[i]));
	ck_assert_uint_eq(dbg_machine(x.d)->cpu.vtime, vtime);
	sess_close(&x);
}
END_TEST

/* Exit reasons by name: SDM Vol. 3, Appendix C numbers (the oracle is this table). */
START_TEST(catchpoints_by_name)
{
	static const struct { const char *arg; unsigned reason; } exits[] = {
		{ "pml-full", 62 }, { "PML_FULL", 62 }, { "Pml-Full", 62 }, { "62", 62 },
		{ "ept-violation", 48 }, { "EPT_MISCONFIG", 49 }, { "vmcall", 18 }, { "0x1e", 30 },
		{ "cpuid", 10 }, { "triple-fault", 2 },
	};
	/* #PF reasons are bits of dbg_catch.fault_reasons; vectors from SDM Table 6-1. */
	static const struct { const char *arg; int reason, vector; } faults[] = {
		{ "smap", FAULT_SMAP, -1 }, { "smep", FAULT_SMEP, -1 }, { "nx", FAULT_NX, -1 },
		{ "not-present", FAULT_NOT_PRESENT, -1 }, { "user/supervisor", FAULT_USER, -1 },
		{ "write-protect", FAULT_WRITE_PROTECT, -1 }, { "reserved-bit", FAULT_RESERVED, -1 },
		{ "implicit-smap", FAULT_SMAP_IMPLICIT, -1 }, { "#PF", -1, 14 }, { "pf", -1, 14 },
		{ "#GP", -1, 13 }, { "#UD", -1, 6 }, { "13", -1, 13 }, { "#DF", -1, 8 },
	};
	struct sess x;
	char line[64];

	sess_open(&x, HV, PV_SMAP);
	struct dbg_catch *c = dbg_catches(x.d);
	for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++) {
		snprintf(line, sizeof line, "break vmexit %s", exits[i].arg);
		free(ok_cmd(&x, line));
		ck_assert_msg(c->vmexit_reasons == 1ull << exits[i].reason, "%s: %#" PRIx64,
			      exits[i].arg, c->vmexit_reasons);
		snprintf(line, sizeof line, "delete vmexit %s", exits[i].arg);
		free(ok_cmd(&x, line));
		ck_assert_uint_eq(c->vmexit_reasons, 0);
	}
	for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
		snprintf(line, sizeof line, "catch fault %s", faults[i].arg);
		free(ok_cmd(&x, line));
		ck_assert_msg(c->fault_reasons == (faults[i].reason < 0 ? 0 : 1u << faults[i].reason) &&
			      c->fault_vectors == (faults[i].vector < 0 ? 0 : 1u << faults[i].vector),
			      "%s: reasons %#x vectors %#x", faults[i].arg, c->fault_reasons,
			      c->fault_vectors);
		free(ok_cmd(&x, "delete fault"));
		ck_assert(!c->fault_any && !c->fault_reasons && !c->fault_vectors);
	}
	free(ok_cmd(&x, "b hypercall 3"));
	ck_assert_uint_eq(c->hypercalls, 1ull << 3);
	free(ok_cmd(&x, "break hypercall"));
	ck_assert(c->hypercall_any);
	free(ok_cmd(&x, "break vmexit"));
	ck_assert(c->vmexit_any);
	free(ok_cmd(&x, "delete hypercall"));
	ck_assert(!c->hypercall_any && !c->hypercalls);
	sess_close(&x);
}
END_TEST

/* Numbers, symbols, registers and sums of them, as `info symbol` and `break` take them. */
START_TEST(values_and_symbols_in_commands)
{
	struct sess x;
	struct nm_list l;
	char line[128], want[160];

	if (!tool_present("nm")) {
		fprintf(stderr, "values_and_symbols_in_commands: skipped, nm not found\n");
		return;
	}
	sess_open(&x, HV, PV_SMAP);
	nm_read(x.image, &l);
	const struct nm_sym *f = nm_find(&l, "domain_set_current");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_gt(f->size, 4);
	snprintf(line, sizeof line, "info symbol %#" PRIx64, f->addr + 4);
	char *out = ok_cmd(&x, line);
	ck_assert_str_eq(out, "domain_set_current + 4 in hv\n");
	free(out);
	snprintf(line, sizeof line, "info symbol %" PRIu64, f->addr);
	out = ok_cmd(&x, line);
	ck_assert_str_eq(out, "domain_set_current in hv\n");
	free(out);
	out = ok_cmd(&x, "break domain_set_current+0x4");
	snprintf(want, sizeof want, "breakpoint 1 at %#" PRIx64 " <domain_set_current+0x4>\n", f->addr + 4);
	ck_assert_str_eq(out, want);
	free(out);
	out = ok_cmd(&x, "b *hv:domain_set_current");
	snprintf(want, sizeof want, "breakpoint 2 at %#" PRIx64 " <domain_set_current>\n", f->addr);
	ck_assert_str_eq(out, want);
	free(out);
	uint64_t rip = dbg_reg(x.d, UC_X86_REG_RIP);
	snprintf(line, sizeof line, "info symbol $rip-%" PRIu64, rip - f->addr);
	out = ok_cmd(&x, line);
	ck_assert_str_eq(out, "domain_set_current in hv\n");
	free(out);
	free(ok_cmd(&x, "delete 1 2"));
	free(l.s);
	sess_close(&x);
}
END_TEST

/* ---- objdump as the oracle for code and bytes ---- */

/* The first CALL in a function per objdump: its address and the next instruction's. */
static bool objdump_first_call(const char *image, const struct nm_sym *f, uint64_t *call,
			       uint64_t *next)
{
	char cmd[800], line[512];
	FILE *p;
	bool found = false;

	snprintf(cmd, sizeof cmd, "objdump -d --no-show-raw-insn --start-address=%#" PRIx64
		 " --stop-address=%#" PRIx64 " '%s'", f->addr, f->addr + f->size, image);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof line, p)) {
		uint64_t a;
		char mnem[32];
		if (sscanf(line, " %" SCNx64 ": %31s", &a, mnem) != 2)
			continue;
		if (found) {
			*next = a;
			break;
		}
		if (!strncmp(mnem, "call", 4)) {
			*call = a;
			found = true;
		}
	}
	pclose(p);
	return found;
}

/* Instruction addresses of the first n instructions at 'start', per objdump. */
static unsigned objdump_addrs(const char *image, uint64_t start, uint64_t *addrs, unsigned n)
{
	char cmd[800], line[512];
	unsigned k = 0;
	FILE *p;

	snprintf(cmd, sizeof cmd, "objdump -d --start-address=%#" PRIx64 " --stop-address=%#" PRIx64
		 " '%s'", start, start + 16 * n, image);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (k < n && fgets(line, sizeof line, p)) {
		uint64_t a;
		char tab;
		if (sscanf(line, " %" SCNx64 ":%c", &a, &tab) == 2 && tab == '\t')
			addrs[k++] = a;
	}
	pclose(p);
	return k;
}

/* Bytes at a virtual address of the file's image, per `objdump -s`. */
static unsigned objdump_bytes(const char *image, uint64_t start, uint8_t *buf, unsigned n)
{
	char cmd[800], line[512];
	unsigned k = 0;
	FILE *p;

	snprintf(cmd, sizeof cmd, "objdump -s --start-address=%#" PRIx64 " --stop-address=%#" PRIx64
		 " '%s'", start, start + n, image);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (k < n && fgets(line, sizeof line, p)) {
		char *q = line, *end;
		if (line[0] != ' ' || !strtoull(line, &end, 16) || *end != ' ')
			continue;
		q = end + 1;
		for (int w = 0; w < 4 && k < n; w++) {
			while (*q == ' ')
				q++;
			while (k < n && q[0] && q[1] && q[0] != ' ') {
				char hex[3] = { q[0], q[1], 0 };
				buf[k++] = (uint8_t)strtoul(hex, NULL, 16);
				q += 2;
			}
		}
	}
	pclose(p);
	return k;
}

/* `next` over a CALL runs to the return address with the stack balanced; disas and x agree with objdump. */
START_TEST(next_disas_and_x_agree_with_objdump)
{
	struct sess x;
	struct nm_list l;
	uint64_t call = 0, after = 0, addrs[6], got[6];
	uint8_t bytes[16];
	char line[160], *out;

	if (!tool_present("nm") || !tool_present("objdump")) {
		fprintf(stderr, "next_disas_and_x_agree_with_objdump: skipped, binutils not found\n");
		return;
	}
	sess_open(&x, HV, PV_SMAP);
	nm_read(x.image, &l);
	const struct nm_sym *f = nm_find(&l, "hv_start");
	ck_assert_ptr_nonnull(f);
	ck_assert(objdump_first_call(x.image, f, &call, &after));

	snprintf(line, sizeof line, "until %#" PRIx64, call);
	free(ok_cmd(&x, line));
	ck_assert_uint_eq(dbg_reg(x.d, UC_X86_REG_RIP), call);
	uint64_t rsp = dbg_reg(x.d, UC_X86_REG_RSP), vtime = dbg_machine(x.d)->cpu.vtime;
	out = ok_cmd(&x, "next");
	ck_assert_msg(strncmp(out, "stopped at ", 11) == 0, "%s", out);
	free(out);
	ck_assert_uint_eq(dbg_reg(x.d, UC_X86_REG_RIP), after);
	ck_assert_uint_eq(dbg_reg(x.d, UC_X86_REG_RSP), rsp); /* CALL and RET balance */
	ck_assert_uint_gt(dbg_machine(x.d)->cpu.vtime, vtime + 1);
	free(ok_cmd(&x, "info breakpoints")); /* the temporary breakpoint is gone */
	ck_assert_int_eq(dbg_break_find(x.d, after), -1);

	unsigned n = objdump_addrs(x.image, f->addr, addrs, 6);
	ck_assert_uint_eq(n, 6);
	out = ok_cmd(&x, "disas hv_start 6");
	unsigned k = 0;
	for (char *p = out; p && *p && k < 6; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (sscanf(p + 3, "%" SCNx64, &got[k]) == 1)
			k++;
	ck_assert_msg(k == 6 && !memcmp(got, addrs, sizeof addrs), "%s", out);
	free(out);

	ck_assert_uint_eq(objdump_bytes(x.image, f->addr, bytes, 16), 16);
	out = ok_cmd(&x, "x/16xb hv_start");
	char want[400];
	int len = snprintf(want, sizeof want, "%#" PRIx64 " <hv_start>:", f->addr);
	for (int i = 0; i < 8; i++)
		len += snprintf(want + len, sizeof want - (size_t)len, "\t0x%02x", bytes[i]);
	len += snprintf(want + len, sizeof want - (size_t)len, "\n%#" PRIx64 " <hv_start+0x8>:", f->addr + 8);
	for (int i = 8; i < 16; i++)
		len += snprintf(want + len, sizeof want - (size_t)len, "\t0x%02x", bytes[i]);
	snprintf(want + len, sizeof want - (size_t)len, "\n");
	ck_assert_str_eq(out, want);
	free(out);
	uint64_t q;
	memcpy(&q, bytes, 8);
	out = ok_cmd(&x, "x/1gx hv_start");
	snprintf(want, sizeof want, "%#" PRIx64 " <hv_start>:\t0x%016" PRIx64 "\n", f->addr, q);
	ck_assert_str_eq(out, want);
	free(out);
	/* Signed words and unsigned halfwords, little-endian (SDM Vol. 1, 1.3.1). */
	int32_t w0, w1;
	memcpy(&w0, bytes, 4);
	memcpy(&w1, bytes + 4, 4);
	out = ok_cmd(&x, "x/2dw hv_start");
	snprintf(want, sizeof want, "%#" PRIx64 " <hv_start>:\t%d\t%d\n", f->addr, w0, w1);
	ck_assert_str_eq(out, want);
	free(out);
	out = ok_cmd(&x, "x/1uh hv_start+2");
	snprintf(want, sizeof want, "%#" PRIx64 " <hv_start+0x2>:\t%u\n", f->addr + 2,
		 (unsigned)(bytes[2] | bytes[3] << 8));
	ck_assert_str_eq(out, want);
	free(out);
	/* x/Ni disassembles like disas. */
	out = ok_cmd(&x, "x/3i hv_start");
	k = 0;
	for (char *p = out; p && *p && k < 3; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (sscanf(p + 3, "%" SCNx64, &got[k]) == 1)
			k++;
	ck_assert_msg(k == 3 && !memcmp(got, addrs, 3 * sizeof *addrs), "%s", out);
	free(out);
	free(l.s);
	sess_close(&x);
}
END_TEST

/* Interactive input that is not a terminal: echoed; an empty line repeats `stepi N`. */
START_TEST(interactive_lines_repeat_steps)
{
	static const char input[] = "stepi 2\n\nnext\nregs\n\nquit\n";
	struct sess x;
	char *text = NULL;
	size_t len = 0;

	sess_open(&x, HV, PV_SMAP);
	const char *path = temp_file(input, strlen(input));
	ck_assert_ptr_nonnull(freopen(path, "r", stdin)); /* this test runs in its own process */
	FILE *f = open_memstream(&text, &len);
	int code = dbg_cli_main(&x.s, NULL, false, f);
	fclose(f);
	unlink(path);
	ck_assert_int_eq(code, EXIT_INTERRUPTED);
	ck_assert_msg(strstr(text, "(hvsim) stepi 2\nstopped at ") && strstr(text, "vtime 2\n(hvsim) \n"),
		      "%s", text);
	/* The empty line after stepi 2 ran two more; next is one; the empty line after regs runs nothing. */
	ck_assert_msg(strstr(text, ", vtime 4\n(hvsim) next\n"), "%s", text);
	ck_assert_uint_eq(dbg_machine(x.d)->cpu.vtime, 5);
	free(text);
	sess_close(&x);
}
END_TEST

/* reverse-stepi comes back to the state before the previous instruction: the same `regs`. */
START_TEST(reverse_stepi_restores_registers)
{
	struct sess x;

	sess_open(&x, HV, PV_SMAP);
	free(ok_cmd(&x, "stepi 5000"));
	char *before = ok_cmd(&x, "regs");
	uint64_t vtime = dbg_machine(x.d)->cpu.vtime;
	free(ok_cmd(&x, "si"));
	char *out = ok_cmd(&x, "reverse-stepi");
	ck_assert_uint_eq(dbg_machine(x.d)->cpu.vtime, vtime);
	free(out);
	char *after = ok_cmd(&x, "regs");
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	sess_close(&x);
}
END_TEST

/* ---- the PML-full scenario (issue 7, "Done when") ---- */

#define MIG_CMDLINE "guest=vmx migrate tracker=pml pml_entries=16 guest_mem=4194304 migrate_after=20000"
#define MIG_GUEST "workloads/memstress.elf"
#define MIG_ARGS "wss=1M rate=2000 duration=4M"
#define PML_ENTRIES 16

struct exit_line {
	uint64_t qual, gpa, rip, vtime;
};

/* The first exit with 'reason' of a plain run of hv with 'cmdline', from its `--log vmx` line. */
static void plain_first_exit(const char *cmdline, unsigned reason, struct exit_line *e)
{
	char log[] = "/tmp/hvsim-vmxlog-XXXXXX", mod[600], img[512], cl[200], line[512];
	int fd = mkstemp(log);
	struct run_result r;
	bool found = false;

	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(mod, sizeof mod, "%s %s", build_path(MIG_GUEST), MIG_ARGS);
	snprintf(img, sizeof img, "%s", build_path(HV));
	snprintf(cl, sizeof cl, "%s", cmdline);
	run_hvsim(&r, (const char *const[]){ "run", "--cmdline", cl, "--module", mod,
					     "--log", "vmx", "--log-file", log, img, NULL });
	ck_assert_msg(r.exit_code == 0, "plain run: exit %d\n%s%s", r.exit_code, r.out, r.err);
	run_result_free(&r);
	FILE *f = fopen(log, "r");
	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof line, f)) {
		unsigned n;
		found = sscanf(line, "vmx: exit %u (%*[^)]) qual=%" SCNx64 " gpa=%" SCNx64
			       " rip=%" SCNx64 " vtime=%" SCNu64, &n, &e->qual, &e->gpa, &e->rip,
			       &e->vtime) == 5 && n == reason;
	}
	fclose(f);
	unlink(log);
	ck_assert_msg(found, "the plain run had no exit %u", reason);
}

/* Run a script through dbg_cli_main in batch mode; its transcript (malloc'd) and exit code. */
static char *run_script(struct sess *x, const char *script, int *code)
{
	const char *path = temp_file(script, strlen(script));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	*code = dbg_cli_main(&x->s, path, true, f);
	fclose(f);
	unlink(path);
	return text;
}

/* `hvsim debug --cmdline CMDLINE [memstress] -x SCRIPT --batch hv.elf`: transcript and exit code. */
static char *debug_script_with(const char *cmdline, const char *script, int *code)
{
	char mod[600], img[512], path[64], cl[200];
	struct run_result r;

	snprintf(path, sizeof path, "%s", temp_file(script, strlen(script)));
	snprintf(mod, sizeof mod, "%s %s", build_path(MIG_GUEST), MIG_ARGS);
	snprintf(img, sizeof img, "%s", build_path(HV));
	snprintf(cl, sizeof cl, "%s", cmdline);
	run_hvsim(&r, (const char *const[]){ "debug", "--cmdline", cl, "--module", mod,
					     "-x", path, "--batch", img, NULL });
	unlink(path);
	*code = r.exit_code;
	char *out = strdup(r.out);
	if (r.err[0])
		fprintf(stderr, "hvsim debug: %s", r.err);
	run_result_free(&r);
	return out;
}

static char *debug_script(const char *script, int *code)
{
	return debug_script_with(MIG_CMDLINE, script, code);
}

/* The value printed for a VMCS field: "  NAME 0xENC = 0xVALUE ...". */
static uint64_t vmcs_value(const char *out, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\n  %s ", name);
	const char *p = strstr(out, pat);
	ck_assert_msg(p, "no %s in:\n%.3000s", name, out);
	p = strstr(p, " = ");
	ck_assert_ptr_nonnull(p);
	return strtoull(p + 3, NULL, 16);
}

static const char *line_with(const char *out, const char *needle, char *buf, size_t n)
{
	const char *p = strstr(out, needle);
	ck_assert_msg(p, "no '%s' in:\n%.3000s", needle, out);
	const char *b = p + (*p == '\n');
	while (b > out && b[-1] != '\n')
		b--;
	size_t len = strcspn(b, "\n");
	snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), b);
	return buf;
}

/*
 * At the first PML-full exit: the stop is where the plain run logged it; the VMCS shows that
 * exit (reason 62, the guest's RIP, the qualification and GPA), EPT and PML enabled (SDM
 * Table 25-7 bits 1 and 17); the log is full (index wrapped to 0xFFFF, 29.3.6) with
 * pml_entries distinct 4K-aligned GPAs.
 */
START_TEST(pml_full_session_matches_the_plain_run)
{
	struct exit_line e;
	int code;
	char buf[512];

	plain_first_exit(MIG_CMDLINE, 62, &e);
	char *out = debug_script("break vmexit pml-full\ncontinue\nwhere\nvmcs\npml 15\nexits 2\n",
				 &code);
	ck_assert_msg(code == EXIT_INTERRUPTED, "exit %d:\n%.3000s", code, out);
	/* The machine's console output comes between `continue` and the stop. */
	const char *cont = strstr(out, "(hvsim) break vmexit pml-full\ncatching VM exits: 62 (PML_FULL)\n"
				       "(hvsim) continue\n");
	ck_assert_msg(cont, "%.3000s", out);
	const char *stop = strstr(cont, "\nvmexit 62 PML_FULL (page-modification log full) at ");
	ck_assert_msg(stop, "%.3000s", out);
	snprintf(buf, sizeof buf, ", vtime %" PRIu64 "\n(hvsim) where\n", e.vtime);
	ck_assert_msg(strstr(stop, buf), "expected the stop at vtime %" PRIu64 ":\n%.3000s", e.vtime, out);
	ck_assert_uint_eq(vmcs_value(out, "EXIT_REASON"), 62);
	ck_assert_uint_eq(vmcs_value(out, "GUEST_RIP"), e.rip);
	ck_assert_uint_eq(vmcs_value(out, "EXIT_QUALIFICATION"), e.qual);
	ck_assert_uint_eq(vmcs_value(out, "GUEST_PHYSICAL_ADDRESS"), e.gpa);
	ck_assert_uint_eq(vmcs_value(out, "PML_INDEX"), 0xffff);
	uint64_t proc2 = vmcs_value(out, "SECONDARY_CONTROLS");
	ck_assert(proc2 & (1u << 1) && proc2 & (1u << 17));
	line_with(out, "\n  SECONDARY_CONTROLS ", buf, sizeof buf);
	ck_assert_msg(strstr(buf, "enable EPT") && strstr(buf, "enable PML"), "%s", buf);
	line_with(out, "\n  EXIT_REASON ", buf, sizeof buf);
	ck_assert_msg(strstr(buf, "PML_FULL"), "%s", buf);
	ck_assert_msg(strstr(out, "index 0xffff  [log full: wrapped past entry 0]\n"), "%.3000s", out);

	/* The log: entries 15 down to 0, each a distinct 4K-aligned GPA. */
	snprintf(buf, sizeof buf, "%u entries logged", PML_ENTRIES);
	ck_assert_msg(strstr(out, buf), "%.3000s", out);
	uint64_t gpas[PML_ENTRIES];
	unsigned n = 0;
	for (const char *p = strstr(out, "\n  ["); p && n < PML_ENTRIES; p = strstr(p + 1, "\n  [")) {
		unsigned slot;
		ck_assert(sscanf(p, "\n  [%u] GPA %" SCNx64, &slot, &gpas[n]) == 2);
		ck_assert_uint_eq(slot, PML_ENTRIES - 1 - n);
		ck_assert_uint_eq(gpas[n] & 0xfff, 0);
		for (unsigned j = 0; j < n; j++)
			ck_assert_uint_ne(gpas[j], gpas[n]);
		n++;
	}
	ck_assert_uint_eq(n, PML_ENTRIES);
	snprintf(buf, sizeof buf, "exit 62 PML_FULL (page-modification log full) qual %#" PRIx64
		 " gpa %#" PRIx64, e.qual, e.gpa);
	ck_assert_msg(strstr(out, buf), "exits: %.3000s", out);
	free(out);
}
END_TEST

/* One level of an `ept walk` printout, with its raw values. */
struct walk_level {
	char name[8];
	unsigned slot;
	uint64_t at, entry;
	int a, d; /* -1: not printed */
};

static unsigned parse_walk(const char *p, struct walk_level *lv, uint64_t *gpa, uint64_t *hpa)
{
	unsigned n = 0;
	const char *end = strstr(p + 1, "(hvsim)");

	*hpa = ~0ull;
	for (const char *l = strchr(p, '\n'); l && (!end || l < end); l = strchr(l + 1, '\n')) {
		struct walk_level w = { .a = -1, .d = -1 };
		if (n < 4 && sscanf(l, "\n  %7s #%u at %" SCNx64 " = %" SCNx64, w.name, &w.slot, &w.at,
				    &w.entry) == 4) {
			const char *a = strstr(l, " A="), *d = strstr(l, " D="), *eol = strchr(l + 1, '\n');
			if (a && a < eol)
				w.a = a[3] - '0';
			if (d && d < eol)
				w.d = d[3] - '0';
			lv[n++] = w;
		} else if (sscanf(l, "\n  GPA %" SCNx64 " -> HPA %" SCNx64, gpa, hpa) == 2) {
			break;
		}
	}
	return n;
}

/*
 * The EPT walks at the same exit (a second session: runs are deterministic). Each level is
 * checked by SDM 29.3.2 arithmetic on what is printed: the first entry sits in the EPTP's table
 * at 8 * GPA[47:39], each next one in the table its parent points to, and the HPA is the leaf's
 * frame plus the page offset. A/D (29.3.5, 29.3.6): every GPA the log holds has D=1 in its leaf
 * (logged when D went 0 to 1, not yet harvested); the exit's own GPA has D=0 (the access did not
 * happen).
 */
START_TEST(pml_full_ept_walks_show_the_d_flags)
{
	struct exit_line e;
	int code;
	char *script, *out;
	size_t len;

	plain_first_exit(MIG_CMDLINE, 62, &e);
	/* First session: the logged GPAs. */
	out = debug_script("break vmexit pml-full\ncontinue\npml 15\nvmcs EPT_POINTER\n", &code);
	ck_assert_msg(code == EXIT_INTERRUPTED, "exit %d:\n%.3000s", code, out);
	uint64_t gpas[PML_ENTRIES + 1], eptp = vmcs_value(out, "EPT_POINTER");
	unsigned n = 0;
	for (const char *p = strstr(out, "\n  ["); p && n < PML_ENTRIES; p = strstr(p + 1, "\n  ["))
		ck_assert(sscanf(p, "\n  [%*u] GPA %" SCNx64, &gpas[n++]) == 1);
	ck_assert_uint_eq(n, PML_ENTRIES);
	gpas[n++] = e.gpa;
	free(out);

	/* Second session: walk each. */
	FILE *f = open_memstream(&script, &len);
	fputs("break vmexit pml-full\ncontinue\n", f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "ept walk %#" PRIx64 "\n", gpas[i] + 0x123);
	fclose(f);
	out = debug_script(script, &code);
	free(script);
	ck_assert_msg(code == EXIT_INTERRUPTED, "exit %d", code);
	const char *p = out;
	for (unsigned i = 0; i < n; i++) {
		char cmd[64];
		struct walk_level lv[4];
		uint64_t gpa = gpas[i] + 0x123, g = 0, hpa;
		snprintf(cmd, sizeof cmd, "(hvsim) ept walk %#" PRIx64 "\n", gpa);
		p = strstr(p, cmd);
		ck_assert_msg(p, "no walk of %#" PRIx64, gpa);
		unsigned levels = parse_walk(p, lv, &g, &hpa);
		ck_assert_msg(levels >= 1 && hpa != ~0ull && g == gpa, "walk of %#" PRIx64 ":\n%.600s", gpa, p);
		uint64_t table = eptp & ~0xfffull;
		for (unsigned k = 0; k < levels; k++) {
			unsigned level = 4 - k, shift = 12 + 9 * (level - 1);
			ck_assert_uint_eq(lv[k].slot, (gpa >> shift) & 511);
			ck_assert_uint_eq(lv[k].at, table + 8 * lv[k].slot);
			ck_assert_int_eq(lv[k].a, (int)(lv[k].entry >> 8 & 1));
			table = lv[k].entry & 0x000ffffffffff000ull;
		}
		const struct walk_level *leaf = &lv[levels - 1];
		uint64_t page = levels == 4 ? 0xfff : levels == 3 ? 0x1fffff : 0x3fffffff;
		ck_assert_uint_eq(hpa, (leaf->entry & 0x000ffffffffff000ull & ~page) | (gpa & page));
		ck_assert_int_eq(leaf->d, (int)(leaf->entry >> 9 & 1));
		ck_assert_msg(leaf->d == (i + 1 < n ? 1 : 0), "GPA %#" PRIx64 " (%s): leaf D=%d",
			      gpas[i], i + 1 < n ? "logged" : "the exit's own", leaf->d);
	}
	free(out);
}
END_TEST

/* Looking changes nothing: the machine's state hash and virtual time after every inspection command. */
START_TEST(inspection_changes_nothing)
{
	static const char *const looks[] = {
		"regs", "where", "vtime", "exits", "vmcs", "pml", "pml 15", "ept walk 0x100000",
		"ept walk 0x13a000", "pt walk $rip", "pt walk guest 0x100000", "pt walk guest 0x200000",
		"x/8gx $rsp", "x/s $rip", "x/4i $rip", "disas", "info breakpoints", "info symbol $rip",
		"help",
	};
	struct sess x;

	sess_open(&x, HV, MIG_CMDLINE, MIG_GUEST, MIG_ARGS);
	free(ok_cmd(&x, "break vmexit pml-full"));
	free(ok_cmd(&x, "continue"));
	struct machine *m = dbg_machine(x.d);
	uint64_t hash = state_hash(&m->cpu), vtime = m->cpu.vtime;
	for (size_t i = 0; i < sizeof looks / sizeof looks[0]; i++) {
		enum dbg_cmd_result r;
		free(run_cmd(&x, looks[i], &r));
		ck_assert_msg(state_hash(&m->cpu) == hash, "'%s' changed the machine", looks[i]);
	}
	/* In non-root operation too: the guest's own walks go through EPT by probes only. */
	free(ok_cmd(&x, "delete vmexit"));
	ck_assert_uint_eq(m->cpu.vtime, vtime);
	while (!m->cpu.nonroot)
		free(ok_cmd(&x, "stepi 100"));
	hash = state_hash(&m->cpu);
	char *out = ok_cmd(&x, "pt walk $rip");
	ck_assert_msg(strstr(out, "guest page walk") && strstr(out, "-> HPA"), "%s", out);
	free(out);
	out = ok_cmd(&x, "where");
	ck_assert_msg(strstr(out, "VMX non-root operation"), "%s", out);
	free(out);
	for (size_t i = 0; i < sizeof looks / sizeof looks[0]; i++)
		free(run_cmd(&x, looks[i], NULL));
	ck_assert(state_hash(&m->cpu) == hash);
	sess_close(&x);
}
END_TEST

/*
 * An EPT violation's exit qualification, decoded by the rules of SDM Vol. 3, Table 28-7 applied
 * here to the raw value the plain run logged: bits 0-2 the access, 3-5 what the entries allow,
 * 7 a linear address is valid, 8 the access was to the translated address.
 */
START_TEST(ept_violation_qualification_decoded)
{
	static const char *const cmdline = "guest=vmx migrate tracker=wp guest_mem=4194304 "
					   "migrate_after=20000";
	struct exit_line e;
	char buf[512], want[80];
	int code;

	plain_first_exit(cmdline, 48, &e);
	char *out = debug_script_with(cmdline, "break vmexit ept-violation\ncontinue\nvmcs EXIT_\n",
				      &code);
	ck_assert_uint_eq(vmcs_value(out, "EXIT_QUALIFICATION"), e.qual);
	line_with(out, "\n  EXIT_QUALIFICATION ", buf, sizeof buf);
	snprintf(want, sizeof want, "[EPT violation: %s%s%saccess; entries allow %c%c%c",
		 e.qual & 1 ? "read " : "", e.qual & 2 ? "write " : "", e.qual & 4 ? "fetch " : "",
		 e.qual & 8 ? 'r' : '-', e.qual & 16 ? 'w' : '-', e.qual & 32 ? 'x' : '-');
	ck_assert_msg(strstr(buf, want), "%s (expected %s)", buf, want);
	if (e.qual & 0x80)
		ck_assert_msg(strstr(buf, e.qual & 0x100 ? "to the translated GLA" : "guest paging entry"),
			      "%s", buf);
	line_with(out, "\n  EXIT_REASON ", buf, sizeof buf);
	ck_assert_msg(strstr(buf, "= 0x30  [EPT_VIOLATION: EPT violation]"), "%s", buf);
	free(out);
}
END_TEST

/* A batch script stops at its first error with "FILE:LINE: message" and exit code 2. */
START_TEST(batch_script_stops_at_first_error)
{
	struct sess x;
	int code;

	sess_open(&x, HV, PV_SMAP);
	static const char script[] = "# a comment\n\nregs\nx nowhere\nregs\n";
	const char *path = temp_file(script, strlen(script));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	code = dbg_cli_main(&x.s, path, true, f);
	fclose(f);
	ck_assert_int_eq(code, EXIT_USAGE);
	char want[128];
	snprintf(want, sizeof want, "(hvsim) x nowhere\n%s:4: x: bad address 'nowhere'\n", path);
	ck_assert_msg(len >= strlen(want) && !strcmp(text + len - strlen(want), want), "%s", text);
	unlink(path);
	free(text);
	FILE *null = fopen("/dev/null", "w");
	ck_assert_int_eq(dbg_cli_main(&x.s, "/nonexistent/script", true, null), EXIT_USAGE);
	fclose(null);
	sess_close(&x);

	/* The same through `hvsim debug -x FILE --batch`. */
	text = debug_script("regs\nbreak vmexit pml-fool\nregs\n", &code);
	ck_assert_int_eq(code, EXIT_USAGE);
	ck_assert_msg(strstr(text, ":2: break vmexit: unknown exit reason 'pml-fool'") &&
		      !strstr(text, "pml-fool'\n(hvsim) regs"), "%s", text);
	free(text);
}
END_TEST

/* A script that runs the machine to its end returns the machine's exit code. */
START_TEST(script_to_the_end_gives_the_machines_exit_code)
{
	struct sess x;
	int code;

	sess_open(&x, HV, PV_SMAP);
	char *out = run_script(&x, "continue\nwhere\n", &code);
	ck_assert_msg(code == 0 && strstr(out, "the machine exited with code 0"), "%d %s", code, out);
	free(out);
	out = run_script(&x, "step\n", &code);
	ck_assert_msg(code == EXIT_USAGE && strstr(out, "step: the machine has exited"), "%s", out);
	free(out);
	sess_close(&x);
}
END_TEST

Suite *suite_debug_cmds(void)
{
	Suite *s = suite_create("debug_cmds");
	TCase *cmd = tcase_create("commands");
	TCase *pml = tcase_create("pml-full");

	tcase_add_test(cmd, bad_arguments_are_one_line_errors);
	tcase_add_test(cmd, monitor_refuses_running_commands);
	tcase_add_test(cmd, catchpoints_by_name);
	tcase_add_test(cmd, values_and_symbols_in_commands);
	tcase_add_test(cmd, next_disas_and_x_agree_with_objdump);
	tcase_add_test(cmd, reverse_stepi_restores_registers);
	tcase_add_test(cmd, interactive_lines_repeat_steps);
	tcase_add_test(cmd, batch_script_stops_at_first_error);
	tcase_add_test(cmd, script_to_the_end_gives_the_machines_exit_code);
	tcase_add_test(pml, pml_full_session_matches_the_plain_run);
	tcase_add_test(pml, pml_full_ept_walks_show_the_d_flags);
	tcase_add_test(pml, inspection_changes_nothing);
	tcase_add_test(pml, ept_violation_qualification_decoded);
	suite_add_tcase(s, cmd);
	suite_add_tcase(s, pml);
	return s;
}
