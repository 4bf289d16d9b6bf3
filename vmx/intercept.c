/*
 * Non-root operation (SDM Vol. 3, 26 "VMX Non-Root Operation"): which events cause VM exits
 * under the current VMCS controls (26.1, 26.2), the exit record each one produces (28.2), and
 * guest-physical translation through EPT (29.3).
 */
#include "vmx/controls.h"
#include "vmx/internal.h"

static uint32_t proc_controls(struct vmx *v)
{
	return (uint32_t)vmcs_get(v, VMCS_PROC_BASED_CONTROLS);
}

static bool bitmap_bit(struct vmx *v, uint64_t bitmap, uint64_t bit)
{
	uint8_t byte = (uint8_t)phys_read64(&v->cpu->phys, bitmap + bit / 8);
	return byte >> (bit % 8) & 1;
}

/* 26.1.3: I/O bitmaps A (ports 0-7FFFH) and B (8000H-FFFFH); any port of the access set, or wrap. */
static bool io_exits(struct vmx *v, uint16_t port, unsigned size)
{
	uint32_t proc = proc_controls(v);

	if (!(proc & PROC_USE_IO_BITMAPS))
		return proc & PROC_UNCOND_IO_EXITING;
	for (unsigned p = port; p < (unsigned)port + size; p++) {
		if (p > 0xffff)
			return true;
		uint64_t bitmap = vmcs_get(v, p < 0x8000 ? VMCS_IO_BITMAP_A : VMCS_IO_BITMAP_B);
		if (bitmap_bit(v, bitmap, p & 0x7fff))
			return true;
	}
	return false;
}

/* 25.6.9: MSR bitmaps: read low/high at 0/1024, write low/high at 2048/3072 bytes. */
static bool msr_exits(struct vmx *v, uint32_t msr, bool write)
{
	if (!(proc_controls(v) & PROC_USE_MSR_BITMAPS))
		return true;
	uint64_t base = vmcs_get(v, VMCS_MSR_BITMAP) + (write ? 2048 : 0);
	if (msr <= 0x1fff)
		return bitmap_bit(v, base, msr);
	if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		return bitmap_bit(v, base + 1024, msr - 0xc0000000);
	return true;
}

/* 26.1.3 MOV to CR0/CR4: exits if a host-owned bit would differ from the read shadow. */
static bool cr_write_exits(struct vmx *v, unsigned cr, uint64_t value)
{
	if (cr == 0 || cr == 4) {
		uint64_t mask = vmcs_get(v, cr ? VMCS_CR4_GUEST_HOST_MASK : VMCS_CR0_GUEST_HOST_MASK);
		uint64_t shadow = vmcs_get(v, cr ? VMCS_CR4_READ_SHADOW : VMCS_CR0_READ_SHADOW);
		return ((value ^ shadow) & mask) != 0;
	}
	if (cr == 3) {
		if (!(proc_controls(v) & PROC_CR3_LOAD_EXITING))
			return false;
		uint64_t n = vmcs_get(v, VMCS_CR3_TARGET_COUNT);
		for (uint64_t i = 0; i < n && i < 4; i++)
			if (vmcs_get(v, VMCS_CR3_TARGET_VALUE0 + i) == value)
				return false;
		return true;
	}
	return false; /* CR8 load exiting is not offered */
}

static bool exception_exits(struct vmx *v, const struct fault *f)
{
	uint32_t bitmap = (uint32_t)vmcs_get(v, VMCS_EXCEPTION_BITMAP);
	bool bit = bitmap >> f->vector & 1;

	if (f->vector >= 32)
		return false;
	if (f->vector != X86_PF)
		return bit;
	/* 26.2: #PF exits iff (PFEC & MASK) == MATCH equals bit 14 of the exception bitmap. */
	uint32_t mask = (uint32_t)vmcs_get(v, VMCS_PF_ERROR_CODE_MASK);
	uint32_t match = (uint32_t)vmcs_get(v, VMCS_PF_ERROR_CODE_MATCH);
	return ((f->error_code & mask) == match) == bit;
}

/*
 * INT n is not an exception; INT3 and INTO are software exceptions (25.8.3, Table 25-19), and
 * only they are subject to the exception bitmap (26.2). INT 3 (CD 03) raises vector 3 as well but
 * is a software interrupt: it is told from INT3 (CC) and INTO (CE) by its length, 2 bytes.
 */
static bool software_exception(const struct virt_event *ev)
{
	return ev->event.type == VIRT_EV_SOFTWARE && ev->insn_len == 1 &&
	       (ev->event.f.vector == X86_BP || ev->event.f.vector == X86_OF);
}

bool vmx_exits(struct cpu *cpu, const struct virt_event *ev)
{
	struct vmx *v = vmx_of(cpu);
	uint32_t pin = (uint32_t)vmcs_get(v, VMCS_PIN_BASED_CONTROLS);

	switch (ev->kind) {
	case VIRT_EXCEPTION:
		if (ev->event.type == VIRT_EV_SOFTWARE && !software_exception(ev))
			return false;
		return exception_exits(v, &ev->event.f);
	case VIRT_EXTINT:
		return pin & PIN_EXTINT_EXITING;
	case VIRT_INTR_WINDOW:
		return v->intr_window;
	case VIRT_HLT:
		return proc_controls(v) & PROC_HLT_EXITING;
	case VIRT_INVLPG:
		return proc_controls(v) & PROC_INVLPG_EXITING;
	case VIRT_RDTSC:
		return proc_controls(v) & PROC_RDTSC_EXITING;
	case VIRT_IO:
		return io_exits(v, ev->io.port, ev->io.size);
	case VIRT_RDMSR:
	case VIRT_WRMSR:
		return msr_exits(v, ev->msr.index, ev->kind == VIRT_WRMSR);
	case VIRT_CR_READ:
		return ev->cr.cr == 3 && (proc_controls(v) & PROC_CR3_STORE_EXITING);
	case VIRT_CR_WRITE:
		return cr_write_exits(v, ev->cr.cr, ev->cr.value);
	case VIRT_PREEMPT_TIMER:
		return (pin & PIN_PREEMPTION_TIMER) && cpu->vtime >= v->preempt_deadline;
	case VIRT_TRIPLE_FAULT:
	case VIRT_CPUID:
	case VIRT_MEMORY:
		return true;
	}
	return false;
}

static uint32_t event_info(const struct fault *f, uint32_t type)
{
	return INTR_INFO_VALID | type | f->vector | (f->has_error_code ? INTR_INFO_ERROR_CODE : 0);
}

/* The interruption type of an event (SDM Table 25-19): for exit and IDT-vectoring information. */
static uint32_t event_type(const struct virt_event *ev)
{
	if (ev->kind == VIRT_EXTINT || ev->event.type == VIRT_EV_EXTERNAL)
		return INTR_TYPE_EXTERNAL;
	if (ev->event.type == VIRT_EV_SOFTWARE)
		return software_exception(ev) ? INTR_TYPE_SW_EXCEPTION : INTR_TYPE_SW_INTERRUPT;
	return ev->event.f.vector == X86_NMI ? INTR_TYPE_NMI : INTR_TYPE_HW_EXCEPTION;
}

/* Exit qualification for I/O instructions (SDM Table 28-5). */
static uint64_t io_qual(const struct virt_event *ev)
{
	return (uint64_t)(ev->io.size - 1) | (ev->io.in ? 1u << 3 : 0) | (ev->io.string ? 1u << 4 : 0) |
	       (ev->io.rep ? 1u << 5 : 0) | (ev->io.imm ? 1u << 6 : 0) | (uint64_t)ev->io.port << 16;
}

/* Exit qualification for control-register accesses (SDM Table 28-3): MOV to (0) / from (1) CR. */
static uint64_t cr_qual(const struct virt_event *ev)
{
	return ev->cr.cr | (ev->kind == VIRT_CR_READ ? 1u << 4 : 0) | (uint64_t)ev->cr.gpr << 8;
}

static void exit_record(struct vmx *v, const struct virt_event *ev, struct vmx_exit *e)
{
	e->insn_len = ev->insn_len;
	e->has_insn = ev->insn_len != 0;
	switch (ev->kind) {
	case VIRT_EXCEPTION:
		e->reason = EXIT_EXCEPTION_NMI;
		e->intr_info = event_info(&ev->event.f, event_type(ev));
		e->intr_error = ev->event.f.error_code;
		if (ev->event.f.vector == X86_PF)
			e->qual = ev->event.f.cr2;
		break;
	case VIRT_EXTINT:
		e->reason = EXIT_EXTERNAL_INTERRUPT;
		if (vmcs_get(v, VMCS_EXIT_CONTROLS) & EXIT_ACK_INTERRUPT)
			e->intr_info = INTR_INFO_VALID | INTR_TYPE_EXTERNAL | ev->event.f.vector;
		break;
	case VIRT_INTR_WINDOW: e->reason = EXIT_INTERRUPT_WINDOW; break;
	case VIRT_TRIPLE_FAULT: e->reason = EXIT_TRIPLE_FAULT; break;
	case VIRT_CPUID: e->reason = EXIT_CPUID; break;
	case VIRT_HLT: e->reason = EXIT_HLT; break;
	case VIRT_INVLPG: e->reason = EXIT_INVLPG; e->qual = ev->addr; break;
	case VIRT_RDTSC: e->reason = EXIT_RDTSC; break;
	case VIRT_IO: e->reason = EXIT_IO_INSTRUCTION; e->qual = io_qual(ev); break;
	case VIRT_RDMSR: e->reason = EXIT_RDMSR; break;
	case VIRT_WRMSR: e->reason = EXIT_WRMSR; break;
	case VIRT_CR_READ:
	case VIRT_CR_WRITE: e->reason = EXIT_CR_ACCESS; e->qual = cr_qual(ev); break;
	case VIRT_PREEMPT_TIMER: e->reason = EXIT_PREEMPTION_TIMER; break;
	case VIRT_MEMORY: *e = v->pending; break;
	}
}

bool vmx_virt_exit(struct cpu *cpu, const struct virt_event *ev, const struct virt_event *vectoring)
{
	struct vmx *v = vmx_of(cpu);
	struct vmx_exit e = { 0 };

	exit_record(v, ev, &e);
	if (vectoring) {
		e.idt_vectoring = event_info(&vectoring->event.f, event_type(vectoring));
		e.idt_vectoring_error = vectoring->event.f.error_code;
		/* 28.2.4: a fault while delivering INT n / INT3 / INTO reports that instruction's length. */
		if (vectoring->event.type == VIRT_EV_SOFTWARE) {
			e.insn_len = vectoring->insn_len;
			e.has_insn = true;
		}
	}
	/* A software exception exits with RIP at the INT3 / INTO (28.3.3), not past it. */
	if (ev->kind == VIRT_EXCEPTION && ev->event.type == VIRT_EV_SOFTWARE)
		cpu_set(cpu, UC_X86_REG_RIP, cpu_get(cpu, UC_X86_REG_RIP) - ev->insn_len);
	if (ev->kind == VIRT_EXTINT && (vmcs_get(v, VMCS_EXIT_CONTROLS) & EXIT_ACK_INTERRUPT) &&
	    cpu->io.accept_irq)
		cpu->io.accept_irq(cpu->io.opaque, ev->event.f.vector);
	return vmx_vm_exit(v, &e);
}

bool vmx_translate(struct cpu *cpu, const struct virt_access *a, struct virt_gpa *out)
{
	struct vmx *v = vmx_of(cpu);
	struct ept_access acc = { .gpa = a->gpa, .access = a->access,
				  .paging_structure = a->paging_structure, .gla_valid = a->gla_valid,
				  .gla = a->gla, .probe = a->probe };
	struct ept_result r;

	if (!v->ept_on) {
		out->hpa = a->gpa;
		out->prot = MMU_PROT_R | MMU_PROT_W | MMU_PROT_X;
		return true;
	}
	ept_translate(&v->ept, &acc, &r);
	if (r.status == EPT_OK) {
		out->hpa = r.hpa;
		out->prot = r.prot;
		return true;
	}
	if (a->probe)
		return false;
	v->pending = (struct vmx_exit){ .gpa = a->gpa, .gpa_valid = true, .gla = a->gla,
					.gla_valid = a->gla_valid };
	switch (r.status) {
	case EPT_VIOLATION:
		v->pending.reason = EXIT_EPT_VIOLATION;
		v->pending.qual = r.qual.raw;
		break;
	case EPT_MISCONFIG:
		v->pending.reason = EXIT_EPT_MISCONFIG;
		v->pending.gla_valid = false;
		break;
	default:
		v->pending.reason = EXIT_PML_FULL;
		v->pending.gla_valid = false;
		break;
	}
	return false;
}

uint64_t vmx_cr_read(struct cpu *cpu, unsigned cr, uint64_t value)
{
	struct vmx *v = vmx_of(cpu);
	if (cr != 0 && cr != 4)
		return value;
	uint64_t mask = vmcs_get(v, cr ? VMCS_CR4_GUEST_HOST_MASK : VMCS_CR0_GUEST_HOST_MASK);
	uint64_t shadow = vmcs_get(v, cr ? VMCS_CR4_READ_SHADOW : VMCS_CR0_READ_SHADOW);
	return (shadow & mask) | (value & ~mask);
}

uint64_t vmx_cr_write(struct cpu *cpu, unsigned cr, uint64_t value, uint64_t old)
{
	struct vmx *v = vmx_of(cpu);
	if (cr != 0 && cr != 4)
		return value;
	uint64_t mask = vmcs_get(v, cr ? VMCS_CR4_GUEST_HOST_MASK : VMCS_CR0_GUEST_HOST_MASK);
	return (old & mask) | (value & ~mask);
}
