/* Pre-copy live migration (migrate.h). */
#include "migrate.h"

#include "arch/x86.h"
#include "logdirty.h"
#include "mm/mm.h"

enum mig_state { MIG_WAITING, MIG_ROUNDS, MIG_DONE };

struct migration {
	enum mig_state state;
	const struct tracker *tracker;
	uint64_t bandwidth, tsc_hz, max_rounds, threshold, slice, start_after;
	unsigned timer_shift; /* the preemption timer counts every 2^shift TSC ticks */
	bool rearm;           /* the slice ended: load a whole one at the next entry */
	bool skip_final_harvest;
	struct vm dst;
	uint64_t *todo; /* pages still to send this round */
	uint64_t todo_count, cursor;
	uint64_t credit, last_tsc; /* bytes the link may carry now, and when credit was counted */
	/* this round's start, to report differences */
	unsigned round;
	uint64_t round_sent, t_round, guest0, track0, exits0[EXIT_REASON_MAX];
	uint64_t total_sent, downtime, lost;
};

static struct migration mig;
static struct vcpu dst_vcpu;

static const char *const exit_names[EXIT_REASON_MAX] = {
	[EXIT_EXCEPTION] = "exception", [EXIT_TRIPLE_FAULT] = "triple_fault", [EXIT_CPUID] = "cpuid",
	[EXIT_HLT] = "hlt", [EXIT_VMCALL] = "vmcall", [EXIT_IO] = "io",
	[EXIT_EPT_VIOLATION] = "ept_violation", [EXIT_EPT_MISCONFIG] = "ept_misconfig",
	[EXIT_PREEMPT_TIMER] = "preempt", [EXIT_PML_FULL] = "pml_full",
};

static uint64_t words(const struct vm *vm) { return bitmap_words(vm->mem.npages); }

bool migrate_init(struct vm *vm, const char *cmd)
{
	char name[8] = "pml";
	const char *why;

	cmdline_str(cmd, "tracker", name, sizeof name);
	const struct tracker *t = tracker_find(name);
	if (!t) {
		printf("hv: unknown tracker \"%s\" (pml, wp or scan)\n", name);
		return false;
	}
	logdirty_set_guest_tracker(t);
	if (!cmdline_flag(cmd, "migrate"))
		return true;
	if ((why = tracker_unsupported(t))) {
		printf("hv: tracker %s: %s\n", t->name, why);
		return false;
	}
	if (!(rdmsr(MSR_VMX_TRUE_PIN) >> 32 & PIN_PREEMPT_TIMER) ||
	    !(rdmsr(MSR_VMX_TRUE_EXIT) >> 32 & EXIT_SAVE_PREEMPT)) {
		printf("hv: migration needs the VMX-preemption timer, saved on exit\n");
		return false;
	}
	char inject[32] = "";
	cmdline_str(cmd, "inject", inject, sizeof inject);
	mig = (struct migration){
		.tracker = t,
		.bandwidth = cmdline_u64(cmd, "bandwidth", 1ull << 30),
		.tsc_hz = cmdline_u64(cmd, "tsc_khz", 1000000) * 1000,
		.max_rounds = cmdline_u64(cmd, "max_rounds", 5),
		.threshold = cmdline_u64(cmd, "threshold", 50),
		.slice = cmdline_u64(cmd, "slice", 100000),
		.start_after = cmdline_u64(cmd, "migrate_after", 1000000),
		.timer_shift = rdmsr(MSR_VMX_MISC) & 0x1f, /* SDM Vol. 3, A.6 */
		.skip_final_harvest = !strcmp(inject, "skip-final-harvest"),
		.rearm = true,
	};
	if (!mig.bandwidth || !mig.tsc_hz || !mig.max_rounds || !mig.slice) {
		printf("hv: bandwidth, tsc_khz, max_rounds and slice must be positive\n");
		return false;
	}
	uint64_t pml_entries = cmdline_u64(cmd, "pml_entries", PML_LOG_ENTRIES);
	if (!pml_entries || pml_entries > PML_LOG_ENTRIES) {
		printf("hv: pml_entries must be 1..%d\n", PML_LOG_ENTRIES);
		return false;
	}
	vm->pml_entries = (unsigned)pml_entries;
	uint64_t todo = pages_alloc_contig(ALIGN_UP(words(vm) * 8, PAGE_SIZE) >> PAGE_SHIFT);
	if (!todo || !vm_create(&mig.dst, vm->dom, &dst_vcpu)) {
		printf("hv: not enough memory for the destination VM\n");
		return false;
	}
	mig.todo = phys_to_virt(todo);
	vm->mig = &mig;
	return true;
}

/*
 * Slices of guest time end by the VMX-preemption timer (SDM Vol. 3, 26.7.4). Its value is saved
 * on every exit (27.3.4), so other exits do not restart the slice: a guest that exits often
 * still reaches the end of its slice, and the migration keeps its pace.
 */
void migrate_before_entry(struct vm *vm)
{
	struct migration *m = vm->mig;

	if (!m || m->state == MIG_DONE || !m->rearm)
		return;
	vmwrite(PIN_CONTROLS, vmreadz(PIN_CONTROLS) | PIN_PREEMPT_TIMER);
	vmwrite(EXIT_CONTROLS, vmreadz(EXIT_CONTROLS) | EXIT_SAVE_PREEMPT);
	vmwrite(PREEMPTION_TIMER, m->slice >> m->timer_shift);
	m->rearm = false;
}

static void print_exits(const struct vm *vm, const struct migration *m)
{
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		if (vm->exits[r] != m->exits0[r])
			printf(" exit.%s=%lu", exit_names[r] ? exit_names[r] : "other",
			       vm->exits[r] - m->exits0[r]);
	printf("\n");
}

static void round_begin(struct vm *vm, struct migration *m)
{
	m->round_sent = 0;
	m->cursor = 0;
	m->t_round = rdtsc();
	m->guest0 = vm->guest_ticks;
	m->track0 = vm->track_ticks;
	memcpy(m->exits0, vm->exits, sizeof m->exits0);
}

static void send_page(struct vm *vm, struct migration *m, uint64_t gfn)
{
	memcpy(gmem_page(&m->dst.mem, gfn), gmem_page(&vm->mem, gfn), PAGE_SIZE);
	m->round_sent++;
	m->total_sent++;
}

/* The next page to send at or after the cursor, clearing it from todo; false when none is left. */
static bool todo_next(struct vm *vm, struct migration *m, uint64_t *gfn)
{
	for (uint64_t w = m->cursor / 64; w < words(vm); w++)
		if (m->todo[w]) {
			uint64_t bit = (uint64_t)__builtin_ctzll(m->todo[w]);
			m->todo[w] &= m->todo[w] - 1;
			m->cursor = w * 64;
			*gfn = w * 64 + bit;
			return true;
		}
	return false;
}

static bool todo_pending(const struct vm *vm, const struct migration *m)
{
	for (uint64_t w = m->cursor / 64; w < words(vm); w++)
		if (m->todo[w])
			return true;
	return false;
}

static void start(struct vm *vm, struct migration *m)
{
	printf("@mig begin tracker=%s guest=%s pages=%lu bandwidth=%lu max_rounds=%lu threshold=%lu\n",
	       m->tracker->name, vm->dom->name, vm->mem.npages, m->bandwidth, m->max_rounds, m->threshold);
	if (!logdirty_enable(vm, m->tracker))
		panic("log-dirty is busy: the guest uses it itself");
	for (uint64_t n = 0; n < vm->mem.npages; n++)
		bitmap_set(m->todo, n);
	m->state = MIG_ROUNDS;
	m->last_tsc = rdtsc();
	round_begin(vm, m);
}

/* Pages the link has carried since the last look: bandwidth over virtual time. */
static void add_credit(struct migration *m)
{
	uint64_t now = rdtsc(), cap = 4 * m->slice * (m->bandwidth / m->tsc_hz + 1) + 2 * PAGE_SIZE;
	m->credit += (now - m->last_tsc) * m->bandwidth / m->tsc_hz;
	m->credit = m->credit < cap ? m->credit : cap;
	m->last_tsc = now;
}

static void stop_and_copy(struct vm *vm, struct migration *m)
{
	uint64_t t0 = rdtsc(), dirtied = 0, gfn;

	round_begin(vm, m);
	memset(m->todo, 0, words(vm) * 8);
	if (!m->skip_final_harvest)
		dirtied = logdirty_harvest(vm, m->todo);
	while (todo_next(vm, m, &gfn))
		send_page(vm, m, gfn);
	logdirty_disable(vm);
	vm_move_vcpu(vm, &m->dst);
	uint64_t copy = rdtsc() - t0, transfer = m->round_sent * PAGE_SIZE * m->tsc_hz / m->bandwidth;
	m->downtime = copy + transfer;
	printf("@mig final dirtied=%lu sent=%lu ticks=%lu guest_ticks=0 track_ticks=%lu transfer_ticks=%lu",
	       dirtied, m->round_sent, copy, vm->track_ticks - m->track0, transfer);
	print_exits(vm, m);
	for (uint64_t n = 0; n < vm->mem.npages; n++)
		m->lost += memcmp(gmem_page(&vm->mem, n), gmem_page(&m->dst.mem, n), PAGE_SIZE) != 0;
	m->state = MIG_DONE;
	vm->dom->migrations++;
	m->dst.mig = m;
	vm->dom->vm = &m->dst;
	vm->mig = NULL;
	vm_destroy(vm);
}

static void round_end(struct vm *vm, struct migration *m)
{
	memset(m->todo, 0, words(vm) * 8);
	uint64_t dirtied = logdirty_harvest(vm, m->todo);
	printf("@mig round n=%u dirtied=%lu sent=%lu ticks=%lu guest_ticks=%lu track_ticks=%lu", m->round,
	       dirtied, m->round_sent, rdtsc() - m->t_round, vm->guest_ticks - m->guest0,
	       vm->track_ticks - m->track0);
	print_exits(vm, m);
	m->round++;
	if (dirtied < m->threshold || m->round >= m->max_rounds) {
		/* The dirty pages just harvested go out with the final ones. */
		uint64_t *carry = m->todo;
		for (uint64_t w = 0; w < words(vm); w++)
			vm->dirty[w] |= carry[w];
		stop_and_copy(vm, m);
		return;
	}
	round_begin(vm, m);
}

void migrate_tick(struct vm *vm)
{
	struct migration *m = vm->mig;
	uint64_t gfn;

	if (!m)
		return;
	m->rearm = true;
	if (m->state == MIG_WAITING && vm->guest_ticks >= m->start_after)
		start(vm, m);
	if (m->state != MIG_ROUNDS)
		return;
	add_credit(m);
	while (m->credit >= PAGE_SIZE && todo_next(vm, m, &gfn)) {
		send_page(vm, m, gfn);
		m->credit -= PAGE_SIZE;
	}
	if (!todo_pending(vm, m))
		round_end(vm, m);
}

void migrate_finish(struct vm *vm, int result)
{
	struct migration *m = vm->mig;

	if (!m)
		return;
	if (m->state != MIG_DONE)
		printf("@mig end rounds=%u sent=%lu downtime_ticks=0 verify=incomplete lost=0 result=%s\n",
		       m->round, m->total_sent, domain_result_name(result));
	else
		printf("@mig end rounds=%u sent=%lu downtime_ticks=%lu verify=%s lost=%lu result=%s\n",
		       m->round + 1 /* the stop-and-copy */, m->total_sent, m->downtime, m->lost ? "mismatch" : "ok", m->lost,
		       domain_result_name(result));
}
