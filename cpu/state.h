/*
 * The CPU state that VM entry and VM exit load and save (SDM Vol. 3, 25.4 "Guest-State Area",
 * 25.5 "Host-State Area"), and the one routine that loads it. Segment hidden parts follow from
 * the selector and the mode: only 64-bit code segments are modelled, so the descriptor caches of
 * CS/SS/DS/ES are flat and only CPL (through cpu/cpl.c), FS/GS bases, TR, LDTR, GDTR and IDTR
 * carry information.
 */
#ifndef HVSIM_CPU_STATE_H
#define HVSIM_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

struct cpu;

enum cpu_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

struct cpu_seg_state {
	uint16_t selector;
	uint64_t base;
	uint32_t limit;
	uint32_t ar; /* VMX access-rights format (SDM Table 25-2); bit 16 = unusable */
};

struct cpu_state {
	uint64_t cr0, cr3, cr4, dr7;
	uint64_t rsp, rip, rflags;
	struct cpu_seg_state seg[SEG_COUNT];
	uint64_t gdtr_base, idtr_base;
	uint32_t gdtr_limit, idtr_limit;
	uint64_t efer, pat;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
};

#define SEG_AR_UNUSABLE (1u << 16)

/* Read the state (access rights synthesized from CPL and selectors, see above). */
void cpu_state_save(struct cpu *cpu, struct cpu_state *s);
/* Load it: control registers, MSRs, tables, segments, then CPL/RIP/RSP/RFLAGS; flushes the TLB. */
bool cpu_state_load(struct cpu *cpu, const struct cpu_state *s);

#endif
