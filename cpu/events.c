#include "cpu/events.h"

#include <stdarg.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"
#include "cpu/cpl.h"

/* 64-bit IDT gate descriptor (SDM Vol. 3, Figure 6-8). */
typedef union {
	struct {
		uint64_t lo, hi;
	};
	struct {
		uint64_t offset_lo : 16;
		uint64_t selector : 16;
		uint64_t ist : 3;
		uint64_t : 5;
		uint64_t type : 4;
		uint64_t : 1;
		uint64_t dpl : 2;
		uint64_t present : 1;
		uint64_t offset_mid : 16;
		uint64_t offset_hi : 32;
		uint64_t : 32;
	};
} idt_gate_t;
_Static_assert(sizeof(idt_gate_t) == 16, "64-bit IDT gates are 16 bytes");

/* Code-segment descriptor fields that matter in 64-bit mode (SDM Vol. 3, Figure 3-8). */
typedef union {
	uint64_t raw;
	struct {
		uint64_t limit_lo : 16;
		uint64_t base_lo : 24;
		uint64_t type : 4;
		uint64_t s : 1;
		uint64_t dpl : 2;
		uint64_t present : 1;
		uint64_t limit_hi : 4;
		uint64_t avl : 1;
		uint64_t l : 1;
		uint64_t db : 1;
		uint64_t g : 1;
		uint64_t base_hi : 8;
	};
} seg_desc_t;
_Static_assert(sizeof(seg_desc_t) == 8, "segment descriptors are 8 bytes");

#define GATE_INTERRUPT 0xe
#define GATE_TRAP 0xf
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_NT (1ull << 14)
#define RFLAGS_RF (1ull << 16)
#define RFLAGS_VM (1ull << 17)

bool event_has_error_code(unsigned vector)
{
	return vector == X86_DF || (vector >= X86_TS && vector <= X86_PF) || vector == X86_AC ||
	       vector == 21;
}

/* SDM Table 6-4/6-5: benign, contributory, page fault. */
enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT, EXC_DOUBLE };

static enum exc_class exc_class(unsigned vector)
{
	switch (vector) {
	case X86_DE:
	case X86_TS:
	case X86_NP:
	case X86_SS:
	case X86_GP:
		return EXC_CONTRIBUTORY;
	case X86_PF:
		return EXC_PAGE_FAULT;
	case X86_DF:
		return EXC_DOUBLE;
	default:
		return EXC_BENIGN;
	}
}

/* A second exception while delivering 'first': serial, #DF, or shutdown (Table 6-5). */
static enum exc_class combine(unsigned first, unsigned second)
{
	enum exc_class a = exc_class(first), b = exc_class(second);
	if (a == EXC_DOUBLE)
		return EXC_DOUBLE;
	if ((a == EXC_CONTRIBUTORY && b == EXC_CONTRIBUTORY) ||
	    (a == EXC_PAGE_FAULT && (b == EXC_CONTRIBUTORY || b == EXC_PAGE_FAULT)))
		return EXC_CONTRIBUTORY; /* means: raise #DF */
	return EXC_BENIGN;
}

/* Exceptions of one delivery, in the order they were raised, for the triple-fault report. */
static void record(struct cpu *cpu, struct fault f)
{
	if (cpu->exc_count < CPU_EXC_HISTORY)
		cpu->exc_history[cpu->exc_count] = f;
	cpu->exc_count++;
}

static struct fault gp(uint32_t error_code)
{
	return (struct fault){ .vector = X86_GP, .has_error_code = 1, .error_code = error_code };
}

static struct fault np(uint32_t error_code)
{
	return (struct fault){ .vector = X86_NP, .has_error_code = 1, .error_code = error_code };
}

static bool sys_read(struct cpu *cpu, uint64_t va, void *buf, size_t len, struct fault *f)
{
	return cpu_virt_rw(cpu, va, buf, len, false, false, true, f);
}

/* Try one delivery; on failure '*nested' is the exception it raised. */
static bool try_deliver(struct cpu *cpu, struct fault ev, enum event_kind kind, struct fault *nested)
{
	uc_x86_mmr idtr, gdtr;
	idt_gate_t gate;
	seg_desc_t cs;
	unsigned cpl = cpu_cpl(cpu);
	/*
	 * EXT: the exception occurred while delivering an event external to the program, "such as
	 * an interrupt or an earlier exception"; clear while delivering INT n / INT3 / INTO
	 * (SDM Vol. 3, 6.13 "Error Code").
	 */
	uint32_t ext = kind != EVENT_SOFTWARE;
	uint32_t idt_err = ev.vector * 8u + 2u + ext; /* error code naming an IDT entry */

	cpu_get_mmr(cpu, UC_X86_REG_IDTR, &idtr);
	if ((uint64_t)ev.vector * 16 + 15 > idtr.limit) {
		*nested = gp(idt_err);
		return false;
	}
	if (!sys_read(cpu, idtr.base + ev.vector * 16ull, &gate, sizeof gate, nested))
		return false;
	if (gate.type != GATE_INTERRUPT && gate.type != GATE_TRAP) {
		*nested = gp(idt_err);
		return false;
	}
	if (kind == EVENT_SOFTWARE && gate.dpl < cpl) {
		*nested = gp(idt_err);
		return false;
	}
	if (!gate.present) {
		*nested = np(idt_err);
		return false;
	}

	uint16_t sel = gate.selector;
	cpu_get_mmr(cpu, UC_X86_REG_GDTR, &gdtr);
	if ((sel & ~3u) == 0 || (sel & 4) || (sel | 7u) > gdtr.limit) {
		*nested = gp((sel & ~3u) + ext);
		return false;
	}
	if (!sys_read(cpu, gdtr.base + (sel & ~7u), &cs.raw, 8, nested))
		return false;
	if (!cs.s || !(cs.type & 8) || !cs.l || cs.db || cs.dpl > cpl) {
		*nested = gp((sel & ~3u) + ext);
		return false;
	}
	if (!cs.present) {
		*nested = np((sel & ~3u) + ext);
		return false;
	}

	/* Conforming code keeps CPL; otherwise CPL becomes the target DPL. */
	unsigned new_cpl = (cs.type & 4) ? cpl : cs.dpl;
	uint64_t rsp = cpu_get(cpu, UC_X86_REG_RSP);
	uint64_t ss = cpu_get(cpu, UC_X86_REG_SS);
	uint64_t rflags = cpu_get(cpu, UC_X86_REG_RFLAGS);
	uint64_t rip = cpu_get(cpu, UC_X86_REG_RIP);
	uint64_t cs_old = cpu_get(cpu, UC_X86_REG_CS);
	uint64_t new_rsp = rsp;

	if (new_cpl < cpl || gate.ist) {
		uc_x86_mmr tr;
		uint64_t off = gate.ist ? 0x24 + 8ull * (gate.ist - 1) : 4 + 8ull * new_cpl;
		cpu_get_mmr(cpu, UC_X86_REG_TR, &tr);
		if (off + 7 > tr.limit) {
			*nested = (struct fault){ .vector = X86_TS, .has_error_code = 1,
						  .error_code = (tr.selector & ~3u) + ext };
			return false;
		}
		if (!sys_read(cpu, tr.base + off, &new_rsp, 8, nested))
			return false;
	}
	new_rsp &= ~0xfull;

	uint64_t frame[6];
	unsigned n = 0;
	if (ev.has_error_code)
		frame[n++] = ev.error_code;
	frame[n++] = rip;
	frame[n++] = cs_old;
	frame[n++] = rflags;
	frame[n++] = rsp;
	frame[n++] = ss;
	/* frame[] is lowest address first: error code (if any), RIP, CS, RFLAGS, RSP, SS. */
	new_rsp -= 8ull * n;
	if (!cpu_virt_rw(cpu, new_rsp, frame, 8ull * n, true, false, false, nested)) {
		if (nested->vector == X86_PF)
			return false;
		*nested = (struct fault){ .vector = X86_SS, .has_error_code = 1 };
		return false;
	}

	uint64_t target = gate.offset_lo | ((uint64_t)gate.offset_mid << 16) |
			  ((uint64_t)gate.offset_hi << 32);
	rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (gate.type == GATE_INTERRUPT)
		rflags &= ~RFLAGS_IF;

	struct cpl_target t = {
		.cpl = new_cpl, .cs = (sel & ~3u) | new_cpl, .rip = target, .rsp = new_rsp,
		.ss = new_cpl < cpl ? new_cpl : ss, .rflags = rflags,
	};
	if (!cpl_switch(cpu, &t)) {
		*nested = gp(0);
		return false;
	}
	if (ev.vector == X86_PF && kind == EVENT_EXCEPTION)
		cpu_set_cr2(cpu, ev.cr2);
	return true;
}

static struct virt_event virt_event_of(struct cpu *cpu, struct fault f, enum event_kind kind)
{
	static const enum virt_event_type types[] = {
		[EVENT_EXCEPTION] = VIRT_EV_HARDWARE, [EVENT_SOFTWARE] = VIRT_EV_SOFTWARE,
		[EVENT_EXTERNAL] = VIRT_EV_EXTERNAL,
	};
	return (struct virt_event){ .kind = kind == EVENT_EXTERNAL ? VIRT_EXTINT : VIRT_EXCEPTION,
				    .insn_len = kind == EVENT_SOFTWARE ? cpu->soft_insn_len : 0,
				    .event = { .f = f, .type = types[kind] } };
}

/* Non-root: does this event exit? Then perform the exit ('outer': the event being delivered). */
static bool exits_to_host(struct cpu *cpu, struct fault f, enum event_kind kind,
			  const struct virt_event *outer, enum event_result *res)
{
	struct virt_event ev = virt_event_of(cpu, f, kind);

	if (f.reason == FAULT_VM_EXIT)
		ev = (struct virt_event){ .kind = VIRT_MEMORY };
	else if (kind == EVENT_EXTERNAL || !cpu->virt->exits(cpu, &ev))
		return false;
	*res = cpu->virt->vm_exit(cpu, &ev, outer) ? EVENT_VM_EXIT : EVENT_UNSUPPORTED;
	return true;
}

/* Non-root: a triple fault is a VM exit (SDM 26.2), not a shutdown. */
static enum event_result triple_fault_exit(struct cpu *cpu)
{
	struct virt_event ev = { .kind = VIRT_TRIPLE_FAULT };
	return cpu->virt->vm_exit(cpu, &ev, NULL) ? EVENT_VM_EXIT : EVENT_UNSUPPORTED;
}

static enum event_result deliver_checked(struct cpu *cpu, struct fault f, enum event_kind kind,
					 bool check_first);

enum event_result event_deliver(struct cpu *cpu, struct fault f, enum event_kind kind)
{
	return deliver_checked(cpu, f, kind, true);
}

enum event_result event_deliver_injected(struct cpu *cpu, struct fault f, enum event_kind kind)
{
	return deliver_checked(cpu, f, kind, false);
}

static enum event_result deliver_checked(struct cpu *cpu, struct fault f, enum event_kind kind,
					 bool check_first)
{
	uint64_t efer = cpu_rdmsr(cpu, MSR_EFER);
	struct virt_event outer;
	enum event_result res;

	if (!(efer & EFER_LMA)) {
		snprintf(cpu->error, sizeof cpu->error,
			 "exception %u outside long mode: only 64-bit event delivery is modelled",
			 f.vector);
		return EVENT_UNSUPPORTED;
	}
	cpu->exc_count = 0;
	for (;;) {
		struct fault inner;

		if (cpu->nonroot && check_first && cpu->exc_count == 0 &&
		    exits_to_host(cpu, f, kind, NULL, &res))
			return res;

		record(cpu, f);
		cpu->stats_events++;
		if (cpu->cfg.log & CPU_LOG_EVENTS)
			cpu_log(cpu, "event: vector %u error %#x rip %#llx cpl %u\n", f.vector,
				f.error_code, (unsigned long long)cpu_get(cpu, UC_X86_REG_RIP),
				cpu_cpl(cpu));
		if (try_deliver(cpu, f, kind, &inner))
			return EVENT_DELIVERED;
		/*
		 * An exception while delivering INT n / INT3 / INTO is a fault of that instruction:
		 * it reports the instruction's address, not the one after it (SDM Vol. 2A, INT n),
		 * and so does a VM exit it causes (SDM Vol. 3, 28.3.3: the return pointer the
		 * exception would have pushed).
		 */
		if (kind == EVENT_SOFTWARE)
			cpu_set(cpu, UC_X86_REG_RIP, cpu_get(cpu, UC_X86_REG_RIP) - cpu->soft_insn_len);
		/* Non-root: the exception raised during delivery is checked first (SDM 28.2.4). */
		outer = virt_event_of(cpu, f, kind);
		if (cpu->nonroot && exits_to_host(cpu, inner, EVENT_EXCEPTION, &outer, &res))
			return res;
		switch (combine(f.vector, inner.vector)) {
		case EXC_DOUBLE:
			record(cpu, inner);
			return cpu->nonroot ? triple_fault_exit(cpu) : EVENT_TRIPLE_FAULT;
		case EXC_CONTRIBUTORY:
			record(cpu, inner);
			f = (struct fault){ .vector = X86_DF, .has_error_code = 1 };
			if (cpu->nonroot && exits_to_host(cpu, f, EVENT_EXCEPTION, &outer, &res))
				return res;
			break;
		default:
			f = inner;
			break;
		}
		if (cpu->cpl_error[0]) {
			snprintf(cpu->error, sizeof cpu->error, "%s", cpu->cpl_error);
			return EVENT_UNSUPPORTED;
		}
		kind = EVENT_EXCEPTION;
	}
}

static const char *const vector_names[32] = {
	[X86_DE] = "#DE", [X86_DB] = "#DB", [X86_NMI] = "NMI", [X86_BP] = "#BP", [X86_OF] = "#OF",
	[X86_BR] = "#BR", [X86_UD] = "#UD", [X86_NM] = "#NM", [X86_DF] = "#DF", [X86_TS] = "#TS",
	[X86_NP] = "#NP", [X86_SS] = "#SS", [X86_GP] = "#GP", [X86_PF] = "#PF", [X86_MF] = "#MF",
	[X86_AC] = "#AC", [X86_MC] = "#MC", [X86_XM] = "#XM", [X86_VE] = "#VE",
};

/* Append to buf[*at..len), truncating. */
static void __attribute__((format(printf, 4, 5)))
put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

static void put_name(char *buf, size_t len, size_t *at, unsigned vector)
{
	if (vector < 32 && vector_names[vector])
		put(buf, len, at, "%s", vector_names[vector]);
	else
		put(buf, len, at, "vector %#x", vector);
}

/* "#GP(0x6b)", "#PF(0x2, cr2=0x1000)", "#UD": the error code where the CPU pushes one. */
static void put_fault(char *buf, size_t len, size_t *at, struct fault f)
{
	put_name(buf, len, at, f.vector);
	if (f.vector == X86_PF)
		put(buf, len, at, "(0x%x, cr2=%#llx)", f.error_code, (unsigned long long)f.cr2);
	else if (f.has_error_code && f.vector != X86_DF)
		put(buf, len, at, "(0x%x)", f.error_code);
}

void event_describe_chain(const struct cpu *cpu, char *buf, size_t len)
{
	unsigned n = cpu->exc_count < CPU_EXC_HISTORY ? cpu->exc_count : CPU_EXC_HISTORY;
	const struct fault *h = cpu->exc_history;
	size_t at = 0;

	if (!len)
		return;
	buf[0] = 0;
	if (n)
		put_fault(buf, len, &at, h[0]);
	for (unsigned i = 1; i < n; i++) {
		if (h[i].vector == X86_DF)
			continue; /* told as the outcome of the exception before it */
		put(buf, len, &at, "; delivering ");
		put_name(buf, len, &at, h[i - 1].vector);
		put(buf, len, &at, " raised ");
		put_fault(buf, len, &at, h[i]);
		if (i + 1 < n && h[i + 1].vector == X86_DF)
			put(buf, len, &at, " (a double fault)");
	}
	if (cpu->exc_count > n)
		put(buf, len, &at, "; %u more", cpu->exc_count - n);
}
