#include "sim/boot64.h"

#include <assert.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"

/* Layout of the reserved area, as offsets from its base. */
#define OFF_GDT 0x0000
#define OFF_PML4 0x1000
#define OFF_PDPT 0x2000
#define OFF_CMDLINE 0x3000
#define CMDLINE_MAX 0x1000

#define SEL_CODE64 0x08
#define SEL_DATA 0x10

#define PTE_P 1ull
#define PTE_RW 2ull
#define PTE_PS (1ull << 7)

/* Flat descriptors (SDM Vol. 3, 3.4.5): 64-bit code (L=1) and writable data, both DPL 0. */
static const uint64_t boot_gdt[] = { 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * At the top of RAM below the hole, not at the end of all RAM: where it has always been on
 * machines of up to 3 GiB, and reachable by 32-bit addresses (a GDTR base or CR3 value that a
 * guest may carry into 32-bit code).
 */
uint64_t boot64_area(const struct phys *p)
{
	return phys_low_top(p) - BOOT64_RESERVED;
}

void boot64_setup(struct cpu *cpu, uint64_t entry, const char *cmdline)
{
	uint64_t base = boot64_area(&cpu->phys);
	uint8_t *area = phys_host(&cpu->phys, base, BOOT64_RESERVED);
	uc_x86_mmr gdtr = { .base = base + OFF_GDT, .limit = sizeof boot_gdt - 1 };

	assert(area); /* RAM_MIN leaves room for it */
	memset(area, 0, BOOT64_RESERVED);
	memcpy(area + OFF_GDT, boot_gdt, sizeof boot_gdt);
	/*
	 * Identity map of the first 512 GiB with 1 GiB pages: one PML4 entry, one full PDPT. It
	 * covers RAM above the hole (RAM_MAX is far below 512 GiB) and maps the hole too, where
	 * only MMIO (the local APIC) answers.
	 */
	put64(area + OFF_PML4, (base + OFF_PDPT) | PTE_P | PTE_RW);
	for (uint64_t i = 0; i < 512; i++)
		put64(area + OFF_PDPT + 8 * i, (i << 30) | PTE_P | PTE_RW | PTE_PS);
	if (cmdline)
		strncpy((char *)area + OFF_CMDLINE, cmdline, CMDLINE_MAX - 1);

	cpu_set_mmr(cpu, UC_X86_REG_GDTR, &gdtr);
	cpu_set(cpu, UC_X86_REG_CR3, base + OFF_PML4);
	cpu_set(cpu, UC_X86_REG_CR4, CR4_PAE | (1ull << 9) | (1ull << 10)); /* PAE, OSFXSR, OSXMMEXCPT */
	cpu_wrmsr(cpu, MSR_EFER, EFER_LME | EFER_LMA | EFER_NXE);
	cpu_set(cpu, UC_X86_REG_CR0, CR0_PE | CR0_PG | CR0_WP | (1ull << 1) | (1ull << 4) | (1ull << 5));
	cpu_set(cpu, UC_X86_REG_CS, SEL_CODE64);
	cpu_set(cpu, UC_X86_REG_SS, SEL_DATA);
	cpu_set(cpu, UC_X86_REG_DS, SEL_DATA);
	cpu_set(cpu, UC_X86_REG_ES, SEL_DATA);
	cpu_set(cpu, UC_X86_REG_RFLAGS, 0x2);
	cpu_set(cpu, UC_X86_REG_RSP, base);
	cpu_set(cpu, UC_X86_REG_RDI, cpu->phys.size);
	cpu_set(cpu, UC_X86_REG_RSI, base + OFF_CMDLINE);
	cpu_set(cpu, UC_X86_REG_RIP, entry);
}
