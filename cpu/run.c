/*
 * The run loop: uc_emu_start until an event, then dispatch it. Execution leaves the JIT in one
 * place (here); faults come up as values from the TLB-fill hook and the exception hooks.
 */
#include <stdio.h>
#include <string.h>

#include "cpu/cpl.h"
#include "cpu/cpu.h"
#include "cpu/profile.h"
#include "cpu/events.h"
#include "cpu/glue_virt.h"
#include "cpu/icount.h"
#include "cpu/uc_glue.h"

#define RFLAGS_IF (1ull << 9)
#define UNTIL_NEVER 0xffffffffffffffffull

/* The length of the INT n / INT3 / INTO / INT1 that raised 'vector' (RIP past it), or 0. */
static unsigned software_interrupt(struct cpu *cpu, uint8_t vector)
{
	uint64_t rip = cpu_get(cpu, UC_X86_REG_RIP);
	uint8_t b[2];

	if (!cpu_peek(cpu, rip - 2, b, 2))
		return 0;
	if (b[0] == 0xcd && b[1] == vector)
		return 2;
	return ((vector == X86_BP && b[1] == 0xcc) || (vector == X86_OF && b[1] == 0xce) ||
		(vector == X86_DB && b[1] == 0xf1)) ? 1 : 0;
}

static void log_fault(struct cpu *cpu, const struct fault *f)
{
	pf_error_t ec = { .raw = f->error_code };
	cpu_log(cpu,
		"fault: #PF rip=%#llx cr2=%#llx error=%#x [%s%s%s%s%s] cpl=%u ac=%u reason=%s\n",
		(unsigned long long)cpu_get(cpu, UC_X86_REG_RIP), (unsigned long long)f->cr2,
		f->error_code, ec.present ? "P" : "-", ec.write ? "W" : "R", ec.user ? "U" : "S",
		ec.rsvd ? " RSVD" : "", ec.fetch ? " I" : "", cpu_cpl(cpu),
		!!(cpu_get(cpu, UC_X86_REG_RFLAGS) & RFLAGS_AC), fault_reason_name(f->reason));
}

/* A debugger's stop after something was performed (cpu/debug.h); false: stop. */
static bool debug_after(struct cpu *cpu, bool (*hook)(void *, struct cpu *),
			enum cpu_debug_reason reason, enum cpu_stop *stop)
{
	if (!cpu->debug || !hook || !hook(cpu->debug->opaque, cpu))
		return true;
	cpu->debug_reason = reason;
	*stop = CPU_STOP_DEBUG;
	return false;
}

/* Deliver an event; false if the machine must stop (triple fault or unsupported). */
static bool deliver(struct cpu *cpu, struct fault f, enum event_kind kind, enum cpu_stop *stop)
{
	switch (event_deliver(cpu, f, kind)) {
	case EVENT_DELIVERED:
		return true;
	case EVENT_VM_EXIT:
		return debug_after(cpu, cpu->debug ? cpu->debug->vm_exit : NULL, CPU_DEBUG_VM_EXIT, stop);
	case EVENT_TRIPLE_FAULT:
		*stop = CPU_STOP_TRIPLE_FAULT;
		return false;
	default:
		*stop = CPU_STOP_ERROR;
		return false;
	}
}

/*
 * A debugger may stop before an exception is delivered: the event is held and delivered when
 * the run goes on (cpu_run). False: stop now.
 */
static bool debug_before(struct cpu *cpu, const struct fault *f, enum event_kind kind,
			 enum cpu_stop *stop)
{
	if (!cpu->debug || !cpu->debug->event || !cpu->debug->event(cpu->debug->opaque, cpu, f, kind))
		return true;
	cpu->held = (struct cpu_held_event){ .valid = true, .f = *f, .kind = kind,
					     .soft_insn_len = cpu->soft_insn_len };
	cpu->debug_reason = CPU_DEBUG_EVENT;
	*stop = CPU_STOP_DEBUG;
	return false;
}

/* Non-root: perform a VM exit (cpu/virt.h); false if the machine must stop. */
static bool vm_exit(struct cpu *cpu, const struct virt_event *ev, enum cpu_stop *stop)
{
	if (cpu->virt->vm_exit(cpu, ev, NULL))
		return debug_after(cpu, cpu->debug ? cpu->debug->vm_exit : NULL, CPU_DEBUG_VM_EXIT, stop);
	*stop = CPU_STOP_ERROR;
	return false;
}

/* Non-root: an event that exits if the controls say so; '*exited' tells whether it did. */
static bool maybe_exit(struct cpu *cpu, const struct virt_event *ev, bool *exited,
		       enum cpu_stop *stop)
{
	*exited = cpu->nonroot && cpu->virt->exits(cpu, ev);
	return !*exited || vm_exit(cpu, ev, stop);
}

static bool handle_fault(struct cpu *cpu, enum cpu_stop *stop)
{
	struct fault f = cpu->fault;

	cpu->fault_pending = false;
	if (f.reason == FAULT_VM_EXIT)
		return vm_exit(cpu, &(struct virt_event){ .kind = VIRT_MEMORY }, stop);
	if (f.reason == FAULT_UNSUPPORTED_MODE) {
		snprintf(cpu->error, sizeof cpu->error,
			 "paging mode not modelled at %#llx (only IA-32e 4-level paging or no paging)",
			 (unsigned long long)f.cr2);
		*stop = CPU_STOP_ERROR;
		return false;
	}
	if (f.vector == X86_PF) {
		cpu->stats_faults++;
		if (cpu->cfg.log & CPU_LOG_FAULTS)
			log_fault(cpu, &f);
	}
	if (f.vector != X86_PF)
		f.error_code = 0;
	cpu->soft_insn_len = 0;
	return debug_before(cpu, &f, EVENT_EXCEPTION, stop) && deliver(cpu, f, EVENT_EXCEPTION, stop);
}

/* #UD: first the virtualization layer's instructions (VMX), which Unicorn does not know. */
static bool handle_invalid(struct cpu *cpu, bool *handled, enum cpu_stop *stop)
{
	struct fault f;

	*handled = true;
	/* Emulated, the instruction retires (the block that raised #UD did not count it). */
	cpu->vtime++;
	switch (cpu->virt->invalid_insn(cpu, &f)) {
	case VIRT_INSN_DONE:
		return true;
	case VIRT_INSN_FAULT:
		cpu->vtime--;
		if (f.reason == FAULT_VM_EXIT)
			return vm_exit(cpu, &(struct virt_event){ .kind = VIRT_MEMORY }, stop);
		cpu->soft_insn_len = 0;
		return debug_before(cpu, &f, EVENT_EXCEPTION, stop) &&
		       deliver(cpu, f, EVENT_EXCEPTION, stop);
	case VIRT_INSN_STOP:
		*stop = CPU_STOP_ERROR;
		return false;
	default:
		cpu->vtime--;
		*handled = false;
		return true;
	}
}

static bool handle_exception(struct cpu *cpu, enum cpu_stop *stop)
{
	uint8_t v = cpu->exc_vector;
	unsigned soft = cpu->exc_soft ? software_interrupt(cpu, v) : 0;
	struct fault f = { .vector = v, .has_error_code = !soft && event_has_error_code(v) };

	cpu->exc_pending = false;
	if (f.has_error_code)
		f.error_code = cpu->exc_error;
	if (v == X86_UD && !soft && cpu->virt) {
		bool handled, ok = handle_invalid(cpu, &handled, stop);
		if (handled)
			return ok;
	}
	cpu->soft_insn_len = soft;
	enum event_kind kind = soft ? EVENT_SOFTWARE : EVENT_EXCEPTION;
	return debug_before(cpu, &f, kind, stop) && deliver(cpu, f, kind, stop);
}

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define RFLAGS_RF (1ull << 16)

/*
 * SYSCALL in 64-bit mode (SDM Vol. 2B, SYSCALL): RCX = next RIP, R11 = RFLAGS, RFLAGS &= ~FMASK,
 * CS = STAR[47:32], SS = STAR[47:32] + 8, CPL 0, RIP = LSTAR. #UD unless EFER.SCE and 64-bit mode
 * (Intel CPUs do not support SYSCALL in compatibility mode). RIP is already past the instruction.
 */
static bool handle_syscall(struct cpu *cpu, enum cpu_stop *stop)
{
	uint64_t efer = cpu_rdmsr(cpu, MSR_EFER);
	uint64_t rip = cpu_get(cpu, UC_X86_REG_RIP);
	uint64_t rflags = cpu_get(cpu, UC_X86_REG_RFLAGS);
	uint64_t star = cpu_rdmsr(cpu, MSR_STAR);
	uint16_t sel = (uint16_t)(star >> 32) & 0xfffc;

	cpu->syscall_pending = false;
	if (!(efer & EFER_SCE) || !(efer & EFER_LMA)) {
		cpu_set(cpu, UC_X86_REG_RIP, rip - 2);
		return deliver(cpu, (struct fault){ .vector = X86_UD }, EVENT_EXCEPTION, stop);
	}
	cpu_set(cpu, UC_X86_REG_RCX, rip);
	cpu_set(cpu, UC_X86_REG_R11, rflags & ~RFLAGS_RF);
	struct cpl_target t = {
		.cpl = 0, .cs = sel, .ss = (uint16_t)(sel + 8), .rip = cpu_rdmsr(cpu, MSR_LSTAR),
		.rsp = cpu_get(cpu, UC_X86_REG_RSP),
		.rflags = (rflags & ~cpu_rdmsr(cpu, MSR_FMASK) & ~RFLAGS_RF) | 0x2,
	};
	if (!cpl_switch(cpu, &t)) {
		snprintf(cpu->error, sizeof cpu->error, "SYSCALL: %s", cpu->cpl_error);
		*stop = CPU_STOP_ERROR;
		return false;
	}
	return debug_after(cpu, cpu->debug ? cpu->debug->syscall : NULL, CPU_DEBUG_SYSCALL, stop);
}

static uint64_t next_deadline(struct cpu *cpu)
{
	uint64_t d = cpu->io.next_deadline ? cpu->io.next_deadline(cpu->io.opaque) : UINT64_MAX;
	if (cpu->budget && cpu->budget < d)
		d = cpu->budget;
	if (cpu->stop_at && cpu->stop_at < d)
		d = cpu->stop_at;
	if (cpu->nonroot) {
		uint64_t v = cpu->virt->deadline(cpu);
		if (v < d)
			d = v;
		if (cpu->tap) {
			uint64_t now = cpu_guest_time(cpu), at = cpu->tap->next_rearm(cpu->tap->opaque);
			v = at > now ? cpu->vtime + (at - now) : cpu->vtime;
			if (v < d)
				d = v;
		}
	}
	return d;
}

/* A tap's quantum ended: flush, so each page's first write in the next one fills again. */
static void tap_boundary(struct cpu *cpu)
{
	uint64_t now = cpu_guest_time(cpu);

	if (now < cpu->tap->next_rearm(cpu->tap->opaque))
		return;
	cpu_flush_tlb(cpu);
	cpu->tap->rearm(cpu->tap->opaque, now);
}

/* Non-root with a stand-in: it makes the guest's progress instead of Unicorn. */
static bool standin_step(struct cpu *cpu, enum cpu_stop *stop)
{
	struct virt_event ev;

	switch (cpu->standin->run(cpu->standin->opaque, cpu, cpu->deadline, &ev)) {
	case STANDIN_RAN:
		return true;
	case STANDIN_EXIT:
		return vm_exit(cpu, &ev, stop);
	case STANDIN_STOP:
		*stop = CPU_STOP_REQUEST;
		return false;
	default:
		*stop = CPU_STOP_ERROR;
		return false;
	}
}

/*
 * STI and MOV SS block interrupts until the next instruction completes (SDM Vol. 3, 6.8.3).
 * Unicorn ends a block after STI; its shadow is recognised by the STI byte before RIP, and one
 * instruction runs before an interrupt is taken.
 */
static bool interrupt_shadow(struct cpu *cpu)
{
	uint8_t b;
	return cpu_peek(cpu, cpu_get(cpu, UC_X86_REG_RIP) - 1, &b, 1) && b == 0xfb;
}

/*
 * Non-root: the VM exits that happen between instructions, in priority order (SDM Vol. 3,
 * 26.7 and 6.9): VMX-preemption timer, external interrupt (with "external-interrupt exiting",
 * whatever RFLAGS.IF says), interrupt window. '*exited' says whether one happened; '*step' that
 * the window is blocked by STI only until the next instruction, which must run alone.
 */
static bool nonroot_boundary(struct cpu *cpu, int vector, bool *exited, bool *step,
			     enum cpu_stop *stop)
{
	struct virt_event timer = { .kind = VIRT_PREEMPT_TIMER };
	struct virt_event extint = { .kind = VIRT_EXTINT, .event = { .f = { .vector = (uint8_t)vector },
								    .type = VIRT_EV_EXTERNAL } };
	struct virt_event window = { .kind = VIRT_INTR_WINDOW };

	if (!maybe_exit(cpu, &timer, exited, stop))
		return false;
	if (*exited)
		return true;
	if (vector >= 0) {
		if (!maybe_exit(cpu, &extint, exited, stop))
			return false;
		if (*exited)
			return true;
	}
	*exited = false;
	if (!(cpu_get(cpu, UC_X86_REG_RFLAGS) & RFLAGS_IF))
		return true;
	if (!interrupt_shadow(cpu))
		return maybe_exit(cpu, &window, exited, stop);
	*step = cpu->virt->exits(cpu, &window);
	return true;
}

/*
 * Fire due timers and deliver the highest-priority interrupt if RFLAGS.IF allows. '*step': run
 * one instruction only, then come back (an interrupt or, in non-root operation, an interrupt
 * window is held back by the STI shadow).
 */
static bool service_interrupts(struct cpu *cpu, bool *step, enum cpu_stop *stop)
{
	int vector = -1;

	if (cpu->io.pending_irq) {
		cpu->io.advance(cpu->io.opaque, cpu->vtime);
		vector = cpu->io.pending_irq(cpu->io.opaque);
	}
	if (cpu->nonroot) {
		bool exited;
		if (!nonroot_boundary(cpu, vector, &exited, step, stop))
			return false;
		if (exited)
			return service_interrupts(cpu, step, stop); /* the host may take the interrupt now */
	}
	if (vector < 0 || !(cpu_get(cpu, UC_X86_REG_RFLAGS) & RFLAGS_IF))
		return true;
	if (interrupt_shadow(cpu)) {
		*step = true; /* the instruction after STI runs first; the next boundary delivers */
		return true;
	}
	cpu->io.accept_irq(cpu->io.opaque, vector);
	return deliver(cpu, (struct fault){ .vector = (uint8_t)vector }, EVENT_EXTERNAL, stop);
}

/* HLT with IF = 1: virtual time jumps to the next timer event, which wakes the CPU. */
static bool idle_until_interrupt(struct cpu *cpu, enum cpu_stop *stop)
{
	uint64_t d = next_deadline(cpu);

	if (cpu->io.pending_irq && cpu->io.pending_irq(cpu->io.opaque) >= 0)
		return true;
	if (d == UINT64_MAX) {
		snprintf(cpu->error, sizeof cpu->error,
			 "HLT with interrupts enabled at %#llx and no interrupt source armed",
			 (unsigned long long)cpu_get(cpu, UC_X86_REG_RIP));
		*stop = CPU_STOP_ERROR;
		return false;
	}
	if (d > cpu->vtime)
		cpu->vtime = d;
	return true;
}

/*
 * Non-root HLT with IF = 0 (no HLT exiting): the guest sleeps until a VM exit wakes it, which
 * only the VMX-preemption timer or an interrupt with "external-interrupt exiting" can do
 * (SDM Vol. 3, 26.5.1 and 26.2). Virtual time jumps there; the HLT activity state itself is not
 * modelled (the exit happens with RIP past the HLT and activity state "active").
 */
static bool nonroot_idle(struct cpu *cpu, enum cpu_stop *stop)
{
	struct virt_event extint = { .kind = VIRT_EXTINT, .event = { .type = VIRT_EV_EXTERNAL } };
	uint64_t d = cpu->virt->deadline(cpu);

	if (cpu->virt->exits(cpu, &extint)) {
		uint64_t p = cpu->io.next_deadline ? cpu->io.next_deadline(cpu->io.opaque) : UINT64_MAX;
		if (cpu->io.pending_irq && cpu->io.pending_irq(cpu->io.opaque) >= 0)
			p = cpu->vtime;
		d = p < d ? p : d;
	}
	if (d == UINT64_MAX) {
		snprintf(cpu->error, sizeof cpu->error,
			 "guest HLT with interrupts disabled at %#llx in VMX non-root operation: no VM "
			 "exit can wake it", (unsigned long long)cpu_get(cpu, UC_X86_REG_RIP));
		*stop = CPU_STOP_ERROR;
		return false;
	}
	if (d > cpu->vtime)
		cpu->vtime = d;
	return true;
}

/*
 * Run only the first 'n' instructions of the straight-line code at 'rip'. Unicorn's
 * instruction count would do, but leaving counting mode flushes every translation (a memset of
 * the whole code buffer: seconds). Instead the run ends at the address after them, in a block
 * translated for that: the block is removed from the cache before and after. An instruction
 * that jumps elsewhere ends its block anyway.
 */
static uc_err run_first(struct cpu *cpu, uint64_t rip, uint64_t n)
{
	uint64_t end = icount_skip(cpu, rip, n);
	uc_err err;

	if (!end) /* not decodable: let Unicorn raise what it raises */
		return uc_emu_start(cpu->uc, rip, UNTIL_NEVER, 0, 0);
	uc_ctl_remove_cache(cpu->uc, rip, rip + 1);
	cpu->running_first = true; /* should the decoders disagree on lengths, overshoot, never loop */
	err = uc_emu_start(cpu->uc, rip, end, 0, 0);
	cpu->running_first = false;
	uc_ctl_remove_cache(cpu->uc, rip, rip + 1);
	return err;
}

/*
 * How much of the code at 'rip' to run: all of it, one instruction (an STI shadow), or the part
 * of a block before a deadline that falls inside it (on_block stopped before the block, so that
 * timers, budgets and debugger stops happen at their exact instruction).
 */
static uc_err execute(struct cpu *cpu, uint64_t rip, bool step)
{
	uint64_t split = cpu->split_insns;

	cpu->split_insns = 0;
	if (step)
		return run_first(cpu, rip, 1);
	if (split && rip == cpu->split_pc && cpu->vtime + split <= cpu->deadline)
		return run_first(cpu, rip, split);
	return uc_emu_start(cpu->uc, rip, UNTIL_NEVER, 0, 0);
}

/*
 * A block that ended early (an exception, a VM exit) retired only
 * the instructions before RIP: a faulting instruction does not complete. on_block counted the
 * whole block. A fetch fault belongs to a block being translated, which was not counted.
 */
static void retire_exact(struct cpu *cpu)
{
	uint64_t rip;

	if (!cpu->block_size || (cpu->fault_pending && cpu->fault_fetch))
		return;
	rip = cpu_get(cpu, UC_X86_REG_RIP);
	if (rip >= cpu->block_pc && rip < cpu->block_pc + cpu->block_size)
		cpu->vtime = cpu->block_vtime + icount_before(cpu, cpu->block_pc, rip);
}

/* A breakpoint or watchpoint stopped the run (cpu/debug.c), between blocks. */
static enum cpu_stop debug_stopped(struct cpu *cpu)
{
	if (!cpu->debug_stop)
		cpu->debug_reason = CPU_DEBUG_WATCHPOINT;
	cpu->debug_stop = cpu->watch_hit = false;
	return CPU_STOP_DEBUG;
}

/* Deliver the event a debugger stopped before (cpu/debug.h). */
static bool deliver_held(struct cpu *cpu, enum cpu_stop *stop)
{
	struct cpu_held_event h = cpu->held;

	cpu->held.valid = false;
	if (!h.valid)
		return true;
	cpu->soft_insn_len = h.soft_insn_len;
	return deliver(cpu, h.f, h.kind, stop);
}

enum cpu_stop cpu_run(struct cpu *cpu)
{
	enum cpu_stop stop = CPU_STOP_ERROR;

	glue_enter(cpu);
	if (!deliver_held(cpu, &stop))
		return stop;
	for (;;) {
		uint64_t rip = cpu_get(cpu, UC_X86_REG_RIP);
		bool step = false;
		uc_err err;

		if (cpu->budget && cpu->vtime >= cpu->budget)
			return CPU_STOP_BUDGET;
		if (cpu->stop_at && cpu->vtime >= cpu->stop_at) {
			cpu->debug_reason = CPU_DEBUG_TIME;
			return CPU_STOP_DEBUG;
		}
		if (!service_interrupts(cpu, &step, &stop))
			return stop;
		if (cpu->nonroot && cpu->tap)
			tap_boundary(cpu);
		rip = cpu_get(cpu, UC_X86_REG_RIP);
		cpu->deadline = next_deadline(cpu);
		if (cpu->nonroot && cpu->standin) {
			if (!standin_step(cpu, &stop))
				return stop;
			continue;
		}
		cpu->fault_pending = cpu->exc_pending = cpu->hlt_executed = cpu->syscall_pending = false;
		cpu->stop_requested = cpu->debug_stop = cpu->watch_hit = cpu->stopping = false;
		cpu->block_size = 0;

		cpu->executing = true;
		err = execute(cpu, rip, step);
		cpu->executing = false;

		if (cpu->fault_pending || cpu->exc_pending || cpu->vmexit_pending)
			retire_exact(cpu);
		if (cpu->stop_requested)
			return CPU_STOP_REQUEST;
		if (cpu->debug_stop || (cpu->watch_hit && !cpu->fault_pending && !cpu->exc_pending &&
					!cpu->vmexit_pending && err == UC_ERR_OK))
			return debug_stopped(cpu);
		if (cpu->vmexit_pending) {
			/* An interposed helper decided on a VM exit and unwound Unicorn (cpu/glue_virt.c). */
			cpu->vmexit_pending = cpu->exc_pending = false;
			glue_virt_complete(cpu, &cpu->vmexit);
			if (!vm_exit(cpu, &cpu->vmexit, &stop))
				return stop;
			continue;
		}
		if (cpu->syscall_pending) {
			if (!handle_syscall(cpu, &stop))
				return stop;
			continue;
		}
		if (err == UC_ERR_EXCEPTION && cpu->fault_pending) {
			if (!handle_fault(cpu, &stop))
				return stop;
			continue;
		}
		if (cpu->exc_pending) {
			if (!handle_exception(cpu, &stop))
				return stop;
			continue;
		}
		if (err != UC_ERR_OK) {
			snprintf(cpu->error, sizeof cpu->error, "Unicorn stopped at %#llx: %s",
				 (unsigned long long)cpu_get(cpu, UC_X86_REG_RIP), uc_strerror(err));
			return CPU_STOP_ERROR;
		}
		if (cpu->hlt_executed && cpu->nonroot) {
			struct virt_event hlt = { .kind = VIRT_HLT, .insn_len = 1 };
			bool exited;
			/* RIP is past the HLT; the exit reports the HLT itself. */
			cpu_set(cpu, UC_X86_REG_RIP, cpu_get(cpu, UC_X86_REG_RIP) - 1);
			if (!maybe_exit(cpu, &hlt, &exited, &stop))
				return stop;
			if (exited)
				continue;
			cpu_set(cpu, UC_X86_REG_RIP, cpu_get(cpu, UC_X86_REG_RIP) + 1);
		}
		if (cpu->hlt_executed && cpu->nonroot &&
		    !(cpu_get(cpu, UC_X86_REG_RFLAGS) & RFLAGS_IF)) {
			if (!nonroot_idle(cpu, &stop))
				return stop;
		} else if (cpu->hlt_executed) {
			if (!(cpu_get(cpu, UC_X86_REG_RFLAGS) & RFLAGS_IF))
				return CPU_STOP_HALT;
			if (!idle_until_interrupt(cpu, &stop))
				return stop;
		}
	}
}
