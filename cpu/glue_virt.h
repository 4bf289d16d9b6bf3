/*
 * Interposed QEMU helpers of the instructions that VMX non-root operation can turn into VM exits
 * (CPUID, IN/OUT, MOV from CR, INVLPG, RDTSC; RDMSR/WRMSR and MOV to CR live in cpu/uc_glue.c).
 * Each asks the virtualization layer whether the instruction exits; if so it records the exit
 * and unwinds Unicorn with RIP at the instruction, and the run loop performs the exit.
 */
#ifndef HVSIM_CPU_GLUE_VIRT_H
#define HVSIM_CPU_GLUE_VIRT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/virt.h"

struct cpu;

bool glue_virt_check(char *why, unsigned len);

/* Flush one page from QEMU's TLB and jump cache, as INVLPG does (QEMU's own helper_invlpg). */
void glue_flush_page(void *env, uint64_t va);

/*
 * From inside an interposed helper: if 'ev' causes a VM exit, record it and unwind (does not
 * return); otherwise return.
 */
void glue_virt_exit(void *env, struct virt_event ev, uintptr_t retaddr);

/* After the unwind: fill in what needs the instruction bytes (length, I/O and CR operands). */
void glue_virt_complete(struct cpu *cpu, struct virt_event *ev);

#endif
