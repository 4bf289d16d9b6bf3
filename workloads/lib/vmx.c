/* VMX helpers for test hypervisors: see vmx.h. */
#include "vmx.h"

#include "traps.h"
#include "workload.h"


/*
 * vmx_enter_asm(gprs, launched): save the host's callee-saved registers and the gprs pointer on
 * the stack, point HOST_RSP there, load the guest registers and VMLAUNCH/VMRESUME. A VM exit
 * lands on vmx_exit_host (HOST_RIP), which stores the guest registers and returns 0. If the
 * instruction fails, returns RFLAGS (CF/ZF say how).
 */
uint64_t vmx_enter_asm(struct vmx_gprs *g, uint64_t launched);
extern char vmx_exit_host[];
__asm__(".text\n"
	".globl vmx_enter_asm\n"
	"vmx_enter_asm:\n"
	"  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"  push %rdi\n"
	"  mov $0x6c14, %rax; vmwrite %rsp, %rax\n"
	"  mov %rsi, %rax; test %rax, %rax\n"
	"  mov 8(%rdi), %rcx; mov 16(%rdi), %rdx; mov 24(%rdi), %rbx; mov 32(%rdi), %rbp\n"
	"  mov 40(%rdi), %rsi; mov 56(%rdi), %r8; mov 64(%rdi), %r9; mov 72(%rdi), %r10\n"
	"  mov 80(%rdi), %r11; mov 88(%rdi), %r12; mov 96(%rdi), %r13; mov 104(%rdi), %r14\n"
	"  mov 112(%rdi), %r15; mov 0(%rdi), %rax\n"
	"  jnz 1f\n"
	"  mov 48(%rdi), %rdi\n"
	"  vmlaunch\n"
	"  jmp 2f\n"
	"1: mov 48(%rdi), %rdi\n"
	"  vmresume\n"
	"2: pushfq; pop %rax\n"
	"  pop %rdi\n"
	"  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"  ret\n"
	".globl vmx_exit_host\n"
	"vmx_exit_host:\n"
	"  push %rdi\n"
	"  mov 8(%rsp), %rdi\n"
	"  mov %rax, 0(%rdi); mov %rcx, 8(%rdi); mov %rdx, 16(%rdi); mov %rbx, 24(%rdi)\n"
	"  mov %rbp, 32(%rdi); mov %rsi, 40(%rdi); mov %r8, 56(%rdi); mov %r9, 64(%rdi)\n"
	"  mov %r10, 72(%rdi); mov %r11, 80(%rdi); mov %r12, 88(%rdi); mov %r13, 96(%rdi)\n"
	"  mov %r14, 104(%rdi); mov %r15, 112(%rdi)\n"
	"  pop %rax; mov %rax, 48(%rdi)\n"
	"  pop %rdi\n"
	"  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"  xor %eax, %eax\n"
	"  ret\n");

enum vmx_status vmx_start(struct vmx_vcpu *vcpu)
{
	uint32_t rev = (uint32_t)rdmsr(MSR_VMX_BASIC) & 0x7fffffffu;
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
	enum vmx_status s;

	if (!(fc & FC_LOCK))
		wrmsr(MSR_FEATURE_CONTROL, fc | FC_LOCK | FC_VMXON_OUTSIDE_SMX);
	/* VMXON requires the CR0/CR4 bits IA32_VMX_CR0/CR4_FIXED0 report (NE, VMXE). */
	write_cr0(read_cr0() | (rdmsr(MSR_VMX_CR0_FIXED0) & 0xffffffffu));
	write_cr4(read_cr4() | CR4_VMXE);
	memcpy(vcpu->vmxon, &rev, 4);
	memcpy(vcpu->vmcs, &rev, 4);
	if ((s = vmxon((uint64_t)vcpu->vmxon)) != VMX_OK)
		return s;
	if ((s = vmclear((uint64_t)vcpu->vmcs)) != VMX_OK)
		return s;
	vcpu->launched = false;
	return vmptrld((uint64_t)vcpu->vmcs);
}

uint32_t vmx_adjust(uint32_t msr, uint32_t want)
{
	uint64_t caps = rdmsr(msr);
	return (want | (uint32_t)caps) & (uint32_t)(caps >> 32);
}

static uint16_t sel(const char *which)
{
	uint16_t s = 0;
	switch (which[0]) {
	case 'c': __asm__ volatile("mov %%cs, %0" : "=r"(s)); break;
	case 's': __asm__ volatile("mov %%ss, %0" : "=r"(s)); break;
	case 'd': __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
	case 'e': __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
	case 'f': __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
	case 'g': __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
	case 't': __asm__ volatile("str %0" : "=r"(s)); break;
	}
	return s;
}

static struct desc_ptr table(bool idt)
{
	struct desc_ptr d;
	if (idt)
		__asm__ volatile("sidt %0" : "=m"(d));
	else
		__asm__ volatile("sgdt %0" : "=m"(d));
	return d;
}

/* Base of the 64-bit TSS descriptor at 'sel' in the GDT (SDM Vol. 3, Figure 8-4). */
static uint64_t tss_base(uint64_t gdt_base, uint16_t s)
{
	const uint64_t *d = (const uint64_t *)(gdt_base + (s & ~7u));
	return ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) << 24) | (d[1] << 32);
}

static void setup_host(void)
{
	struct desc_ptr gdtr = table(false), idtr = table(true);
	uint16_t tr = sel("t");

	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SEL, sel("c"));
	vmwrite(HOST_SS_SEL, sel("s"));
	vmwrite(HOST_DS_SEL, sel("d"));
	vmwrite(HOST_ES_SEL, sel("e"));
	vmwrite(HOST_FS_SEL, sel("f"));
	vmwrite(HOST_GS_SEL, sel("g"));
	vmwrite(HOST_TR_SEL, tr);
	vmwrite(HOST_TR_BASE, tss_base(gdtr.base, tr));
	vmwrite(HOST_GDTR_BASE, gdtr.base);
	vmwrite(HOST_IDTR_BASE, idtr.base);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmwrite(HOST_IA32_PAT, rdmsr(MSR_PAT));
	vmwrite(HOST_RIP, (uint64_t)vmx_exit_host);
}

static void setup_guest(uint64_t rip, uint64_t rsp)
{
	struct desc_ptr gdtr = table(false), idtr = table(true);
	static const uint32_t data_ar = 0xc093, code_ar = 0xa09b, tss_ar = 0x8b, unusable = 0x10000;
	static const struct { uint32_t sel, base, limit, ar; } segs[] = {
		{ GUEST_ES_SEL, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR },
		{ GUEST_SS_SEL, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR },
		{ GUEST_DS_SEL, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR },
		{ GUEST_FS_SEL, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR },
		{ GUEST_GS_SEL, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR },
	};
	uint16_t tr = sel("t");

	for (unsigned i = 0; i < sizeof segs / sizeof segs[0]; i++) {
		bool ss = segs[i].sel == GUEST_SS_SEL;
		vmwrite(segs[i].sel, ss ? sel("s") : 0);
		vmwrite(segs[i].base, 0);
		vmwrite(segs[i].limit, 0xffffffff);
		vmwrite(segs[i].ar, ss ? data_ar : unusable);
	}
	vmwrite(GUEST_CS_SEL, sel("c"));
	vmwrite(GUEST_CS_BASE, 0);
	vmwrite(GUEST_CS_LIMIT, 0xffffffff);
	vmwrite(GUEST_CS_AR, code_ar);
	vmwrite(GUEST_TR_SEL, tr);
	vmwrite(GUEST_TR_BASE, tss_base(gdtr.base, tr));
	vmwrite(GUEST_TR_LIMIT, 0x67);
	vmwrite(GUEST_TR_AR, tss_ar);
	vmwrite(GUEST_LDTR_SEL, 0);
	vmwrite(GUEST_LDTR_AR, unusable);
	vmwrite(GUEST_GDTR_BASE, gdtr.base);
	vmwrite(GUEST_GDTR_LIMIT, gdtr.limit);
	vmwrite(GUEST_IDTR_BASE, idtr.base);
	vmwrite(GUEST_IDTR_LIMIT, idtr.limit);
	vmwrite(GUEST_CR0, read_cr0());
	vmwrite(GUEST_CR3, read_cr3());
	vmwrite(GUEST_CR4, read_cr4());
	vmwrite(GUEST_IA32_EFER, rdmsr(MSR_EFER));
	vmwrite(GUEST_IA32_PAT, rdmsr(MSR_PAT));
	vmwrite(GUEST_RIP, rip);
	vmwrite(GUEST_RSP, rsp);
	vmwrite(GUEST_RFLAGS, 0x2);
	vmwrite(VMCS_LINK_POINTER, ~0ull);
}


void vmx_setup_vmcs(uint64_t guest_rip, uint64_t guest_rsp)
{
	setup_host();
	setup_guest(guest_rip, guest_rsp);
	vmwrite(PIN_CONTROLS, vmx_adjust(MSR_VMX_TRUE_PIN, 0));
	vmwrite(PROC_CONTROLS, vmx_adjust(MSR_VMX_TRUE_PROC, 0));
	vmwrite(EXIT_CONTROLS, vmx_adjust(MSR_VMX_TRUE_EXIT, EXIT_HOST_64 | EXIT_LOAD_PAT | EXIT_LOAD_EFER));
	vmwrite(ENTRY_CONTROLS, vmx_adjust(MSR_VMX_TRUE_ENTRY, ENTRY_IA32E | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER));
	vmwrite(EXCEPTION_BITMAP, 0);
}

uint32_t vmx_run(struct vmx_vcpu *vcpu, enum vmx_status *status)
{
	uint64_t rf = vmx_enter_asm(&vcpu->gprs, vcpu->launched);
	if (rf) {
		*status = vmx_status_of(rf & 1, rf & 0x40);
		return 0xffffffffu;
	}
	*status = VMX_OK;
	vcpu->launched = true;
	return (uint32_t)vmreadz(EXIT_REASON);
}

void vmx_skip_instruction(void)
{
	vmwrite(GUEST_RIP, vmreadz(GUEST_RIP) + vmreadz(EXIT_INSN_LEN));
}

/* ---- EPT identity map (SDM Vol. 3, 29.3.2) ---- */

#define PAGE_2M (1ull << 21)
#define EPT_LEAF_KEEP (VMX_EPT_RWX | (7ull << VMX_EPT_MEMTYPE_SHIFT) | (1ull << 6)) /* XWR, type, IPAT */

void vmx_ept_init(struct vmx_ept *ept, uint64_t leaf_flags)
{
	memset(ept, 0, sizeof *ept);
	ept->pml4[0] = (uint64_t)ept->pdpt | VMX_EPT_RWX;
	for (uint64_t g = 0; g < VMX_EPT_GIB; g++) {
		ept->pdpt[g] = (uint64_t)ept->pd[g] | VMX_EPT_RWX;
		for (uint64_t i = 0; i < 512; i++)
			ept->pd[g][i] = (g << 30 | i << 21) | VMX_EPT_RWX | VMX_EPT_WB | VMX_EPT_PAGE |
					leaf_flags;
	}
}

static uint64_t *ept_pde(struct vmx_ept *ept, uint64_t gpa)
{
	if (gpa >= (uint64_t)VMX_EPT_GIB << 30)
		return NULL;
	return &ept->pd[gpa >> 30][(gpa >> 21) & 511];
}

uint64_t *vmx_ept_split(struct vmx_ept *ept, uint64_t gpa, uint64_t ad_flags)
{
	uint64_t *pde = ept_pde(ept, gpa);

	if (!pde)
		return NULL;
	if (!(*pde & VMX_EPT_PAGE))
		return (uint64_t *)(*pde & VMX_EPT_ADDR);
	if (ept->splits == VMX_EPT_SPLITS)
		return NULL;
	uint64_t *pt = ept->pt[ept->splits++];
	uint64_t base = *pde & VMX_EPT_ADDR & ~(PAGE_2M - 1);
	for (uint64_t i = 0; i < 512; i++)
		pt[i] = (base + (i << 12)) | (*pde & EPT_LEAF_KEEP) | ad_flags;
	*pde = (uint64_t)pt | VMX_EPT_RWX;
	return pt;
}

unsigned vmx_ept_path(struct vmx_ept *ept, uint64_t gpa, uint64_t *entries[4])
{
	uint64_t *table = ept->pml4;
	unsigned n = 0;

	for (unsigned shift = 39; shift >= 12; shift -= 9) {
		uint64_t *e = &table[(gpa >> shift) & 511];
		if (!(*e & VMX_EPT_RWX))
			return 0;
		entries[n++] = e;
		if (shift == 12 || (shift <= 30 && (*e & VMX_EPT_PAGE)))
			return n;
		table = (uint64_t *)(*e & VMX_EPT_ADDR);
	}
	return 0;
}

uint64_t *vmx_ept_leaf(struct vmx_ept *ept, uint64_t gpa)
{
	uint64_t *entries[4];
	unsigned n = vmx_ept_path(ept, gpa, entries);
	return n ? entries[n - 1] : NULL;
}

uint64_t vmx_ept_pointer(const struct vmx_ept *ept, bool ad)
{
	return (uint64_t)ept->pml4 | VMX_EPTP_WB | VMX_EPTP_WALK_4 | (ad ? VMX_EPTP_AD : 0);
}
