/*
 * Ring transitions for PV guests.
 * pv_enter(): first entry to ring 3 by IRETQ at pv_enter_rip with RSP, RDI, RSI and RDX from
 *   *pv_enter_regs. hv's stack at that point becomes the stack for SYSCALL and for
 *   interruptions from ring 3 (TSS.RSP0); hv comes back to its caller only by hv_longjmp.
 * pv_syscall_entry: SYSCALL lands here with RSP still the guest's (SDM Vol. 2, SYSCALL): switch
 *   to hv's stack, save the registers (struct pv_regs), call pv_syscall, return by SYSRETQ.
 *   IA32_FMASK has already cleared IF, TF, DF and AC.
 */
#include "lib/asm.h"
#include "trap/selectors.h"

	.text
	.globl pv_enter, pv_syscall_entry
pv_enter:
	movq %rsp, pv_kstack(%rip)
	movq %rsp, %rdi
	call tss_set_rsp0
	movq pv_enter_regs(%rip), %rax
	pushq $SEL_UDATA
	pushq 120(%rax)          /* rsp */
	pushq $0x2               /* RFLAGS: IF = 0, AC = 0 */
	pushq $SEL_UCODE
	pushq pv_enter_rip(%rip)
	movq 72(%rax), %rdi
	movq 80(%rax), %rsi
	movq 88(%rax), %rdx
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %ebp, %ebp
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	movw $SEL_UDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	xorl %eax, %eax
	iretq

pv_syscall_entry:
	movq %rsp, pv_user_rsp(%rip)
	movq pv_kstack(%rip), %rsp
	pushq pv_user_rsp(%rip)
	PUSH_GPRS
	movq %rsp, %rdi
	call pv_syscall
	POP_GPRS
	popq %rsp
	sysretq

	.data
	.globl pv_enter_regs, pv_enter_rip
pv_kstack:	.quad 0
pv_user_rsp:	.quad 0
pv_enter_regs:	.quad 0
pv_enter_rip:	.quad 0
