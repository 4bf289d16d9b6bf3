/*
 * The debugging engine (sim/debug/engine.h). The reference is always a run without a
 * debugger: stepping, stopping and going backwards must reach exactly the states a plain run
 * passes through (same registers, same RAM, same virtual time), and change nothing it computes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "sim/debug/engine.h"
#include "sim/exitcode.h"
#include "sim/lapic.h"
#include "sim/statehash.h"
#include "tests/lib/harness.h"
#include "tests/sim/gdbstub_test.h"

struct target {
	struct machine_config cfg;
	char image[512], module[600];
	FILE *console; /* COM1, collected */
};

static int build(void *ctx, struct machine *m)
{
	struct target *t = ctx;
	int rc = machine_create(m, &t->cfg);

	if (rc == EXIT_OK) {
		m->serial = m->platform.com1.out = t->console;
		rc = machine_boot(m);
	}
	return rc;
}

static void destroy(void *ctx, struct machine *m)
{
	(void)ctx;
	m->serial = stdout;
	machine_destroy(m);
}

/* hv (the unsafe-demo build) with one guest, as tests/hv/test_hv.c runs it. */
static struct dbg *open_hv(struct target *t, const char *hv, const char *cmdline, const char *guest)
{
	struct dbg *d;

	memset(t, 0, sizeof *t);
	snprintf(t->image, sizeof t->image, "%s", build_path(hv));
	snprintf(t->module, sizeof t->module, "%s", build_path(guest));
	t->cfg = (struct machine_config){ .ram_size = 256ull << 20, .image = t->image,
					  .cmdline = cmdline, .module_count = 1 };
	t->cfg.modules[0] = t->module;
	t->console = tmpfile();
	ck_assert_ptr_nonnull(t->console);
	struct dbg_target dt = { .ctx = t, .build = build, .destroy = destroy, .reversible = true };
	ck_assert_int_eq(dbg_open(&d, &dt), EXIT_OK);
	return d;
}

static char *console_text(struct target *t)
{
	long n;
	char *s;

	fflush(t->console);
	n = ftell(t->console);
	s = calloc(1, (size_t)n + 1);
	rewind(t->console);
	ck_assert_int_eq(fread(s, 1, (size_t)n, t->console), (size_t)n);
	return s;
}

static void close_hv(struct dbg *d, struct target *t)
{
	dbg_close(d);
	fclose(t->console);
}

/* `hvsim run --max-insns N --hash`: the state a plain run has after N instructions. */
static uint64_t plain_hash_at(const char *hv, const char *cmdline, const char *guest, uint64_t n)
{
	char insns[32], mod[600], img[512], cl[200];
	struct run_result r;
	uint64_t h = 0;

	snprintf(insns, sizeof insns, "%" PRIu64, n);
	snprintf(img, sizeof img, "%s", build_path(hv));
	snprintf(mod, sizeof mod, "%s", build_path(guest));
	snprintf(cl, sizeof cl, "%s", cmdline);
	run_hvsim(&r, (const char *const[]){ "run", "--hash", "--max-insns", insns, "--cmdline", cl,
					     "--module", mod, img, NULL });
	ck_assert_msg(r.exit_code == EXIT_SIM_FAULT, "budget run: exit %d\n%s", r.exit_code, r.err);
	const char *p = strstr(r.out, "state-hash: ");
	ck_assert_ptr_nonnull(p);
	h = strtoull(p + 12, NULL, 16);
	run_result_free(&r);
	return h;
}

#define HV "hv/hv-unsafe-demo.elf"
#define PV "guest=pv"
#define SMAP_GUEST "workloads/smap-demo.elf"
#define VMX_MIGRATE "guest=vmx migrate tracker=pml guest_mem=4194304 migrate_after=20000"
#define MEMSTRESS "workloads/memstress.elf"

/*
 * Running to N, and stepping one instruction at a time to N, give the state a plain run has
 * after N instructions (its instruction budget stops there exactly).
 */
START_TEST(stepping_reaches_the_plain_runs_states)
{
	static const uint64_t at[] = { 1, 1000, 250000, 2500000 };
	struct target t;
	struct dbg *d = open_hv(&t, HV, PV, SMAP_GUEST);

	for (unsigned i = 0; i < sizeof at / sizeof at[0]; i++) {
		struct dbg_stop st = dbg_run_to(d, at[i] - (at[i] > 40 ? 40 : 0));
		while (st.kind == DBG_STOP_STEP && st.vtime < at[i])
			st = dbg_stepi(d, 1);
		ck_assert_msg(st.kind == DBG_STOP_STEP, "stop %d (%s) before %" PRIu64, st.kind, st.text, at[i]);
		ck_assert_uint_eq(st.vtime, at[i]);
		ck_assert_msg(state_hash(&dbg_machine(d)->cpu) == plain_hash_at(HV, PV, SMAP_GUEST, at[i]),
			      "state after %" PRIu64 " instructions differs from a plain run's", at[i]);
	}
	close_hv(d, &t);
}
END_TEST

/* The same in a VMX guest being migrated: exits, EPT, PML and the preemption timer. */
START_TEST(stepping_through_vm_exits_matches_the_plain_run)
{
	struct target t;
	struct dbg *d = open_hv(&t, "hv/hv.elf", VMX_MIGRATE, MEMSTRESS " wss=1M rate=20000");
	uint64_t n = 0;
	struct dbg_stop st;

	dbg_catches(d)->vmexit_any = true;
	for (unsigned i = 0; i < 300; i++) /* into the migration: PML-full and timer exits */
		st = dbg_continue(d);
	ck_assert_int_eq(st.kind, DBG_STOP_VMEXIT);
	dbg_catches(d)->vmexit_any = false;
	for (unsigned i = 0; i < 500; i++)
		st = dbg_stepi(d, 1);
	n = st.vtime;
	ck_assert_msg(state_hash(&dbg_machine(d)->cpu) ==
		      plain_hash_at("hv/hv.elf", VMX_MIGRATE, MEMSTRESS " wss=1M rate=20000", n),
		      "state at %" PRIu64 " differs from a plain run's", n);
	close_hv(d, &t);
}
END_TEST

/* Stopping at every VM exit changes nothing the run computes: same console, same exit code. */
START_TEST(stopping_changes_nothing)
{
	const char *guest = MEMSTRESS " wss=1M rate=20000";
	char img[512], mod[600], cl[200];
	struct run_result r;
	struct target t;
	struct dbg *d = open_hv(&t, "hv/hv.elf", VMX_MIGRATE, guest);
	struct dbg_stop st;
	unsigned stops = 0;

	dbg_catches(d)->vmexit_any = true;
	dbg_catches(d)->fault_any = true;
	do {
		st = dbg_continue(d);
		stops++;
	} while (st.kind == DBG_STOP_VMEXIT || st.kind == DBG_STOP_FAULT);
	ck_assert_msg(st.kind == DBG_STOP_EXITED, "stop %d: %s", st.kind, st.text);
	ck_assert_msg(stops > 100, "only %u stops", stops);
	char *text = console_text(&t);
	snprintf(img, sizeof img, "%s", build_path("hv/hv.elf"));
	snprintf(mod, sizeof mod, "%s", build_path(guest));
	snprintf(cl, sizeof cl, "%s", VMX_MIGRATE);
	run_hvsim(&r, (const char *const[]){ "run", "--cmdline", cl, "--module", mod, img, NULL });
	ck_assert_int_eq(st.exit_code, r.exit_code);
	ck_assert_str_eq(text, r.out);
	ck_assert_ptr_nonnull(strstr(text, "verify=ok"));
	free(text);
	run_result_free(&r);
	close_hv(d, &t);
}
END_TEST

static uint64_t nm_address(const char *elf, const char *sym)
{
	char cmd[600], line[256], name[200];
	uint64_t addr, found = 0;
	char type;
	FILE *p;

	snprintf(cmd, sizeof cmd, "nm '%s'", elf);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof line, p))
		if (sscanf(line, "%" SCNx64 " %c %199s", &addr, &type, name) == 3 && !strcmp(name, sym))
			found = addr;
	pclose(p);
	ck_assert_msg(found, "no %s in %s", sym, elf);
	return found;
}

/*
 * The SMAP fault of the unsafe hypercall stops before delivery, at the load in hc_unsafe_read,
 * with CR2 = the guest's buffer (nm's addresses); the console shows nothing of hv's report yet,
 * and going on delivers it: hv reports the violation.
 */
START_TEST(smap_fault_stops_before_delivery)
{
	struct target t;
	struct dbg *d = open_hv(&t, HV, PV, SMAP_GUEST);
	uint64_t fn = nm_address(build_path(HV), "hc_unsafe_read");
	uint64_t buf = nm_address(build_path(SMAP_GUEST), "buf");

	dbg_catches(d)->fault_reasons = 1u << FAULT_SMAP;
	struct dbg_stop st = dbg_continue(d);
	ck_assert_msg(st.kind == DBG_STOP_FAULT, "stop %d: %s", st.kind, st.text);
	ck_assert_uint_eq(st.fault.vector, 14);
	ck_assert_uint_eq(st.fault.reason, FAULT_SMAP);
	ck_assert_uint_eq(st.fault.cr2, buf);
	ck_assert_msg(st.rip > fn && st.rip < fn + 0x100, "rip %#" PRIx64 " not in hc_unsafe_read (%#" PRIx64 ")",
		      st.rip, fn);
	char *before = console_text(&t);
	ck_assert_ptr_null(strstr(before, "SMAP violation"));
	free(before);
	st = dbg_continue(d);
	ck_assert_int_eq(st.kind, DBG_STOP_EXITED);
	char *after = console_text(&t);
	ck_assert_ptr_nonnull(strstr(after, "hv: SMAP violation in hypercall unsafe_read (5) from guest smap-demo\n"));
	free(after);
	close_hv(d, &t);
}
END_TEST

struct regs {
	uint64_t r[20];
};

static const int reg_ids[] = {
	UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
	UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9,
	UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
	UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_RFLAGS, UC_X86_REG_CR3, UC_X86_REG_CS,
};

static struct regs regs_of(struct dbg *d)
{
	struct regs r;
	for (unsigned i = 0; i < 20; i++)
		r.r[i] = dbg_reg(d, reg_ids[i]);
	return r;
}

/*
 * Breakpoint at the hypercall dispatcher (nm's address); step 30 instructions, keeping every
 * state; reverse-stepi returns to each earlier one with identical registers and virtual time,
 * and the console is not printed twice.
 */
START_TEST(reverse_stepi_returns_to_each_previous_instruction)
{
	struct target t;
	struct dbg *d = open_hv(&t, HV, PV, SMAP_GUEST);
	struct regs seen[31];
	uint64_t when[31];
	int id = dbg_break_add(d, nm_address(build_path(HV), "hypercall"), false);

	ck_assert_int_gt(id, 0);
	struct dbg_stop st = dbg_continue(d);
	ck_assert_int_eq(st.kind, DBG_STOP_BREAKPOINT);
	ck_assert_int_eq(st.bp, id);
	char *console = console_text(&t);
	for (unsigned i = 0; i <= 30; i++) {
		seen[i] = regs_of(d);
		when[i] = dbg_last_stop(d)->vtime;
		if (i < 30)
			dbg_stepi(d, 1);
	}
	for (int i = 29; i >= 25; i--) {
		st = dbg_reverse_stepi(d);
		ck_assert_msg(st.kind == DBG_STOP_STEP, "stop %d: %s", st.kind, st.text);
		ck_assert_uint_eq(st.vtime, when[i]);
		struct regs now = regs_of(d);
		for (unsigned k = 0; k < 20; k++)
			ck_assert_msg(now.r[k] == seen[i].r[k], "step %d: register %u is %#" PRIx64
				      ", was %#" PRIx64, i, k, now.r[k], seen[i].r[k]);
	}
	char *again = console_text(&t);
	ck_assert_str_eq(again, console);
	free(console);
	free(again);
	close_hv(d, &t);
}
END_TEST

/* reverse-continue goes back to the previous hit of a breakpoint, then to the start. */
START_TEST(reverse_continue_finds_the_previous_hit)
{
	struct target t;
	struct dbg *d = open_hv(&t, HV, PV, SMAP_GUEST);
	dbg_break_add(d, nm_address(build_path(HV), "hypercall"), false);
	struct dbg_stop first = dbg_continue(d), second = dbg_continue(d);

	ck_assert_int_eq(second.kind, DBG_STOP_BREAKPOINT);
	ck_assert_uint_gt(second.vtime, first.vtime);
	struct dbg_stop st = dbg_reverse_continue(d);
	ck_assert_int_eq(st.kind, DBG_STOP_BREAKPOINT);
	ck_assert_uint_eq(st.vtime, first.vtime);
	ck_assert_uint_eq(st.rip, first.rip);
	st = dbg_reverse_continue(d);
	ck_assert_int_eq(st.kind, DBG_STOP_HISTORY);
	ck_assert_uint_eq(st.vtime, 0);
	close_hv(d, &t);
}
END_TEST

/*
 * A write watchpoint on the guest's buffer: hv's loader clears it (the guest's .bss) with a
 * string store, which Unicorn passes through its memory hooks; the stop names the watched byte,
 * at CPL 0, in hv. (Plain stores to pages already in Unicorn's TLB bypass its memory hooks:
 * README "Debugging" lists that limitation.)
 */
START_TEST(watchpoint_stops_at_the_store)
{
	struct target t;
	struct dbg *d = open_hv(&t, HV, PV, SMAP_GUEST);
	uint64_t buf = nm_address(build_path(SMAP_GUEST), "buf");

	ck_assert_int_gt(dbg_watch_add(d, buf + 5, 1, DBG_WATCH_WRITE), 0);
	struct dbg_stop st = dbg_continue(d);
	ck_assert_msg(st.kind == DBG_STOP_WATCHPOINT, "stop %d: %s", st.kind, st.text);
	ck_assert_uint_eq(st.data_addr, buf + 5);
	ck_assert_uint_eq(cpu_cpl(&dbg_machine(d)->cpu), 0);
	close_hv(d, &t);
}
END_TEST

/*
 * A watchpoint on hv's own data, at its linked (higher-half) address, set inside a hypercall:
 * the plain `in_hypercall = false` store in hypercall() writes a page long in the TLB, from code
 * translated long before. The stop comes right after that store: the flag reads 0 there and 1
 * one instruction earlier, and RIP is in hypercall() (nm).
 */
START_TEST(watchpoint_sees_a_plain_store_to_hvs_data)
{
	struct target t;
	struct dbg *d = open_hv(&t, HV, PV, SMAP_GUEST);
	uint64_t flag, flag_end, fn, fn_end;
	uint8_t now = 0xff, before = 0xff;

	ck_assert(nm_symbol(build_path(HV), "hypercall", &fn, &fn_end));
	ck_assert(nm_symbol(build_path(HV), "in_hypercall", &flag, &flag_end));
	int bp = dbg_break_add(d, nm_address(build_path(HV), "hc_console_write"), false);
	ck_assert_int_gt(bp, 0);
	struct dbg_stop st = dbg_continue(d);
	ck_assert_msg(st.kind == DBG_STOP_BREAKPOINT, "stop %d: %s", st.kind, st.text);
	ck_assert(dbg_point_del(d, bp));
	ck_assert_int_gt(dbg_watch_add(d, flag, 1, DBG_WATCH_WRITE), 0);

	st = dbg_continue(d);
	ck_assert_msg(st.kind == DBG_STOP_WATCHPOINT, "stop %d: %s", st.kind, st.text);
	ck_assert_uint_eq(st.data_addr, flag);
	ck_assert(dbg_read_virt(d, flag, &now, 1));
	uint64_t rip = dbg_reg(d, UC_X86_REG_RIP);
	ck_assert_msg(rip > fn && rip < fn_end, "stopped at %#" PRIx64 ", hypercall() at %#" PRIx64, rip, fn);
	st = dbg_reverse_stepi(d);
	ck_assert(dbg_read_virt(d, flag, &before, 1));
	ck_assert_uint_eq(now, 0);
	ck_assert_uint_eq(before, 1);
	close_hv(d, &t);
}
END_TEST

/*
 * CR8 is the APIC's task priority, for the debugger as for MOV (SDM Vol. 3, 11.8.6.1):
 * CR8[3:0] = TPR[7:4], and writing CR8 clears TPR[3:0]. Unicorn has no CR8 of its own.
 */
START_TEST(cr8_is_the_apics_task_priority)
{
	struct target t;
	struct dbg *d = open_hv(&t, HV, PV, SMAP_GUEST);
	struct machine *m = dbg_machine(d);

	lapic_write(&m->platform.lapic, LAPIC_TPR, 0x3c, m->cpu.vtime);
	ck_assert_uint_eq(dbg_reg(d, UC_X86_REG_CR8), 3);
	dbg_set_reg(d, UC_X86_REG_CR8, 9);
	ck_assert_uint_eq(lapic_read(&m->platform.lapic, LAPIC_TPR, m->cpu.vtime), 0x90);
	ck_assert_uint_eq(dbg_reg(d, UC_X86_REG_CR8), 9);
	close_hv(d, &t);
}
END_TEST

Suite *suite_debug_engine(void)
{
	Suite *s = suite_create("sim/debug_engine");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, stepping_reaches_the_plain_runs_states);
	tcase_add_test(tc, stepping_through_vm_exits_matches_the_plain_run);
	tcase_add_test(tc, stopping_changes_nothing);
	tcase_add_test(tc, smap_fault_stops_before_delivery);
	tcase_add_test(tc, reverse_stepi_returns_to_each_previous_instruction);
	tcase_add_test(tc, reverse_continue_finds_the_previous_hit);
	tcase_add_test(tc, watchpoint_stops_at_the_store);
	tcase_add_test(tc, watchpoint_sees_a_plain_store_to_hvs_data);
	tcase_add_test(tc, cr8_is_the_apics_task_priority);
	suite_add_tcase(s, tc);
	return s;
}
