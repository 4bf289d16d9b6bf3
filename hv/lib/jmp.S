/* hv_setjmp(j) returns 0; hv_longjmp(j, v) returns v (non-zero) from it again, with AC clear. */
#include "lib/asm.h"

	.text
	.globl hv_setjmp, hv_longjmp
hv_setjmp:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax
	movq %rax, 48(%rdi)
	movq (%rsp), %rax
	movq %rax, 56(%rdi)
	xorl %eax, %eax
	ret

hv_longjmp:
	ASM_CLAC
	movq 0(%rdi), %rbx
	movq 8(%rdi), %rbp
	movq 16(%rdi), %r12
	movq 24(%rdi), %r13
	movq 32(%rdi), %r14
	movq 40(%rdi), %r15
	movq 48(%rdi), %rsp
	movl %esi, %eax
	testl %eax, %eax
	jnz 1f
	incl %eax
1:	jmpq *56(%rdi)
