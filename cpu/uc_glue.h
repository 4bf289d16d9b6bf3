/*
 * The few places where hvsim replaces a Unicorn-internal function. Debian's libunicorn exports
 * its QEMU helpers with default visibility and calls them through the GOT/PLT, so a definition
 * in the hvsim executable (exported with --dynamic-list=cpu/uc_glue.dynlist) takes precedence:
 *
 *   unicorn_fill_tlb_x86_64  wrapped, to learn QEMU's MMU index (user / supervisor with SMAP
 *                            checks / supervisor without) and the exact faulting address (for
 *                            CR2), which the public TLB-fill hook is not told;
 *   helper_rdmsr/wrmsr       MSRs follow hvsim's CPU profile (QEMU reads unknown MSRs as 0);
 *                            helper_rdmsr also shows where QEMU's CPU state is (cpu/glue_env.c);
 *   cpu_get_tsc              the TSC is virtual time (QEMU reads the host clock);
 *   helper_hlt               wrapped, so the run loop knows HLT (not a stop request) ended a run;
 *   helper_write_crN         wrapped: MOV to CR4 #GPs for bits the CPU profile does not support
 *                            (QEMU accepts any bit its own CPU model has), decided in cpu/cr.c.
 *
 * glue_check() verifies at start-up that each replacement is the one the library will call.
 */
#ifndef HVSIM_CPU_UC_GLUE_H
#define HVSIM_CPU_UC_GLUE_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* QEMU's x86 MMU indexes (target/i386/cpu.h). */
enum glue_mmu_idx { GLUE_IDX_KSMAP = 0, GLUE_IDX_USER = 1, GLUE_IDX_KNOSMAP = 2, GLUE_IDX_UNKNOWN = -1 };

bool glue_check(char *why, unsigned len);
void glue_enter(struct cpu *cpu);
void glue_leave(void);
int glue_mmu_idx(void);
/* The CPU running now (NULL outside cpu_run), and raising an exception from inside a helper. */
struct cpu *glue_cpu(void);
void glue_raise(void *env, int vector, uintptr_t retaddr) __attribute__((noreturn));
/*
 * QEMU's CPUX86State of 'cpu' (cpu/glue_env.c): the pointer QEMU passes to helper_rdmsr, seen
 * by reading an MSR through the API. NULL if the helper was not reached.
 */
void *glue_env_seen(struct cpu *cpu);
/* The exact linear address of the access being filled (the hook is told only its page). */
uint64_t glue_fault_address(uint64_t page);

#endif
