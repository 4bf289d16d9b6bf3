/*
 * Descriptor tables and trap recovery for guest tests: a GDT with ring-0 and ring-3 segments and a
 * TSS, an IDT whose handlers record each exception, and "probes" that perform one access and
 * report whether it trapped (the handler resumes at the probe's recovery point).
 */
#ifndef WORKLOAD_TRAPS_H
#define WORKLOAD_TRAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86.h" /* CR, MSR, CPUID, STAC/CLAC, descriptor tables: shared with hv/ */

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS 0x28
#define GDT_ENTRIES 7 /* null, kcode, kdata, udata, ucode, TSS (two slots) */

struct trap_record {
	uint64_t count;
	uint64_t vector, error, cr2, rip, cs;
	uint64_t rsp, ss;    /* the interrupted context's stack, as the CPU pushed it */
	uint64_t frame_top;  /* where the CPU started pushing: the (aligned) new RSP */
};

extern volatile struct trap_record last_trap;
extern uint64_t gdt[GDT_ENTRIES];

void traps_init(void);
/* Point IDT vector 'v' at 'handler' (a 64-bit interrupt gate, kernel CS, the given DPL). */
void traps_set_gate(unsigned v, const void *handler, unsigned dpl);
/* Put vector 'v' back to its recording handler (interrupt gate, DPL 0, IST 0, present). */
void traps_reset_gate(unsigned v);
/* Gate fields for tests that steer or break delivery on purpose (SDM Vol. 3, Figure 6-8). */
void traps_set_gate_ist(unsigned v, unsigned ist);
void traps_set_gate_present(unsigned v, bool present);
void traps_set_gate_type(unsigned v, unsigned type);
/* TSS stack pointers (SDM Vol. 3, Figure 8-11); each returns the previous value. */
uint64_t traps_set_rsp0(uint64_t top);
uint64_t traps_set_ist(unsigned n, uint64_t top); /* n = 1..7 */

/* Each returns true if the access trapped (details in last_trap). */
bool probe_read(const volatile void *p);
bool probe_write(volatile void *p);
bool probe_call(const void *fn);
bool probe_stac(void);
bool probe_clac(void);
bool probe_mov_cr4(uint64_t value);
bool probe_mov_cr8(uint64_t value);

/*
 * A probe in assembly (a top-level __asm__ in .text): arm trap_fixup with the recovery label
 * 1, run 'body', and return whether an exception was recorded. The count is kept in r8 (RDMSR
 * writes EDX:EAX). 'after' runs at the recovery label, where the handler resumes after a trap.
 */
#define TRAPS_PROBE(name, body, after)                                           \
	".globl " name "\n" name ":\n"                                           \
	"  mov last_trap(%rip), %r8\n"                                           \
	"  lea 1f(%rip), %rax; mov %rax, trap_fixup(%rip)\n"                      \
	body "\n"                                                                \
	"1: " after "\n"                                                         \
	"  movq $0, trap_fixup(%rip)\n"                                           \
	"  xor %eax, %eax; cmp last_trap(%rip), %r8; setne %al; ret\n"

/*
 * Run 'fn' at CPL 3 on 'stack' (addresses as ring 3 sees them), with RDI = arg. The user code
 * returns to ring 0 by executing `int $0x80`; traps inside it resume at the address the test put
 * in user_fixup (as ring 3 sees it).
 */
void run_user(uint64_t fn, uint64_t stack, uint64_t arg);
extern uint64_t user_fixup;
extern uint64_t user_rflags; /* RFLAGS ring 3 starts with (default 0x2: IF = 0, AC = 0) */

/* A GDT at 'base' with 'limit' (LGDT's operand built in place). */
static inline void lgdt_at(uint64_t base, uint16_t limit)
{
	struct desc_ptr d = { limit, base };
	lgdt(&d);
}

#endif
