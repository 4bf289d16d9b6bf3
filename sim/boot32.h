/*
 * The 32-bit protected-mode entry state of a Multiboot boot (Multiboot 0.6.96, 3.2 "Machine
 * state"; Multiboot2 3.3 "I386 machine state"; README "Booting"): flat 4 GiB code and data
 * segments, CR0.PE = 1 and PG = 0, CR4 = 0, EFER = 0, EFLAGS.IF = VM = 0, EAX = the boot loader
 * magic, EBX = the boot information. The guest makes its own way to long mode.
 */
#ifndef HVSIM_SIM_BOOT32_H
#define HVSIM_SIM_BOOT32_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* Bytes boot32_setup uses at gdt_pa: the GDT (which stays) and a stub (cleared after use). */
#define BOOT32_AREA_SIZE 0x100u

#define BOOT32_SEL_CODE 0x08
#define BOOT32_SEL_DATA 0x10

/* Put a freshly created CPU into that state; false (with why) if Unicorn would not follow. */
bool boot32_setup(struct cpu *cpu, uint32_t gdt_pa, uint32_t entry, uint32_t eax, uint32_t ebx,
		  char *why, unsigned why_len);

#endif
