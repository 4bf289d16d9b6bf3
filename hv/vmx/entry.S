/*
 * vm_enter(gprs, launched): save hv's callee-saved registers and the gprs pointer on the stack,
 * point HOST_RSP there, load the guest's registers and VMLAUNCH or VMRESUME. A VM exit lands on
 * vm_exit_host (HOST_RIP), which stores the guest's registers and returns 0. If the instruction
 * fails, it returns RFLAGS (CF: VMfailInvalid, ZF: VMfailValid; SDM Vol. 3, 31.2).
 */
#define HOST_RSP 0x6c14

	.text
	.globl vm_enter, vm_exit_host
vm_enter:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi
	movq $HOST_RSP, %rax
	vmwrite %rsp, %rax
	testq %rsi, %rsi
	movq 8(%rdi), %rcx
	movq 16(%rdi), %rdx
	movq 24(%rdi), %rbx
	movq 32(%rdi), %rbp
	movq 40(%rdi), %rsi
	movq 56(%rdi), %r8
	movq 64(%rdi), %r9
	movq 72(%rdi), %r10
	movq 80(%rdi), %r11
	movq 88(%rdi), %r12
	movq 96(%rdi), %r13
	movq 104(%rdi), %r14
	movq 112(%rdi), %r15
	movq 0(%rdi), %rax
	movq 48(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 2f
1:	vmresume
2:	pushfq
	popq %rax
	popq %rdi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

vm_exit_host:
	pushq %rdi
	movq 8(%rsp), %rdi
	movq %rax, 0(%rdi)
	movq %rcx, 8(%rdi)
	movq %rdx, 16(%rdi)
	movq %rbx, 24(%rdi)
	movq %rbp, 32(%rdi)
	movq %rsi, 40(%rdi)
	movq %r8, 56(%rdi)
	movq %r9, 64(%rdi)
	movq %r10, 72(%rdi)
	movq %r11, 80(%rdi)
	movq %r12, 88(%rdi)
	movq %r13, 96(%rdi)
	movq %r14, 104(%rdi)
	movq %r15, 112(%rdi)
	popq %rax
	movq %rax, 48(%rdi)
	popq %rdi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	xorl %eax, %eax
	ret
