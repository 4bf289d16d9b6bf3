/* Descriptor tables, exception entry, exception-table fixups and fault reports. */
#ifndef HV_TRAP_H
#define HV_TRAP_H

#include "hv.h"
#include "trap/selectors.h"

/* What the entry stubs push (trap/entry.S), lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (SDM Vol. 3, 6.14.2) */
};

/*
 * An instruction that may fault on a guest address, and where to continue if it does
 * (Linux's exception table). Copy helpers declare theirs with EXTABLE in assembly.
 */
struct extable_entry {
	uint64_t insn, fixup;
};

void cpu_tables_init(void);
void tss_set_rsp0(uint64_t rsp);
void trap_dispatch(struct trap_frame *f);
/* Print "sym+0xoff" for a code address, from the symbol table rules.mk links into hv. */
void print_symbol(uint64_t addr);
const char *symbol_name(uint64_t addr, uint64_t *offset);

#endif
