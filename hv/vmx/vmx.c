/*
 * VMX operation for hv: turning it on (SDM Vol. 3, 24.7), and the VMCS of a new vCPU: host state
 * from the running CPU, a 64-bit guest in hvsim's ELF64 boot state (gmem.h's boot area), and the
 * controls hv needs, each adjusted to what the capability MSRs allow (Appendix A.3).
 */
#include "vmx/vm.h"

#include "arch/x86.h"
#include "trap/trap.h"

#define GUEST_PAT 0x0007040600070406ull /* the power-up value (SDM Vol. 3, 13.12.4) */

static uint8_t vmxon_region[4096] __attribute__((aligned(4096)));
extern char vm_exit_host[];

bool vmx_available(void)
{
	uint32_t a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return c & CPUID_1_ECX_VMX;
}

static uint32_t vmcs_revision(void)
{
	return (uint32_t)rdmsr(MSR_VMX_BASIC) & 0x7fffffffu;
}

/* CR0/CR4 as VMX operation requires: the FIXED0 bits set, the FIXED1 zeros clear (A.7, A.8). */
static uint64_t fixed(uint64_t v, uint32_t msr0, uint32_t msr1)
{
	return (v | rdmsr(msr0)) & rdmsr(msr1);
}

bool vmx_init(void)
{
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
	uint32_t rev = vmcs_revision();

	if (!vmx_available())
		return false;
	if (!(fc & FC_LOCK))
		wrmsr(MSR_FEATURE_CONTROL, fc | FC_LOCK | FC_VMXON_OUTSIDE_SMX);
	else if (!(fc & FC_VMXON_OUTSIDE_SMX))
		return false; /* the firmware locked VMX off */
	write_cr0(fixed(read_cr0(), MSR_VMX_CR0_FIXED0, MSR_VMX_CR0_FIXED1));
	write_cr4(fixed(read_cr4() | CR4_VMXE, MSR_VMX_CR4_FIXED0, MSR_VMX_CR4_FIXED1));
	memcpy(vmxon_region, &rev, 4);
	return vmxon(virt_to_phys(vmxon_region)) == VMX_OK;
}

/* 'want' adjusted to a control MSR: allowed-0 bits forced on, allowed-1 bits kept (A.3.1). */
static uint32_t adjust(uint32_t msr, uint32_t want)
{
	uint64_t caps = rdmsr(msr);
	return (want | (uint32_t)caps) & (uint32_t)(caps >> 32);
}

void vmw(uint64_t field, uint64_t value)
{
	if (vmwrite(field, value) != VMX_OK)
		panic("VMWRITE 0x%lx failed (error %lu)", field, vmreadz(VM_INSTRUCTION_ERROR));
}

/* Base of the 64-bit TSS descriptor at 'sel' (SDM Vol. 3, Figure 8-4). */
static uint64_t tss_base(uint64_t gdt_base, uint16_t sel)
{
	const uint64_t *d = (const uint64_t *)(gdt_base + (sel & ~7u));
	return ((d[0] >> 16) & 0xffffff) | ((d[0] >> 56) << 24) | (d[1] << 32);
}

static void setup_host(void)
{
	struct desc_ptr gdtr, idtr;

	sgdt(&gdtr);
	sidt(&idtr);
	vmw(HOST_CR0, read_cr0());
	vmw(HOST_CR3, read_cr3());
	vmw(HOST_CR4, read_cr4());
	vmw(HOST_CS_SEL, SEL_KCODE);
	vmw(HOST_SS_SEL, SEL_KDATA);
	vmw(HOST_DS_SEL, SEL_KDATA);
	vmw(HOST_ES_SEL, SEL_KDATA);
	vmw(HOST_FS_SEL, SEL_KDATA);
	vmw(HOST_GS_SEL, SEL_KDATA);
	vmw(HOST_TR_SEL, SEL_TSS);
	vmw(HOST_TR_BASE, tss_base(gdtr.base, SEL_TSS));
	vmw(HOST_GDTR_BASE, gdtr.base);
	vmw(HOST_IDTR_BASE, idtr.base);
	vmw(HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmw(HOST_IA32_PAT, rdmsr(MSR_PAT));
	vmw(HOST_RIP, (uint64_t)vm_exit_host);
}

/* Flat 64-bit code and data (SDM Vol. 3, 3.4.5), as the guest's boot GDT holds them. */
static const uint64_t guest_gdt[] = { 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };
#define GUEST_SEL_CODE 0x08
#define GUEST_SEL_DATA 0x10
#define AR_CODE64 0xa09b
#define AR_DATA 0xc093
#define AR_TSS_BUSY 0x8b
#define AR_UNUSABLE 0x10000

static void setup_guest_segments(uint64_t gdt_gpa)
{
	static const struct { uint32_t sel, base, limit, ar; } segs[] = {
		{ GUEST_ES_SEL, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR },
		{ GUEST_SS_SEL, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR },
		{ GUEST_DS_SEL, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR },
		{ GUEST_FS_SEL, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR },
		{ GUEST_GS_SEL, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(segs); i++) {
		vmw(segs[i].sel, GUEST_SEL_DATA);
		vmw(segs[i].base, 0);
		vmw(segs[i].limit, 0xffffffff);
		vmw(segs[i].ar, AR_DATA);
	}
	vmw(GUEST_CS_SEL, GUEST_SEL_CODE);
	vmw(GUEST_CS_BASE, 0);
	vmw(GUEST_CS_LIMIT, 0xffffffff);
	vmw(GUEST_CS_AR, AR_CODE64);
	/* No TSS of its own until the guest loads one; VM entry wants a usable busy TSS (26.3.1.2). */
	vmw(GUEST_TR_SEL, 0);
	vmw(GUEST_TR_BASE, 0);
	vmw(GUEST_TR_LIMIT, 0x67);
	vmw(GUEST_TR_AR, AR_TSS_BUSY);
	vmw(GUEST_LDTR_SEL, 0);
	vmw(GUEST_LDTR_AR, AR_UNUSABLE);
	vmw(GUEST_GDTR_BASE, gdt_gpa);
	vmw(GUEST_GDTR_LIMIT, sizeof guest_gdt - 1);
	vmw(GUEST_IDTR_BASE, 0);
	vmw(GUEST_IDTR_LIMIT, 0);
}

/*
 * The guest's boot area: its GDT and an identity map of 512 GiB with 1 GiB pages (EPT decides
 * what is really there), as hvsim's ELF64 loader builds them (README "Booting").
 */
static void write_boot_tables(const struct gmem *m)
{
	uint64_t base = guest_boot_base(m), pml4e = (base + GUEST_BOOT_PDPT) | PTE_P | PTE_RW;

	gmem_write(m, base + GUEST_BOOT_GDT, guest_gdt, sizeof guest_gdt);
	gmem_write(m, base + GUEST_BOOT_PML4, &pml4e, 8);
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t e = i << 30 | PTE_P | PTE_RW | PTE_PS;
		gmem_write(m, base + GUEST_BOOT_PDPT + 8 * i, &e, 8);
	}
}

static void setup_guest(const struct gmem *m, uint64_t entry)
{
	uint64_t base = guest_boot_base(m);
	uint64_t cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	uint64_t cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;

	write_boot_tables(m);
	setup_guest_segments(base + GUEST_BOOT_GDT);
	vmw(GUEST_CR0, fixed(cr0, MSR_VMX_CR0_FIXED0, MSR_VMX_CR0_FIXED1));
	vmw(GUEST_CR3, base + GUEST_BOOT_PML4);
	vmw(GUEST_CR4, fixed(cr4, MSR_VMX_CR4_FIXED0, MSR_VMX_CR4_FIXED1));
	/* The guest owns CR4 except VMXE, which VMX operation forces on: it reads back as 0. */
	vmw(CR4_MASK, CR4_VMXE);
	vmw(CR4_SHADOW, cr4);
	vmw(GUEST_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE);
	vmw(GUEST_IA32_PAT, GUEST_PAT);
	vmw(GUEST_RIP, entry);
	vmw(GUEST_RSP, base);
	vmw(GUEST_RFLAGS, RFLAGS_FIXED);
	vmw(VMCS_LINK_POINTER, ~0ull);
	vmw(GUEST_ACTIVITY, 0);
	vmw(GUEST_INTERRUPTIBILITY, 0);
}

static void setup_controls(struct vcpu *v)
{
	vmw(PIN_CONTROLS, adjust(MSR_VMX_TRUE_PIN, 0));
	vmw(PROC_CONTROLS, adjust(MSR_VMX_TRUE_PROC, PROC_HLT_EXITING | PROC_UNCOND_IO |
							 PROC_USE_MSR_BITMAPS | VMX_PROC_SECONDARY));
	vmw(PROC2_CONTROLS, adjust(MSR_VMX_PROC2, VMX_PROC2_EPT));
	vmw(EXIT_CONTROLS, adjust(MSR_VMX_TRUE_EXIT, EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT |
							   EXIT_SAVE_EFER | EXIT_LOAD_EFER));
	vmw(ENTRY_CONTROLS, adjust(MSR_VMX_TRUE_ENTRY, ENTRY_IA32E | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER));
	vmw(EXCEPTION_BITMAP, 0);
	vmw(MSR_BITMAP, virt_to_phys(v->msr_bitmap));
	if (vmx_has_pml()) /* the field exists only with the control (SDM Vol. 3, 25.6.18) */
		vmw(PML_ADDRESS, virt_to_phys(v->pml));
}

bool vmx_has_pml(void)
{
	return rdmsr(MSR_VMX_PROC2) >> 32 & VMX_PROC2_PML;
}

bool vmx_has_ept_ad(void)
{
	return rdmsr(MSR_VMX_EPT_VPID_CAP) & VMX_CAP_EPT_AD;
}

bool vcpu_init(struct vcpu *v, const struct gmem *m, uint64_t entry, bool guest_state)
{
	uint32_t rev = vmcs_revision();

	memset(v, 0, sizeof *v);
	memcpy(v->vmcs, &rev, 4);
	if (vmclear(virt_to_phys(v->vmcs)) != VMX_OK || vmptrld(virt_to_phys(v->vmcs)) != VMX_OK)
		return false;
	setup_host();
	setup_controls(v);
	if (guest_state)
		setup_guest(m, entry);
	return true;
}
