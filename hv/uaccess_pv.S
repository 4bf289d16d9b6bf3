/*
 * pv_copy_raw(dst, src, len): the guarded copy. SMAP is lifted (STAC, where the CPU has SMAP)
 * for one REP MOVSB only; if it faults on a guest address, trap/dispatch.c continues at the
 * fixup with RCX = bytes left (SDM Vol. 2, MOVS/REP: a fault leaves RCX counting the remaining
 * iterations). AC is cleared on both paths.
 */
#include "lib/asm.h"

	.text
	.globl pv_copy_raw
pv_copy_raw:
	movq %rdx, %rcx
	ASM_STAC
1:	rep movsb
2:	ASM_CLAC
	movq %rcx, %rax
	ret

	.section .extable, "a"
	.align 8
	.quad 1b, 2b
