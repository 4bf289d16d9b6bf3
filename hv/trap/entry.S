/*
 * Exception entry: one stub per vector 0..31 pushes a zero where the CPU pushes no error code
 * (SDM Vol. 3, Table 6-1), then the vector, and joins the common path, which saves the general
 * registers as struct trap_frame (trap/trap.h) and calls trap_dispatch.
 */
#include "lib/asm.h"

	.text

	.macro stub v
	.align 16
trap_stub_\v:
	.if !((\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
	pushq $0
	.endif
	pushq $\v
	jmp trap_common
	.endm

	.globl trap_stubs
	.align 16
trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \v
	.endr

	.section .rodata
	.globl trap_stub_table
	.align 8
trap_stub_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_stub_\v
	.endr

	.text
trap_common:
	cld
	ASM_CLAC /* an interruption keeps AC (SDM Vol. 3, 6.12.1): hv must not run with it */
	PUSH_GPRS
	movq %rsp, %rdi
	call trap_dispatch
	POP_GPRS
	addq $16, %rsp
	iretq
