/*
 * Assembly helpers. STAC/CLAC are #UD on a CPU without SMAP (SDM Vol. 2, CLAC), so hv uses them
 * only when CPUID reports SMAP (hv_smap_insns, set at boot), as Linux patches them in.
 */
#ifndef HV_LIB_ASM_H
#define HV_LIB_ASM_H

	.macro ASM_CLAC
	testb $1, hv_smap_insns(%rip)
	jz .Lno_clac\@
	clac
.Lno_clac\@:
	.endm

	.macro ASM_STAC
	testb $1, hv_smap_insns(%rip)
	jz .Lno_stac\@
	stac
.Lno_stac\@:
	.endm

/* All general registers but RSP, pushed so that R15 ends lowest (struct trap_frame, pv_regs). */
	.macro PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

	.macro POP_GPRS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	.endm

#endif
