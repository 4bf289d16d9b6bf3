/*
 * The x86-64 system model around one Unicorn engine: Unicorn executes instructions, and this
 * layer owns everything that decides what an access may do (cpu/mmu.c through the TLB-fill hook),
 * how events are delivered (cpu/events.c), and what CPUID, MSRs and the TSC say (cpu/profile.c).
 */
#ifndef HVSIM_CPU_CPU_H
#define HVSIM_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <unicorn/unicorn.h>

#include "cpu/debug.h"
#include "cpu/fault.h"
#include "cpu/glue_env.h"
#include "cpu/guest_hooks.h"
#include "cpu/mmu.h"
#include "cpu/phys.h"
#include "cpu/virt.h"

struct cpu;

/* What the platform (sim/) provides to the CPU: port I/O, interrupts and timers. */
struct cpu_io {
	void *opaque;
	uint32_t (*in)(void *opaque, uint16_t port, unsigned size);
	void (*out)(void *opaque, uint16_t port, unsigned size, uint32_t value);
	uint64_t (*next_deadline)(void *opaque);     /* vtime of the next timer event, or UINT64_MAX */
	void (*advance)(void *opaque, uint64_t now); /* fire the timers due by 'now' */
	int (*pending_irq)(void *opaque);            /* the interrupt the CPU would take, or -1 */
	void (*accept_irq)(void *opaque, int vector);
	/* The local APIC's TPR (SDM Vol. 3, 11.8.3.1), which CR8 mirrors (cpu/cr.h); NULL: none. */
	uint8_t (*get_tpr)(void *opaque);
	void (*set_tpr)(void *opaque, uint8_t tpr);
};

enum cpu_log {
	CPU_LOG_FAULTS = 1u << 0, /* every #PF with RIP, CR2, error code, CPL, AC and reason */
	CPU_LOG_EVENTS = 1u << 1, /* every exception / interrupt delivered */
	CPU_LOG_VMX = 1u << 2,    /* VM entries and exits (vmx/) */
};

struct cpu_config {
	uint64_t ram_size;
	unsigned log;            /* enum cpu_log */
	FILE *log_file;          /* NULL: stderr */
	const char *profile;     /* CPU profile name; NULL: the default */
};

/* Why cpu_run returned. */
enum cpu_stop {
	CPU_STOP_HALT,         /* HLT with interrupts disabled: the guest is done */
	CPU_STOP_REQUEST,      /* a device asked to stop (debug-exit port) */
	CPU_STOP_BUDGET,       /* the instruction budget ran out */
	CPU_STOP_TRIPLE_FAULT, /* shutdown: reported with the exceptions that led to it */
	CPU_STOP_ERROR,        /* the simulator cannot continue (cpu->error says why) */
	CPU_STOP_DEBUG,        /* a debugger's stop (cpu/debug.h): cpu->debug_reason says which */
};

#define CPU_EXC_HISTORY 8 /* the longest chain: benign, contributory, #PF, #PF, #DF, fault */
/*
 * Pages filled into Unicorn's TLB since the last flush. A flush of up to this many pages is done
 * page by page (QEMU's INVLPG); more, and the whole TLB is flushed.
 */
#define CPU_TLB_PAGES 8

struct icount_cache;
struct cpu_profile;

struct cpu {
	uc_engine *uc;
	struct glue_env env; /* QEMU's CPU state, read in place (cpu/glue_env.h) */
	struct cpu_config cfg;
	struct phys phys;
	struct pt_mem ptmem;
	struct cpu_io io;
	const struct cpu_profile *profile;

	uint64_t vtime;    /* retired guest instructions: the only clock the guest sees */
	uint64_t deadline; /* vtime at which cpu_run must look at timers and budget */
	uint64_t budget;   /* stop when vtime reaches it; 0: unlimited */

	/* Set by the TLB-fill hook when it refuses an access; consumed by the run loop. */
	bool fault_pending;
	bool fault_fetch; /* the fault is an instruction fetch's */
	struct fault fault;
	/* Set by the interrupt hook: an exception raised inside Unicorn. */
	bool exc_pending;
	uint8_t exc_vector;
	uint32_t exc_error; /* its error code, as QEMU computed it (cpu/glue_exc.c) */
	bool exc_soft; /* INT n / INT3 / INTO: RIP is already past the instruction */

	bool stop_requested;
	bool stopping;         /* a hook asked Unicorn to stop: blocks after it do not run */
	bool hlt_executed;
	bool syscall_pending;  /* SYSCALL executed: Unicorn only calls hooks, hvsim does the rest */
	bool stub_active;      /* a CPL-switch stub is running (cpu/cpl.c) */
	char cpl_error[160];
	bool halted;       /* HLT with interrupts enabled: waiting for an interrupt */
	char error[256];   /* why CPU_STOP_ERROR */

	/* Exceptions since the last successfully resumed instruction, for #DF and triple faults. */
	struct fault exc_history[CPU_EXC_HISTORY];
	unsigned exc_count;

	/* MSR state the model owns (Unicorn has no place for it). */
	uint64_t msr_feature_control;
	uint64_t msr_apic_base;
	uint64_t tsc_offset;

	/* The virtualization layer (vmx/), if any, and whether the CPU is in VMX non-root operation. */
	const struct virt_ops *virt;
	void *virt_opaque;
	bool nonroot;      /* change it with cpu_set_nonroot only: guest time depends on it */
	uint64_t guest_time_before; /* vtime spent in non-root operation before the current stay */
	uint64_t nonroot_since;     /* vtime when the current stay began */
	const struct cpu_tap *tap;         /* guest_hooks.h; NULL: none */
	const struct cpu_standin *standin; /* guest_hooks.h; NULL: guests execute */
	uint64_t tsc_offset_guest; /* added to the TSC in non-root ("use TSC offsetting") */
	/*
	 * Guest instructions are executing (inside cpu_run's uc_emu_start), and hvsim is not itself
	 * reading or writing an MSR (uc_reg_read/write of an MSR runs the same interposed helpers,
	 * where an exception cannot be raised).
	 */
	bool executing;
	bool own_msr_access;
	/* A VM exit decided inside Unicorn (an interposed helper), performed by the run loop. */
	bool vmexit_pending;
	struct virt_event vmexit;
	unsigned soft_insn_len; /* length of the INT n / INT3 / INTO being delivered */
	uint64_t walk_gla; /* the linear address a non-root guest walk translates */
	bool walk_probe;

	/* Linear pages in Unicorn's TLB: CPU_TLB_PAGES + 1 once more than that were filled. */
	uint64_t tlb_pages[CPU_TLB_PAGES];
	unsigned tlb_page_count;
	/*
	 * Bumped whenever guest-physical mappings (EPT translations, SDM Vol. 3, 29.4.1) cached
	 * outside Unicorn must go: INVEPT, and a VM entry with another EPTP. VM entries and exits
	 * keep them (29.4.3.1), unlike the linear and combined mappings in Unicorn's TLB.
	 */
	uint64_t gpa_gen;

	/* Debugging (cpu/debug.h). */
	const struct cpu_debug *debug;
	uint64_t stop_at;     /* CPU_STOP_DEBUG when vtime reaches it; 0: never */
	bool breaks_off;      /* breakpoints do not stop (a debugger stepping off one) */
	bool debug_stop;      /* a breakpoint stopped the run */
	enum cpu_debug_reason debug_reason;
	bool watch_hit;
	const uint64_t *breaks; /* breakpoint addresses (cpu_set_breakpoints) */
	unsigned nbreaks;
	struct cpu_held_event held;

	/*
	 * The block on_block counted last, for exact virtual time when it ends early. Not beside
	 * vtime: a store the compiler pairs with vtime's makes the next block's load of vtime wait
	 * for store forwarding (measured: +1 ns per block, `make bench`).
	 */
	uint64_t block_vtime; /* vtime when it began */
	uint64_t block_pc;
	uint32_t block_size;
	/* A deadline falls inside the block at split_pc: run only its first split_insns. */
	uint64_t split_pc, split_insns;
	bool running_first; /* running such a part: blocks are not split again */

	struct icount_cache *icache;
	uint64_t stats_fills, stats_faults, stats_events;
	uc_hook hooks[16]; /* add_hooks() fills these in order */
};

/* Error values for cpu_* setup functions. */
enum cpu_err { CPU_OK, CPU_ERR_UNICORN, CPU_ERR_NOMEM, CPU_ERR_PROFILE, CPU_ERR_GLUE };
const char *cpu_strerror(enum cpu_err e);

enum cpu_err cpu_init(struct cpu *cpu, const struct cpu_config *cfg, uint8_t *ram);
void cpu_destroy(struct cpu *cpu);

/*
 * Guest time: virtual time spent in VMX non-root operation. Traces are recorded and replayed in
 * it, so that the hypervisor's own instructions do not move a guest's writes.
 */
static inline uint64_t cpu_guest_time(const struct cpu *cpu)
{
	return cpu->guest_time_before + (cpu->nonroot ? cpu->vtime - cpu->nonroot_since : 0);
}
void cpu_set_nonroot(struct cpu *cpu, bool nonroot);
/* Virtual time as the executing instruction sees it (exact inside a block; cpu.c). */
uint64_t cpu_now(struct cpu *cpu);

/* Run until something the platform must handle. */
enum cpu_stop cpu_run(struct cpu *cpu);

/*
 * Register access (aborts on a Unicorn error: these cannot fail for valid register ids).
 * Reads come from QEMU's state in place where cpu/glue_env.c found the register.
 */
uint64_t cpu_get_api(struct cpu *cpu, int reg); /* always through uc_reg_read */
static inline uint64_t cpu_get(struct cpu *cpu, int reg)
{
	uint64_t v;
	return glue_env_reg(&cpu->env, reg, &v) ? v : cpu_get_api(cpu, reg);
}
void cpu_set(struct cpu *cpu, int reg, uint64_t value);
void cpu_set_cr2(struct cpu *cpu, uint64_t cr2); /* never cpu_set(UC_X86_REG_CR2): see cpu.c */
void cpu_get_mmr(struct cpu *cpu, int reg, uc_x86_mmr *m);
void cpu_set_mmr(struct cpu *cpu, int reg, const uc_x86_mmr *m);
unsigned cpu_cpl(struct cpu *cpu);
/* MSRs through Unicorn's own path (RDMSR/WRMSR semantics, including hvsim's profile). */
uint64_t cpu_rdmsr(struct cpu *cpu, uint32_t index);
void cpu_wrmsr(struct cpu *cpu, uint32_t index, uint64_t value);
void cpu_mmu_regs(struct cpu *cpu, struct mmu_regs *r);

/*
 * Flush Unicorn's TLB (after hvsim changes translation state behind the guest's back): every
 * cached translation and every translated-block lookup that depends on one.
 */
void cpu_flush_tlb(struct cpu *cpu);
/* The same for the one page at 'va' only. */
void cpu_flush_tlb_page(struct cpu *cpu, uint64_t va);
/* The TLB-fill hook is filling the page at 'va' (cpu_flush_tlb must flush it). */
void cpu_tlb_filled(struct cpu *cpu, uint64_t va);

/*
 * Linear to host-physical as the CPU translates now: the guest's paging and, in non-root
 * operation, every guest-physical address through the virtualization layer (EPT). A refused
 * guest-physical access leaves f->reason = FAULT_VM_EXIT (the layer holds the exit).
 */
bool cpu_translate(struct cpu *cpu, const struct mmu_regs *regs, const struct mmu_req *req,
		   struct mmu_result *out, struct fault *f);
/* The same without side effects (no A/D, no PML, no exit). */
bool cpu_probe(struct cpu *cpu, const struct mmu_regs *regs, uint64_t va, uint64_t *pa);

/* Linear-address access as the CPU would make it, for event delivery and debuggers. */
bool cpu_virt_rw(struct cpu *cpu, uint64_t va, void *buf, size_t len, bool write, bool user,
		 bool implicit, struct fault *f);

/*
 * Read linear memory as hvsim itself looks at it (instruction bytes the CPU has fetched,
 * descriptors): no permission check, no A/D update; false if unmapped or not RAM.
 */
bool cpu_peek(struct cpu *cpu, uint64_t va, void *buf, size_t len);

/* Request the run loop to stop after the current instruction (devices). */
void cpu_request_stop(struct cpu *cpu);
/* Stop the run where the executing block ends (hooks inside Unicorn). */
void cpu_stop_after_block(struct cpu *cpu);
/* Make the run loop look at timers and interrupts again at the next block boundary. */
void cpu_kick(struct cpu *cpu);

/* The state of the machine, for `--hash`: registers and all of RAM. */
uint64_t cpu_state_hash(struct cpu *cpu);

void cpu_log(struct cpu *cpu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
