/* setjmp/longjmp for hv (lib/jmp.S): callee-saved registers, RSP and the return address. */
#ifndef HV_LIB_JMP_H
#define HV_LIB_JMP_H

#include <stdint.h>

struct jmp {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

int hv_setjmp(struct jmp *j) __attribute__((returns_twice));
__attribute__((noreturn)) void hv_longjmp(struct jmp *j, int value);

#endif
