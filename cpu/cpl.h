/*
 * The one routine that changes privilege and control state wholesale. uc_reg_write cannot change
 * CPL (QEMU derives CPL from SS.DPL and only executed control transfers change it), so a change
 * of ring executes a SYSCALL (to ring 0) or SYSRETQ (to ring 3) from a simulator-owned stub page,
 * with STAR/LSTAR/FMASK/EFER set for the purpose and restored afterwards.
 */
#ifndef HVSIM_CPU_CPL_H
#define HVSIM_CPU_CPL_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

struct cpl_target {
	unsigned cpl;
	uint16_t cs, ss;
	uint64_t rip, rsp, rflags;
};

/* The stub page: a physical page above any RAM, visible at STUB_VA only while a stub runs. */
#define CPL_STUB_PA (1ull << 45)
#define CPL_STUB_VA 0xfffffffffffff000ull

bool cpl_init(struct cpu *cpu);
bool cpl_switch(struct cpu *cpu, const struct cpl_target *t);

#endif
