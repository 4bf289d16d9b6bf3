/*
 * `make bench`: the same guest code (tests/bench/bench_guest.S) run side by side in hvsim, with
 * all of its modelling on (its MMU behind Unicorn's virtual TLB, the block hook that counts
 * virtual time, the interposed Unicorn helpers), and in a bare Unicorn (no hooks, Unicorn's own
 * TLB, no paging). It prints guest instructions per second for both and their ratio.
 *
 * Host time is read here, in the benchmark, never in the simulator. Each measurement is the best
 * of a few runs, after a warm-up run that translates the code and commits the host pages. The
 * verdict against the target is printed, not enforced: the exit status reports only whether both
 * engines computed what the loops must compute and whether hvsim's virtual time is exact.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <unicorn/unicorn.h>

#include "cpu/cpu.h"
#include "sim/boot64.h"
#include "sim/ram.h"

/* The guest code, assembled into this program (bench_guest.S). */
extern const uint8_t bench_guest_start[], bench_guest_end[];
extern const uint8_t bench_compute[], bench_compute_halt[];
extern const uint8_t bench_memory[], bench_memory_halt[];

/* Instruction counts, counted by hand from bench_guest.S. */
#define COMPUTE_SETUP_INSNS 2
#define COMPUTE_ITER_INSNS 8
#define MEMORY_PASS_INSNS 4 /* besides 4 per page */
#define MEMORY_PAGE_INSNS 4

/* Guest physical layout, the same in both engines (identity-mapped in hvsim). */
#define CODE_PA 0x100000ull
#define DATA_PA (16ull << 20)
#define WSET_BYTES (128ull << 20)
#define RAM_SIZE (DATA_PA + WSET_BYTES + (16ull << 20))
#define PAGE 4096ull

#define COMPUTE_ITERS 400000000ull
#define COMPUTE_REPS 5
#define MEMORY_PASSES 64ull
#define MEMORY_REPS 3
#define TARGET_RATIO 0.50

/* One run of one loop: where it starts and halts, and its inputs. */
struct job {
	uint64_t entry, halt;
	uint64_t rcx, rdx, rsi, r8;
};

struct outcome {
	double secs;
	uint64_t rax;
	uint64_t insns;  /* hvsim: virtual time elapsed; bare: not counted (0) */
	uint64_t fills;  /* TLB fills where the engine can count them */
};

struct engine {
	const char *name;
	const uint8_t *ram; /* guest physical address 0 */
	bool (*run)(struct engine *e, const struct job *j, struct outcome *o);
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t guest_addr(const uint8_t *sym)
{
	return CODE_PA + (uint64_t)(sym - bench_guest_start);
}

static uint8_t *ram_with_code(void)
{
	uint8_t *ram = ram_alloc(RAM_SIZE);
	if (ram)
		memcpy(ram + CODE_PA, bench_guest_start, (size_t)(bench_guest_end - bench_guest_start));
	return ram;
}

/* ---- hvsim: the cpu/ layer with boot64's identity map, as `hvsim run` boots an ELF ---- */

struct hv_engine {
	struct engine e;
	struct cpu cpu;
	uint8_t *ram;
};

static bool hv_run(struct engine *e, const struct job *j, struct outcome *o)
{
	struct hv_engine *h = (struct hv_engine *)e;
	struct cpu *c = &h->cpu;
	uint64_t vtime0 = c->vtime, fills0 = c->stats_fills;

	cpu_set(c, UC_X86_REG_RIP, j->entry);
	cpu_set(c, UC_X86_REG_RCX, j->rcx);
	cpu_set(c, UC_X86_REG_RDX, j->rdx);
	cpu_set(c, UC_X86_REG_RSI, j->rsi);
	cpu_set(c, UC_X86_REG_R8, j->r8);
	double t0 = now();
	enum cpu_stop stop = cpu_run(c);
	o->secs = now() - t0;
	if (stop != CPU_STOP_HALT || cpu_get(c, UC_X86_REG_RIP) != j->halt + 1) {
		fprintf(stderr, "bench: hvsim stopped (%d) at %#" PRIx64 ", not after the HLT: %s\n",
			(int)stop, cpu_get(c, UC_X86_REG_RIP), c->error);
		return false;
	}
	o->rax = cpu_get(c, UC_X86_REG_RAX);
	o->insns = c->vtime - vtime0;
	o->fills = c->stats_fills - fills0;
	return true;
}

static bool hv_open(struct hv_engine *h)
{
	struct cpu_config cc = { .ram_size = RAM_SIZE };
	enum cpu_err err;

	h->e = (struct engine){ .name = "hvsim (MMU, block hook, glue)", .run = hv_run };
	if (!(h->ram = ram_with_code()))
		return false;
	h->e.ram = h->ram;
	if ((err = cpu_init(&h->cpu, &cc, h->ram)) != CPU_OK) {
		fprintf(stderr, "bench: cannot create hvsim's CPU: %s\n", cpu_strerror(err));
		return false;
	}
	boot64_setup(&h->cpu, CODE_PA, NULL);
	return true;
}

static void hv_close(struct hv_engine *h)
{
	cpu_destroy(&h->cpu);
	ram_free(h->ram, RAM_SIZE);
}

/* ---- bare Unicorn: flat physical addressing, optionally with a hook to weigh its cost ---- */

enum bare_extra {
	BARE_NOTHING,
	BARE_BLOCK_HOOK, /* a block hook that only counts: Unicorn's price for any block hook */
	BARE_VTLB,       /* the virtual TLB with an identity fill hook: its price without an MMU */
};

struct bare_engine {
	struct engine e;
	uc_engine *uc;
	uint8_t *ram;
	uc_hook hook;
	uint64_t blocks, fills;
};

static void bare_count_block(uc_engine *uc, uint64_t pc, uint32_t size, void *opaque)
{
	struct bare_engine *b = opaque;
	(void)uc, (void)pc, (void)size;
	b->blocks++;
}

static bool bare_identity_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *te,
			       void *opaque)
{
	struct bare_engine *b = opaque;
	(void)uc, (void)type;
	b->fills++;
	te->paddr = va & ~(PAGE - 1);
	te->perms = UC_PROT_ALL;
	return true;
}

static bool bare_run(struct engine *e, const struct job *j, struct outcome *o)
{
	struct bare_engine *b = (struct bare_engine *)e;
	uint64_t fills0 = b->fills, rip = 0;
	const struct {
		int reg;
		uint64_t value;
	} in[] = { { UC_X86_REG_RCX, j->rcx }, { UC_X86_REG_RDX, j->rdx },
		   { UC_X86_REG_RSI, j->rsi }, { UC_X86_REG_R8, j->r8 } };

	for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++)
		uc_reg_write(b->uc, in[i].reg, &in[i].value);
	double t0 = now();
	uc_err err = uc_emu_start(b->uc, j->entry, j->halt, 0, 0);
	o->secs = now() - t0;
	uc_reg_read(b->uc, UC_X86_REG_RIP, &rip);
	if (err != UC_ERR_OK || rip != j->halt) {
		fprintf(stderr, "bench: %s stopped at %#" PRIx64 ", not at the HLT: %s\n", e->name, rip,
			uc_strerror(err));
		return false;
	}
	uc_reg_read(b->uc, UC_X86_REG_RAX, &o->rax);
	o->insns = 0;
	o->fills = b->fills - fills0;
	return true;
}

static bool bare_open(struct bare_engine *b, enum bare_extra extra)
{
	static const char *const names[] = {
		[BARE_NOTHING] = "bare Unicorn (no hooks)",
		[BARE_BLOCK_HOOK] = "bare Unicorn + counting block hook",
		[BARE_VTLB] = "bare Unicorn + virtual TLB, identity fill",
	};
	uc_err err;

	*b = (struct bare_engine){ .e = { .name = names[extra], .run = bare_run } };
	if (!(b->ram = ram_with_code()))
		return false;
	b->e.ram = b->ram;
	err = uc_open(UC_ARCH_X86, UC_MODE_64, &b->uc);
	if (err == UC_ERR_OK)
		err = uc_mem_map_ptr(b->uc, 0, RAM_SIZE, UC_PROT_ALL, b->ram);
	if (err == UC_ERR_OK && extra == BARE_BLOCK_HOOK)
		err = uc_hook_add(b->uc, &b->hook, UC_HOOK_BLOCK, bare_count_block, b, 1, 0);
	if (err == UC_ERR_OK && extra == BARE_VTLB)
		err = uc_ctl_tlb_mode(b->uc, UC_TLB_VIRTUAL);
	if (err == UC_ERR_OK && extra == BARE_VTLB)
		err = uc_hook_add(b->uc, &b->hook, UC_HOOK_TLB_FILL, bare_identity_fill, b, 1, 0);
	if (err != UC_ERR_OK)
		fprintf(stderr, "bench: cannot set up %s: %s\n", b->e.name, uc_strerror(err));
	return err == UC_ERR_OK;
}

static void bare_close(struct bare_engine *b)
{
	if (b->uc)
		uc_close(b->uc);
	ram_free(b->ram, RAM_SIZE);
}

/* ---- measuring ---- */

/* One warm-up run, then the fastest of 'reps' runs. */
static bool best_of(struct engine *e, const struct job *warm, const struct job *j, unsigned reps,
		    struct outcome *best)
{
	struct outcome o;

	if (!e->run(e, warm, &o))
		return false;
	best->secs = 1e300;
	for (unsigned i = 0; i < reps; i++) {
		if (!e->run(e, j, &o))
			return false;
		if (o.secs < best->secs)
			*best = o;
	}
	return true;
}

static void print_rate(const struct engine *e, const struct outcome *o, uint64_t insns, bool fills)
{
	printf("  %-44s %8.1f M insn/s  %7.3f s", e->name, (double)insns / o->secs / 1e6, o->secs);
	if (fills)
		printf("  %" PRIu64 " TLB fills", o->fills);
	putchar('\n');
}

static bool check_vtime(const struct outcome *hv, uint64_t expected, const char *formula)
{
	bool ok = hv->insns == expected;
	printf("  instructions: expected %" PRIu64 " (%s), hvsim vtime %" PRIu64 ": %s\n", expected,
	       formula, hv->insns, ok ? "exact" : "MISMATCH");
	return ok;
}

/* The compute loop written in C: what %rax must hold when it halts. */
static uint64_t compute_oracle(uint64_t iters)
{
	uint64_t a = 0, b = 1;
	for (uint64_t c = iters; c; c--) {
		a = a * 0x5bd1e995u + b;
		a ^= a >> 17;
		b += c;
	}
	return a;
}

static bool bench_compute_loop(struct engine *bare, struct engine *hooked, struct engine *hv)
{
	struct job warm = { .entry = guest_addr(bench_compute), .halt = guest_addr(bench_compute_halt),
			    .rcx = 1000 };
	struct job j = warm;
	struct outcome ob, oh, ov;
	uint64_t insns = COMPUTE_SETUP_INSNS + COMPUTE_ITER_INSNS * COMPUTE_ITERS, want = 0;
	bool ok = true;

	j.rcx = COMPUTE_ITERS;
	printf("compute-bound loop: %llu iterations x %d instructions (one block each), best of %d\n",
	       COMPUTE_ITERS, COMPUTE_ITER_INSNS, COMPUTE_REPS);
	if (!best_of(bare, &warm, &j, COMPUTE_REPS, &ob) ||
	    !best_of(hooked, &warm, &j, COMPUTE_REPS, &oh) ||
	    !best_of(hv, &warm, &j, COMPUTE_REPS, &ov))
		return false;
	ok &= check_vtime(&ov, insns + 1, "2 + 8 per iteration + the HLT");
	want = compute_oracle(COMPUTE_ITERS);
	if (ob.rax != want || oh.rax != want || ov.rax != want) {
		printf("  RESULT MISMATCH: rax bare %#" PRIx64 ", hooked %#" PRIx64 ", hvsim %#" PRIx64
		       ", C says %#" PRIx64 "\n", ob.rax, oh.rax, ov.rax, want);
		ok = false;
	}
	print_rate(bare, &ob, insns, false);
	print_rate(hooked, &oh, insns, false);
	print_rate(hv, &ov, insns, false);
	printf("  per block: %.2f ns bare, %+.2f ns with a counting block hook, %+.2f ns in hvsim\n",
	       ob.secs / (double)COMPUTE_ITERS * 1e9,
	       (oh.secs - ob.secs) / (double)COMPUTE_ITERS * 1e9,
	       (ov.secs - ob.secs) / (double)COMPUTE_ITERS * 1e9);
	double ratio = ob.secs / ov.secs;
	printf("  ratio hvsim / bare Unicorn = %.2f (target >= %.2f): %s\n", ratio, TARGET_RATIO,
	       ratio >= TARGET_RATIO ? "meets the target" : "BELOW the target");
	return ok;
}

/*
 * What the memory loop leaves in the engine's RAM after 'passes' passes in all: each pass adds
 * (pages - i) to the word of page i, so a page translated to the wrong frame shows.
 */
static bool memory_check(const struct engine *e, uint64_t pages, uint64_t passes)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t v;
		memcpy(&v, e->ram + DATA_PA + i * PAGE, sizeof v);
		if (v != passes * (pages - i)) {
			printf("  MEMORY MISMATCH in %s: page %" PRIu64 " holds %" PRIu64 ", not %" PRIu64
			       "\n", e->name, i, v, passes * (pages - i));
			return false;
		}
	}
	return true;
}

static bool bench_memory_loop(struct engine *bare, struct engine *vtlb, struct engine *hv)
{
	const uint64_t pages = WSET_BYTES / PAGE;
	struct job warm = { .entry = guest_addr(bench_memory), .halt = guest_addr(bench_memory_halt),
			    .rdx = pages, .rsi = DATA_PA, .r8 = 1 };
	struct job j = warm;
	struct outcome ob, ot, ov;
	uint64_t insns = MEMORY_PASSES * (MEMORY_PASS_INSNS + MEMORY_PAGE_INSNS * pages);
	uint64_t touches = MEMORY_PASSES * pages;
	bool ok = true;

	j.r8 = MEMORY_PASSES;
	printf("memory-heavy loop: %llu MiB working set, one 8-byte read-modify-write per 4 KiB page,"
	       " %" PRIu64 " pages x %llu passes, best of %d\n",
	       WSET_BYTES >> 20, pages, MEMORY_PASSES, MEMORY_REPS);
	if (!best_of(bare, &warm, &j, MEMORY_REPS, &ob) || !best_of(vtlb, &warm, &j, MEMORY_REPS, &ot) ||
	    !best_of(hv, &warm, &j, MEMORY_REPS, &ov))
		return false;
	ok &= check_vtime(&ov, insns + 1, "4 per pass + 4 per page + the HLT");
	/* Each engine ran the warm-up pass and MEMORY_REPS timed runs. */
	ok &= memory_check(bare, pages, 1 + MEMORY_REPS * MEMORY_PASSES);
	ok &= memory_check(vtlb, pages, 1 + MEMORY_REPS * MEMORY_PASSES);
	ok &= memory_check(hv, pages, 1 + MEMORY_REPS * MEMORY_PASSES);
	print_rate(bare, &ob, insns, false);
	print_rate(vtlb, &ot, insns, true);
	print_rate(hv, &ov, insns, true);
	printf("  hvsim: %.2f TLB fills per page touched, %.0f ns per fill beyond bare Unicorn's miss\n",
	       (double)ov.fills / (double)touches, (ov.secs - ob.secs) / (double)ov.fills * 1e9);
	printf("  ratio hvsim / bare Unicorn = %.2f\n", ob.secs / ov.secs);
	return ok;
}

int main(void)
{
	struct hv_engine hv = { 0 };
	struct bare_engine bare = { 0 }, hooked = { 0 }, vtlb = { 0 };
	bool ok = hv_open(&hv) && bare_open(&bare, BARE_NOTHING) &&
		  bare_open(&hooked, BARE_BLOCK_HOOK) && bare_open(&vtlb, BARE_VTLB);

	if (ok) {
		unsigned major, minor;
		uc_version(&major, &minor);
		printf("hvsim bench: the same guest code in hvsim and in bare Unicorn %u.%u\n", major,
		       minor);
		ok = bench_compute_loop(&bare.e, &hooked.e, &hv.e);
		ok = bench_memory_loop(&bare.e, &vtlb.e, &hv.e) && ok;
	}
	bare_close(&vtlb);
	bare_close(&hooked);
	bare_close(&bare);
	hv_close(&hv);
	return ok ? 0 : 1;
}
