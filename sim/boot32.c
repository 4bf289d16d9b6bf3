/*
 * Entering 32-bit protected mode on an engine that Unicorn opened in UC_MODE_64 (which starts in
 * IA-32e mode: EFER.LME = LMA = 1, a 64-bit CS, no paging). Two Unicorn facts shape this:
 *
 *  - EFER.LMA cannot be cleared through WRMSR (QEMU masks it; the SDM makes it read-only,
 *    Vol. 3, 2.2.1 "Extended Feature Enable Register"), only by CR0.PG going 1 -> 0 with LMA
 *    set, which uc_reg_write of CR0 runs through (cpu_x86_update_cr0). So paging is switched
 *    on (LME + PAE; nothing is accessed) and off again, then EFER and CR4 are cleared.
 *  - In UC_MODE_64, uc_reg_write of CS, SS, DS or ES stores only the selector: the descriptor
 *    cache (base, limit, D/B, type) keeps what reset left, all zero. So the segments are loaded
 *    by executing a far JMP and MOVs to the segment registers from a stub, through a flat GDT,
 *    as any 32-bit boot loader's last instructions would (SDM Vol. 3, 3.4.3 "Segment Registers"
 *    and 10.9.1 "Switching to Protected Mode").
 */
#include "sim/boot32.h"

#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"

#define CR0_ET (1ull << 4)

#define OFF_GDT 0x00
#define OFF_STUB 0x20

/* SDM Vol. 3, 3.4.5: flat 32-bit code (execute/read, D = 1, G = 1) and data (read/write, B = 1). */
static const uint64_t boot32_gdt[] = { 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull };

/* ljmp $CODE, $next; mov $DATA, %eax; mov %eax, %ds/%es/%fs/%gs/%ss (32-bit encodings). */
static size_t stub_code(uint8_t *p, uint32_t pa)
{
	static const uint8_t movs[] = { 0xb8, BOOT32_SEL_DATA, 0, 0, 0, 0x8e, 0xd8, 0x8e, 0xc0,
					0x8e, 0xe0, 0x8e, 0xe8, 0x8e, 0xd0 };
	uint32_t next = pa + 7;
	uint16_t sel = BOOT32_SEL_CODE;

	p[0] = 0xea;
	memcpy(p + 1, &next, 4);
	memcpy(p + 5, &sel, 2);
	memcpy(p + 7, movs, sizeof movs);
	return 7 + sizeof movs;
}

static void leave_long_mode(struct cpu *cpu)
{
	cpu_wrmsr(cpu, MSR_EFER, EFER_LME);
	cpu_set(cpu, UC_X86_REG_CR4, CR4_PAE);
	cpu_set(cpu, UC_X86_REG_CR0, CR0_PE | CR0_ET | CR0_PG); /* LMA = 1 if it was not */
	cpu_set(cpu, UC_X86_REG_CR0, CR0_PE | CR0_ET);          /* PG 1 -> 0 clears LMA */
	cpu_wrmsr(cpu, MSR_EFER, 0);
	cpu_set(cpu, UC_X86_REG_CR4, 0);
}

/* Run the stub from the boot area ('area' holds gdt_pa); it loads CS/DS/ES/FS/GS/SS. */
static bool load_segments(struct cpu *cpu, uint32_t gdt_pa, uint8_t *area, char *why,
			  unsigned why_len)
{
	uint32_t start = gdt_pa + OFF_STUB;
	uint8_t *code = area + OFF_STUB;
	size_t len = stub_code(code, start);
	uint64_t vtime = cpu->vtime;
	uc_err err;

	cpu->stub_active = true; /* not guest time: no instruction counting */
	err = uc_emu_start(cpu->uc, start, start + len, 0, 0);
	cpu->stub_active = false;
	cpu->vtime = vtime;
	uc_ctl_remove_cache(cpu->uc, start, start + len);
	memset(code, 0, len);
	if (err != UC_ERR_OK || cpu_get(cpu, UC_X86_REG_CS) != BOOT32_SEL_CODE ||
	    cpu_get(cpu, UC_X86_REG_SS) != BOOT32_SEL_DATA) {
		snprintf(why, why_len, "loading the flat segments failed (%s, CS=%#llx)",
			 uc_strerror(err), (unsigned long long)cpu_get(cpu, UC_X86_REG_CS));
		return false;
	}
	return true;
}

bool boot32_setup(struct cpu *cpu, uint32_t gdt_pa, uint32_t entry, uint32_t eax, uint32_t ebx,
		  char *why, unsigned why_len)
{
	static const int zeroed[] = { UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
				      UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP };
	uc_x86_mmr gdtr = { .base = gdt_pa + OFF_GDT, .limit = sizeof boot32_gdt - 1 };
	uint8_t *area = phys_host(&cpu->phys, gdt_pa, BOOT32_AREA_SIZE);

	if (!area) {
		snprintf(why, why_len, "the boot area at %#x is not RAM", gdt_pa);
		return false;
	}
	memcpy(area + OFF_GDT, boot32_gdt, sizeof boot32_gdt);
	cpu_set_mmr(cpu, UC_X86_REG_GDTR, &gdtr);
	leave_long_mode(cpu);
	cpu_set(cpu, UC_X86_REG_RFLAGS, 0x2); /* IF = 0, VM = 0 */
	if (!load_segments(cpu, gdt_pa, area, why, why_len))
		return false;
	for (unsigned i = 0; i < sizeof zeroed / sizeof zeroed[0]; i++)
		cpu_set(cpu, zeroed[i], 0); /* ESP too: Multiboot leaves the stack to the kernel */
	cpu_set(cpu, UC_X86_REG_RAX, eax);
	cpu_set(cpu, UC_X86_REG_RBX, ebx);
	cpu_set(cpu, UC_X86_REG_RIP, entry);
	return true;
}
