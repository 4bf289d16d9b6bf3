/*
 * VMX guests: build one, run it, and handle its exits (one handler per exit reason, a table).
 * Time is accounted in TSC ticks: the guest's between VM entry and exit, the trackers' in their
 * handlers (vm->track_ticks, see logdirty.c).
 */
#include "vmx/vm.h"

#include "arch/x86.h"
#include "hypercall.h"
#include "logdirty.h"
#include "migrate.h"
#include "mm/mm.h"
#include "platform.h"

#define LSR_IDLE 0x60 /* transmitter empty: writes never wait */

uint64_t vm_enter(struct gprs *g, uint64_t launched);

typedef void (*exit_handler)(struct vm *vm);

static void skip_instruction(void)
{
	vmw(GUEST_RIP, vmreadz(GUEST_RIP) + vmreadz(EXIT_INSN_LEN));
}

/* CPUID: the CPU's answer, with "hypervisor present" set and VMX hidden (no nesting). */
static void exit_cpuid(struct vm *vm)
{
	struct gprs *g = &vm->vcpu->gprs;
	uint32_t a, b, c, d, leaf = (uint32_t)g->rax;

	cpuid(leaf, (uint32_t)g->rcx, &a, &b, &c, &d);
	if (leaf == 1)
		c = (c | CPUID_1_ECX_HYPERVISOR) & ~CPUID_1_ECX_VMX;
	g->rax = a, g->rbx = b, g->rcx = c, g->rdx = d;
	skip_instruction();
}

static void exit_hlt(struct vm *vm)
{
	printf("hv: guest %s halted without reporting a result\n", vm->dom->name);
	domain_end(vm->dom, DOMAIN_HALTED);
}

/* I/O exit qualification (SDM Vol. 3, Table 28-5): size, direction, string, port. */
static void exit_io(struct vm *vm)
{
	uint64_t q = vmreadz(EXIT_QUALIFICATION);
	unsigned size = (q & 7) + 1, port = (q >> 16) & 0xffff;
	bool in = q & 8, string = q & 16;
	struct gprs *g = &vm->vcpu->gprs;

	if (string)
		domain_crash(vm->dom, "string I/O is not emulated");
	if (in) {
		uint64_t v = port == PC_COM1_LSR ? LSR_IDLE : 0xffffffffu;
		uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
		g->rax = size == 4 ? v & mask : (g->rax & ~mask) | (v & mask);
	} else if (port == PC_COM1) {
		char c = (char)g->rax;
		domain_console(vm->dom, &c, 1);
	} else if (port == PC_DEBUG_EXIT_PORT) {
		uint32_t v = (uint32_t)g->rax;
		domain_end(vm->dom, v <= HV_RESULT_SKIP ? (int)v : HV_RESULT_FAILURE);
	}
	skip_instruction();
}

static void exit_vmcall(struct vm *vm)
{
	struct gprs *g = &vm->vcpu->gprs;
	const uint64_t a[4] = { g->rdi, g->rsi, g->rdx, g->r10 };

	skip_instruction(); /* first: HC_REPORT does not come back */
	g->rax = (uint64_t)hypercall(vm->dom, g->rax, a);
}

static void exit_triple_fault(struct vm *vm)
{
	domain_crash(vm->dom, "triple fault");
}

static void exit_ept_violation(struct vm *vm)
{
	uint64_t q = vmreadz(EXIT_QUALIFICATION), gpa = vmreadz(GUEST_PHYSICAL_ADDRESS);

	if (logdirty_exit(vm, EXIT_EPT_VIOLATION, q, gpa))
		return;
	printf("hv: guest %s: EPT violation at GPA 0x%lx (qualification 0x%lx) RIP 0x%lx\n",
	       vm->dom->name, gpa, q, vmreadz(GUEST_RIP));
	domain_crash(vm->dom, "access outside guest memory");
}

static void exit_pml_full(struct vm *vm)
{
	if (!logdirty_exit(vm, EXIT_PML_FULL, 0, 0))
		panic("PML log full without PML logging");
}

static void exit_preempt(struct vm *vm)
{
	migrate_tick(vm);
}

static const exit_handler handlers[EXIT_REASON_MAX] = {
	[EXIT_TRIPLE_FAULT] = exit_triple_fault, [EXIT_CPUID] = exit_cpuid,
	[EXIT_HLT] = exit_hlt, [EXIT_VMCALL] = exit_vmcall, [EXIT_IO] = exit_io,
	[EXIT_EPT_VIOLATION] = exit_ept_violation, [EXIT_PML_FULL] = exit_pml_full,
	[EXIT_PREEMPT_TIMER] = exit_preempt,
};

static void unexpected_exit(struct vm *vm, uint32_t reason)
{
	printf("hv: guest %s: unexpected VM exit %u (qualification 0x%lx) at RIP 0x%lx\n",
	       vm->dom->name, reason, vmreadz(EXIT_QUALIFICATION), vmreadz(GUEST_RIP));
	domain_crash(vm->dom, "unexpected VM exit");
}

static void entry_failed(struct vm *vm, uint64_t rflags, uint32_t reason)
{
	if (rflags & RFLAGS_CF)
		panic("VM entry of %s: VMfailInvalid", vm->dom->name);
	if (rflags & RFLAGS_ZF)
		panic("VM entry of %s: VMfailValid, error %lu", vm->dom->name, vmreadz(VM_INSTRUCTION_ERROR));
	panic("VM entry of %s failed: exit reason %u, qualification %lu", vm->dom->name,
	      reason & 0xffff, vmreadz(EXIT_QUALIFICATION));
}

static void run(struct domain *d)
{
	for (;;) {
		struct vm *vm = d->vm;
		migrate_before_entry(vm);
		uint64_t t0 = rdtsc();
		uint64_t rf = vm_enter(&vm->vcpu->gprs, vm->vcpu->launched);
		vm->guest_ticks += rdtsc() - t0;
		uint32_t reason = rf ? 0 : (uint32_t)vmreadz(EXIT_REASON);
		if (rf || (reason & EXIT_REASON_ENTRY_FAILED))
			entry_failed(vm, rf, reason);
		vm->vcpu->launched = true;
		reason &= 0xffff;
		if (reason >= EXIT_REASON_MAX || !handlers[reason])
			unexpected_exit(vm, reason);
		vm->exits[reason]++;
		handlers[reason](vm);
	}
}

bool vm_create(struct vm *vm, struct domain *d, struct vcpu *vcpu)
{
	memset(vm, 0, sizeof *vm);
	vm->dom = d;
	vm->vcpu = vcpu;
	vm->pml_entries = PML_LOG_ENTRIES;
	uint64_t words = bitmap_words(d->ram_bytes >> PAGE_SHIFT);
	uint64_t bm = pages_alloc_contig(ALIGN_UP(words * 8, PAGE_SIZE) >> PAGE_SHIFT);
	if (!bm || !gmem_alloc(&vm->mem, d->ram_bytes) || !ept_build(&vm->ept, &vm->mem))
		return false;
	vm->dirty = phys_to_virt(bm);
	return true;
}

void vm_destroy(struct vm *vm)
{
	uint64_t words = bitmap_words(vm->mem.npages);
	for (uint64_t off = 0; off < words * 8; off += PAGE_SIZE)
		page_free(virt_to_phys(vm->dirty) + off);
	ept_free(&vm->ept, &vm->mem);
	gmem_free(&vm->mem);
}

/* EPTP (SDM Vol. 3, 25.6.11): write-back, 4-level walk, A/D flags when a tracker needs them. */
void vm_set_eptp(struct vm *vm, bool ad)
{
	vm->ept.eptp = vm->ept.root | VMX_EPTP_WB | VMX_EPTP_WALK_4 | (ad ? VMX_EPTP_AD : 0);
	vmw(EPT_POINTER, vm->ept.eptp);
}

int vm_run_domain(struct domain *d, const void *elf, uint64_t len, const char *hv_cmdline)
{
	static struct vm vm;
	static struct vcpu vcpu;
	uint64_t entry;
	const char *why;

	if (!vm_create(&vm, d, &vcpu))
		panic("out of memory for guest %s", d->name);
	if (!elf_load(&vm.mem, elf, len, &entry, &why)) {
		printf("hv: guest %s: %s\n", d->name, why);
		vm_destroy(&vm);
		return DOMAIN_CRASHED;
	}
	guest_boot_cmdline(&vm.mem, d->cmdline);
	if (!vcpu_init(&vcpu, &vm.mem, entry, true))
		panic("cannot make a VMCS current");
	vm_set_eptp(&vm, false);
	vcpu.gprs.rdi = d->ram_bytes;
	vcpu.gprs.rsi = guest_boot_base(&vm.mem) + GUEST_BOOT_CMDLINE;
	vcpu.gprs.rdx = HV_BOOT_VMX;
	d->vm = &vm;
	if (!migrate_init(&vm, hv_cmdline))
		return HV_RESULT_ERROR;
	domain_set_current(d);
	if (!hv_setjmp(&d->ended))
		run(d);
	domain_set_current(NULL);
	migrate_finish(d->vm, d->result);
	vm_destroy(d->vm);
	return d->result;
}
