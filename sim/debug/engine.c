/*
 * The debugging engine (engine.h). It owns the run loop of the machine it debugs: cpu_run
 * with cpu->stop_at and the hooks of cpu/debug.h, which stop at exact instruction boundaries.
 * Reverse execution rebuilds the machine and runs it forward again (runs are deterministic).
 */
#include "sim/debug/engine.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "sim/debug/engine_internal.h"
#include "sim/exitcode.h"
#include "vmx/vmx.h"

/* ---- the hooks cpu_run calls (cpu/debug.h) ---- */

static bool bit(uint64_t set, unsigned n)
{
	return n < 64 && (set >> n) & 1;
}

static bool on_event(void *opaque, struct cpu *cpu, const struct fault *f, enum event_kind kind)
{
	struct dbg *d = opaque;
	const struct dbg_catch *c = &d->catches;
	(void)cpu;

	if (kind == EVENT_EXTERNAL || d->quiet)
		return false;
	if (!c->fault_any && !bit(c->fault_vectors, f->vector) &&
	    !(f->vector == X86_PF && bit(c->fault_reasons, f->reason)))
		return false;
	d->hit = (struct dbg_stop){ .kind = DBG_STOP_FAULT, .fault = *f };
	return true;
}

static bool hypercall_caught(struct dbg *d, uint64_t nr)
{
	return d->catches.hypercall_any || bit(d->catches.hypercalls, (unsigned)nr);
}

static bool on_vm_exit(void *opaque, struct cpu *cpu)
{
	struct dbg *d = opaque;
	const struct vmx *v = &d->m.vmx;
	uint32_t reason;

	if (d->quiet || !v->exits)
		return false;
	reason = v->ring[(v->exits - 1) % VMX_EXIT_RING].reason & 0xffff;
	if (reason == EXIT_VMCALL && hypercall_caught(d, cpu_get(cpu, UC_X86_REG_RAX))) {
		d->hit = (struct dbg_stop){ .kind = DBG_STOP_HYPERCALL, .exit_reason = reason,
					    .hypercall = cpu_get(cpu, UC_X86_REG_RAX) };
		return true;
	}
	if (!d->catches.vmexit_any && !bit(d->catches.vmexit_reasons, reason))
		return false;
	d->hit = (struct dbg_stop){ .kind = DBG_STOP_VMEXIT, .exit_reason = reason };
	return true;
}

static bool on_syscall(void *opaque, struct cpu *cpu)
{
	struct dbg *d = opaque;
	uint64_t nr = cpu_get(cpu, UC_X86_REG_RAX);

	if (d->quiet || !hypercall_caught(d, nr))
		return false;
	d->hit = (struct dbg_stop){ .kind = DBG_STOP_HYPERCALL, .hypercall = nr, .exit_reason = ~0u };
	return true;
}

static bool on_breakpoint(void *opaque, struct cpu *cpu, uint64_t addr)
{
	struct dbg *d = opaque;
	int id = dbg_break_find(d, addr);
	(void)cpu;

	if (id < 0 || d->quiet)
		return false;
	d->hit = (struct dbg_stop){ .kind = DBG_STOP_BREAKPOINT, .bp = id };
	return true;
}

/*
 * The access to physical [pa, pa + size) overlaps watched memory the way it watches; the stop
 * names the first byte it touched there by the watchpoint's own (linear) address.
 */
static bool on_watchpoint(void *opaque, struct cpu *cpu, uint64_t pa, unsigned size, bool write)
{
	struct dbg *d = opaque;
	(void)cpu;

	if (d->quiet)
		return false;
	for (unsigned i = 0; i < DBG_POINTS_MAX; i++) {
		const struct dbg_point *p = &d->points[i];
		if (!p->id || !(p->how & (write ? DBG_WATCH_WRITE : DBG_WATCH_READ)))
			continue;
		for (unsigned j = 0; j < p->pieces; j++) {
			const struct dbg_piece *q = &p->piece[j];
			if (pa >= q->pa + q->len || q->pa >= pa + size)
				continue;
			d->hit = (struct dbg_stop){ .kind = DBG_STOP_WATCHPOINT, .bp = p->id,
						    .data_addr = q->va + (pa > q->pa ? pa - q->pa : 0) };
			return true;
		}
	}
	return false;
}

/* ---- building and rebuilding ---- */

static int build(struct dbg *d)
{
	int rc = d->t.build(d->t.ctx, &d->m);

	if (rc != EXIT_OK)
		return rc;
	d->built = true;
	d->hooks = (struct cpu_debug){ .opaque = d, .event = on_event, .vm_exit = on_vm_exit,
				       .syscall = on_syscall, .breakpoint = on_breakpoint,
				       .watchpoint = on_watchpoint };
	d->m.cpu.debug = &d->hooks;
	d->m.platform.com1.mute = d->console_shown;
	d->exited = false;
	d->last = (struct dbg_stop){ .kind = DBG_STOP_STEP };
	dbg_describe_stop(&d->last);
	d->at_boundary = true;
	return points_reinsert(d) ? EXIT_OK : EXIT_SIM_FAULT;
}

static void teardown(struct dbg *d)
{
	if (!d->built)
		return;
	if (d->m.platform.com1.bytes > d->console_shown)
		d->console_shown = d->m.platform.com1.bytes;
	d->t.destroy(d->t.ctx, &d->m);
	d->built = false;
}

int dbg_open(struct dbg **out, const struct dbg_target *t)
{
	struct dbg *d = calloc(1, sizeof *d);
	int rc;

	if (!d) {
		fprintf(stderr, "hvsim: out of memory\n");
		return EXIT_SIM_FAULT;
	}
	d->t = *t;
	d->next_id = 1;
	rc = build(d);
	if (rc != EXIT_OK) {
		free(d);
		return rc;
	}
	*out = d;
	return EXIT_OK;
}

void dbg_close(struct dbg *d)
{
	if (!d)
		return;
	teardown(d);
	free(d);
}

struct machine *dbg_machine(struct dbg *d)
{
	return &d->m;
}

const struct dbg_stop *dbg_last_stop(const struct dbg *d)
{
	return &d->last;
}

bool dbg_exited(const struct dbg *d)
{
	return d->exited;
}

void dbg_interrupt(struct dbg *d)
{
	d->interrupt = 1;
}

void dbg_set_poll(struct dbg *d, bool (*poll)(void *ctx), void *ctx)
{
	d->poll = poll;
	d->poll_ctx = ctx;
}

struct dbg_catch *dbg_catches(struct dbg *d)
{
	return &d->catches;
}

/* ---- running forward ---- */

static struct dbg_stop finish(struct dbg *d, struct dbg_stop st)
{
	struct cpu *cpu = &d->m.cpu;

	st.vtime = cpu->vtime;
	st.rip = cpu_get(cpu, UC_X86_REG_RIP);
	/* A VM exit's state is past the position it stopped at: the guest's instruction is there. */
	d->at_boundary = st.kind != DBG_STOP_VMEXIT &&
			 !(st.kind == DBG_STOP_HYPERCALL && st.exit_reason != ~0u);
	dbg_describe_stop(&st);
	d->last = st;
	if (st.kind == DBG_STOP_BREAKPOINT)
		point_hit(d, st.bp);
	return st;
}

/* The machine ended (cpu_run stopped for good): its exit code, as `hvsim run` gives it. */
static struct dbg_stop ended(struct dbg *d, enum cpu_stop stop)
{
	struct dbg_stop st = { .kind = DBG_STOP_EXITED };

	st.exit_code = machine_exit_code(&d->m, stop);
	d->exited = true;
	d->exit_code = st.exit_code;
	return finish(d, st);
}

/* Translate a CPU_STOP_DEBUG into a stop, or DBG_STOP_STEP with .bp = -1 to go on. */
static struct dbg_stop debug_stop(struct dbg *d, uint64_t until, bool *go_on)
{
	struct cpu *cpu = &d->m.cpu;
	struct dbg_stop st = { .kind = DBG_STOP_STEP };

	*go_on = false;
	switch (cpu->debug_reason) {
	case CPU_DEBUG_TIME:
		if (until && cpu->vtime >= until)
			return st;
		if (d->interrupt || (d->poll && d->poll(d->poll_ctx))) {
			d->interrupt = 0;
			st.kind = DBG_STOP_INTERRUPT;
			return st;
		}
		*go_on = true;
		return st;
	default:
		st = d->hit;
		return st;
	}
}

static struct dbg_stop rerun_to(struct dbg *d, uint64_t vtime);
static struct dbg_stop run(struct dbg *d, uint64_t until);
static struct dbg_stop run_blocks(struct dbg *d, uint64_t until);

/*
 * A watchpoint stops where the block that made the access ends. Re-run to the block's start and
 * step it: the stop comes right after the instruction, as the SDM's data breakpoints do.
 */
static struct dbg_stop exact_watch(struct dbg *d, struct dbg_stop st)
{
	uint64_t start = d->m.cpu.block_vtime, end = d->m.cpu.vtime;

	if (dbg_reverse_unavailable(d) || d->quiet || d->refining || start >= end)
		return st;
	d->refining = true;
	struct dbg_stop again = rerun_to(d, start);
	while (again.kind == DBG_STOP_STEP && again.vtime < end)
		again = run(d, d->m.cpu.vtime + 1);
	d->refining = false;
	if (again.kind == DBG_STOP_STEP && again.vtime == end) /* the block's end, as first seen */
		again = finish(d, st);
	return again;
}

/* Run forward (run_blocks), watchpoint stops made exact. */
static struct dbg_stop run(struct dbg *d, uint64_t until)
{
	struct dbg_stop st = run_blocks(d, until);

	return st.kind == DBG_STOP_WATCHPOINT ? exact_watch(d, st) : st;
}

static struct dbg_stop run_loop(struct dbg *d, uint64_t until)
{
	struct cpu *cpu = &d->m.cpu;
	struct dbg_stop st;

	for (;;) {
		uint64_t poll = cpu->vtime + DBG_POLL_INSNS; /* ^C, gdb's 0x03 */
		bool go_on;

		cpu->stop_at = until && until < poll ? until : poll;
		d->hit = (struct dbg_stop){ .kind = DBG_STOP_STEP };
		enum cpu_stop stop = cpu_run(cpu);
		cpu->stop_at = 0;
		if (stop != CPU_STOP_DEBUG)
			return ended(d, stop);
		st = debug_stop(d, until, &go_on);
		if (!go_on)
			return finish(d, st);
	}
}

/*
 * Run until 'until' (exact virtual time; 0: no limit) or a stop. With a breakpoint at RIP, its
 * instruction runs first with breakpoints off: continuing from a breakpoint leaves it.
 */
static struct dbg_stop run_blocks(struct dbg *d, uint64_t until)
{
	struct cpu *cpu = &d->m.cpu;
	struct dbg_stop st;

	if (d->exited)
		return d->last;
	if (dbg_break_find(d, cpu_get(cpu, UC_X86_REG_RIP)) >= 0) {
		cpu->breaks_off = true;
		st = run_loop(d, cpu->vtime + 1);
		cpu->breaks_off = false;
		if (st.kind != DBG_STOP_STEP || (until && cpu->vtime >= until))
			return st;
	}
	return run_loop(d, until);
}

struct dbg_stop dbg_continue(struct dbg *d)
{
	return run(d, 0);
}

struct dbg_stop dbg_stepi(struct dbg *d, uint64_t n)
{
	return run(d, d->m.cpu.vtime + (n ? n : 1));
}

struct dbg_stop dbg_run_to(struct dbg *d, uint64_t vtime)
{
	if (vtime <= d->m.cpu.vtime)
		return d->last;
	return run(d, vtime);
}

struct dbg_stop dbg_until(struct dbg *d, uint64_t addr)
{
	int id = dbg_break_add(d, addr, true);
	struct dbg_stop st;

	if (id < 0) {
		st = (struct dbg_stop){ .kind = DBG_STOP_ERROR };
		snprintf(st.text, sizeof st.text, "cannot set a breakpoint at %#llx",
			 (unsigned long long)addr);
		return st;
	}
	st = dbg_continue(d);
	if (st.kind != DBG_STOP_BREAKPOINT || st.bp != id)
		dbg_point_del(d, id); /* stopped elsewhere first: the temporary one goes */
	return st;
}

/* ---- reverse execution ---- */

const char *dbg_reverse_unavailable(const struct dbg *d)
{
	return d->t.reversible ? NULL
			       : "reverse execution needs a re-runnable machine (not record or replay)";
}

/* Rebuild and run, quietly (no stops), to 'vtime'. */
static struct dbg_stop rerun_to(struct dbg *d, uint64_t vtime)
{
	struct dbg_stop st;
	int rc;

	teardown(d);
	rc = build(d);
	if (rc != EXIT_OK) {
		st = (struct dbg_stop){ .kind = DBG_STOP_ERROR, .exit_code = rc };
		snprintf(st.text, sizeof st.text, "cannot rebuild the machine to re-run it");
		d->exited = true;
		d->last = st;
		return st;
	}
	if (!vtime) {
		st = (struct dbg_stop){ .kind = DBG_STOP_HISTORY };
		return finish(d, st);
	}
	d->quiet = true;
	st = run(d, vtime);
	d->quiet = false;
	return st;
}

static struct dbg_stop unavailable(struct dbg *d)
{
	struct dbg_stop st = { .kind = DBG_STOP_ERROR };
	snprintf(st.text, sizeof st.text, "%s", dbg_reverse_unavailable(d));
	st.vtime = d->last.vtime;
	st.rip = d->last.rip;
	return st;
}

/*
 * The position of the state before the previous instruction. A stop at an instruction
 * boundary at virtual time T goes to T - 1; a VM exit's stop goes to T, where the guest's
 * instruction that exited had not yet run.
 */
struct dbg_stop dbg_reverse_stepi(struct dbg *d)
{
	uint64_t now = d->exited ? d->m.cpu.vtime : d->last.vtime;
	uint64_t target = d->at_boundary || d->exited ? (now ? now - 1 : 0) : now;
	struct dbg_stop st;

	if (dbg_reverse_unavailable(d))
		return unavailable(d);
	st = rerun_to(d, target);
	if (st.kind == DBG_STOP_STEP && !target) {
		st.kind = DBG_STOP_HISTORY;
		st = finish(d, st);
	}
	return st;
}

/*
 * Two passes: count the stops strictly before the current position, then rebuild and run to
 * the last of them.
 */
struct dbg_stop dbg_reverse_continue(struct dbg *d)
{
	uint64_t now = d->exited ? d->m.cpu.vtime : d->last.vtime;
	unsigned count = 0;
	struct dbg_stop st;

	if (dbg_reverse_unavailable(d))
		return unavailable(d);
	st = rerun_to(d, 0);
	while (st.kind != DBG_STOP_ERROR) {
		st = run(d, now);
		if (st.kind == DBG_STOP_STEP || st.kind == DBG_STOP_EXITED || st.kind == DBG_STOP_ERROR ||
		    st.vtime >= now)
			break;
		if (st.kind != DBG_STOP_INTERRUPT)
			count++;
	}
	st = rerun_to(d, 0);
	for (unsigned i = 0; i < count && st.kind != DBG_STOP_ERROR; ) {
		st = run(d, now);
		if (st.kind != DBG_STOP_INTERRUPT)
			i++;
	}
	if (!count)
		st.kind = DBG_STOP_HISTORY;
	return count ? st : finish(d, st);
}

/* ---- state ---- */

uint64_t dbg_reg(struct dbg *d, int reg)
{
	return cpu_get(&d->m.cpu, reg);
}

void dbg_set_reg(struct dbg *d, int reg, uint64_t value)
{
	if (reg == UC_X86_REG_RIP && value != cpu_get(&d->m.cpu, reg))
		cpu_drop_held(&d->m.cpu);
	cpu_set(&d->m.cpu, reg, value);
}

bool dbg_read_virt(struct dbg *d, uint64_t va, void *buf, size_t len)
{
	return cpu_peek(&d->m.cpu, va, buf, len);
}

bool dbg_write_virt(struct dbg *d, uint64_t va, const void *buf, size_t len)
{
	struct cpu *cpu = &d->m.cpu;
	struct mmu_regs regs;
	const uint8_t *p = buf;

	cpu_mmu_regs(cpu, &regs);
	while (len) {
		size_t chunk = 0x1000 - (va & 0xfff);
		uint64_t pa;
		if (chunk > len)
			chunk = len;
		if (!cpu_probe(cpu, &regs, va, &pa) || !dbg_write_phys(d, pa, p, chunk))
			return false;
		va += chunk;
		p += chunk;
		len -= chunk;
	}
	return true;
}

bool dbg_read_phys(struct dbg *d, uint64_t pa, void *buf, size_t len)
{
	const uint8_t *host = len ? phys_host(&d->m.cpu.phys, pa, len) : NULL;

	if (!host)
		return false;
	memcpy(buf, host, len);
	return true;
}

/* Code the CPU translated from the bytes changed must be translated again. */
bool dbg_write_phys(struct dbg *d, uint64_t pa, const void *buf, size_t len)
{
	uint8_t *host = len ? phys_host(&d->m.cpu.phys, pa, len) : NULL;

	if (!host)
		return false;
	memcpy(host, buf, len);
	uc_ctl_flush_tb(d->m.cpu.uc);
	return true;
}
