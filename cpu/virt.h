/*
 * VMX non-root operation changes what instructions and events do (SDM Vol. 3, 26 "VMX Non-Root
 * Operation"). cpu/ stays below vmx/: at each point where non-root operation may differ it asks
 * the virtualization layer installed in struct cpu, through this interface only.
 *
 * Decisions and actions are separate. Inside Unicorn (an interposed helper, the TLB fill) the
 * layer only decides whether an event causes a VM exit; cpu/ then records it, unwinds Unicorn with
 * RIP at the instruction, and the run loop asks the layer to perform the exit with the machine in
 * a consistent state. Between runs (exceptions, interrupts) the two happen together.
 */
#ifndef HVSIM_CPU_VIRT_H
#define HVSIM_CPU_VIRT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/fault.h"
#include "cpu/mmu.h"

struct cpu;

/* What happened in non-root operation that may cause a VM exit. */
enum virt_kind {
	VIRT_EXCEPTION,     /* .event: an exception or software interrupt about to be delivered */
	VIRT_EXTINT,        /* .event.vector: an external interrupt the CPU would take */
	VIRT_INTR_WINDOW,   /* RFLAGS.IF = 1 and no blocking: the interrupt window is open */
	VIRT_TRIPLE_FAULT,
	VIRT_CPUID,
	VIRT_HLT,
	VIRT_INVLPG,        /* .addr */
	VIRT_RDTSC,
	VIRT_IO,            /* .io */
	VIRT_RDMSR,         /* .msr */
	VIRT_WRMSR,         /* .msr */
	VIRT_CR_READ,       /* .cr */
	VIRT_CR_WRITE,      /* .cr */
	VIRT_PREEMPT_TIMER, /* the VMX-preemption timer reached 0 */
	VIRT_MEMORY,        /* an EPT violation, misconfiguration or PML-full the layer recorded */
};

enum virt_event_type { VIRT_EV_EXTERNAL, VIRT_EV_HARDWARE, VIRT_EV_SOFTWARE };

struct virt_event {
	enum virt_kind kind;
	unsigned insn_len; /* length of the instruction that caused it (0 if none) */
	union {
		struct {
			struct fault f;
			enum virt_event_type type;
		} event;
		struct {
			uint16_t port;
			uint8_t size;  /* 1, 2 or 4 */
			bool in;
			bool string, rep;
			bool imm;      /* port given as an immediate (exit qualification bit 6) */
		} io;
		struct {
			uint32_t index;
		} msr;
		struct {
			uint8_t cr;    /* 0, 3, 4, 8 */
			uint8_t gpr;   /* register number (0 = RAX ... 15 = R15) */
			uint64_t value; /* CR_WRITE: the value written */
		} cr;
		uint64_t addr;
	};
};

/* Result of a guest-physical translation in non-root operation. */
struct virt_gpa {
	uint64_t hpa;
	unsigned prot; /* MMU_PROT_* a TLB entry may cache */
};

/* An access to guest-physical memory (EPT). */
struct virt_access {
	uint64_t gpa;
	enum mmu_access access;
	bool paging_structure; /* a guest paging-structure entry */
	bool gla_valid;
	uint64_t gla;
	bool probe; /* no side effects, no exit */
};

/* What became of an instruction Unicorn raised #UD for. */
enum virt_insn {
	VIRT_INSN_UD,    /* not the layer's instruction (or #UD by its rules): deliver #UD */
	VIRT_INSN_DONE,  /* executed (RIP advanced) or a VM exit taken */
	VIRT_INSN_FAULT, /* deliver the fault it raised */
	VIRT_INSN_STOP,  /* the machine must stop: cpu->error says why */
};

struct virt_ops {
	/* An instruction Unicorn raised #UD for (RIP at it). */
	enum virt_insn (*invalid_insn)(struct cpu *cpu, struct fault *f);
	/* Non-root: does this event cause a VM exit? No side effects. */
	bool (*exits)(struct cpu *cpu, const struct virt_event *ev);
	/*
	 * Non-root: perform the VM exit for 'ev' (RIP at the instruction, or where the event
	 * happened; for a software exception, after it). 'vectoring' is the event (VIRT_EXCEPTION
	 * or VIRT_EXTINT) whose delivery was interrupted, or NULL.
	 * Returns false if the machine must stop (cpu->error says why).
	 */
	bool (*vm_exit)(struct cpu *cpu, const struct virt_event *ev,
			const struct virt_event *vectoring);
	/* Non-root: translate a guest-physical access; false: a VM exit is pending (VIRT_MEMORY). */
	bool (*translate)(struct cpu *cpu, const struct virt_access *a, struct virt_gpa *out);
	/* Non-root: vtime at which the layer needs the run loop (VMX-preemption timer), or UINT64_MAX. */
	uint64_t (*deadline)(struct cpu *cpu);
	/* Non-root MOV from CR0/CR4 that does not exit: the value the guest sees (read shadows). */
	uint64_t (*cr_read)(struct cpu *cpu, unsigned cr, uint64_t value);
	/* Non-root MOV to CR0/CR4 that does not exit: the value the register gets (host-owned bits keep 'old'). */
	uint64_t (*cr_write)(struct cpu *cpu, unsigned cr, uint64_t value, uint64_t old);
	/*
	 * MOV to CR0/CR4 in VMX operation (root or non-root): false if the value clears a bit
	 * fixed to 1 or sets one fixed to 0 (SDM Vol. 3, 24.8: #GP). Outside VMX operation: true.
	 */
	bool (*cr_allowed)(struct cpu *cpu, unsigned cr, uint64_t value);
	/*
	 * MSRs the layer reports (VMX capability MSRs); false: not one of them. Never one the
	 * CPU profile leaves to Unicorn (cpu/profile.c): cpu_rdmsr reads those in place.
	 */
	bool (*rdmsr)(struct cpu *cpu, uint32_t index, uint64_t *value);
};

#endif
