/*
 * Waiting in virtual time. RDTSC (arch/x86.h) under hvsim counts virtual time: one tick per
 * retired guest instruction (README "Devices"), so "N ticks" in a workload option means about N
 * guest instructions, and a spin loop advances time as it runs.
 */
#ifndef WORKLOAD_TSC_H
#define WORKLOAD_TSC_H

#include "arch/x86.h"

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

#endif
