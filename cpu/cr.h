/*
 * MOV to control registers: the checks the SDM makes that QEMU's helper does not. Decided here,
 * before Unicorn's helper performs the write (the interposed helper_write_crN in cpu/uc_glue.c
 * asks, raises what this returns, and otherwise lets QEMU write the register).
 */
#ifndef HVSIM_CPU_CR_H
#define HVSIM_CPU_CR_H

#include <stdint.h>

struct cpu;

enum cr_write {
	CR_WRITE_OK, /* QEMU performs the write */
	CR_WRITE_GP, /* #GP(0), the register unchanged */
};

/*
 * MOV to CR'cr' of 'value' at CPL 0 (QEMU raises the CPL > 0 #GP itself, before the helper).
 *
 * VMX non-root operation adds the CR-access VM exit (SDM Vol. 3, 26.1.3: MOV to CR0/CR4 by the
 * guest/host masks and read shadows, MOV to CR3 by the CR3-target values, CR8 by the TPR
 * controls). That exit has priority over the #GP(0) checks made here (26.1.1: only faults
 * based on privilege level and a few others come before VM exits), so it belongs in the
 * interposed helper ahead of this call, next to the RDMSR/WRMSR exits (cpu/glue_virt.h).
 */
enum cr_write cr_write_check(struct cpu *cpu, unsigned cr, uint64_t value);

/*
 * CR8 is the local APIC's task priority: CR8[3:0] = TPR[7:4], and a MOV to CR8 writes TPR[7:4]
 * and clears TPR[3:0] (SDM Vol. 3, 11.8.6.1). QEMU's CR8 goes to an APIC Unicorn does not have,
 * so MOV to and from CR8 (cpu/uc_glue.c, cpu/glue_virt.c), and cpu_get/cpu_set of
 * UC_X86_REG_CR8, come here: to the platform's APIC (cpu->io). Without one, CR8 reads 0.
 */
uint64_t cr8_read(struct cpu *cpu);
void cr8_write(struct cpu *cpu, uint64_t value); /* value: already checked */

#endif
