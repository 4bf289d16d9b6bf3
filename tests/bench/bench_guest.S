/*
 * The guest loops `make bench` runs. They are assembled into the host program as data, and the
 * same bytes are copied into hvsim's RAM and into a bare Unicorn's RAM. The code is
 * position-independent, uses no stack and no memory other than what its registers point at, and
 * runs with paging (hvsim: its identity map) or without (bare Unicorn). Each loop ends at a HLT:
 * bare Unicorn's run stops there (the end address of uc_emu_start), hvsim's executes it (HLT with
 * IF=0 ends the run), so hvsim retires one instruction more.
 *
 * Instruction counts per loop are stated beside the code; tests/bench/bench_cpu.c repeats them
 * as constants and checks hvsim's virtual time against them.
 */
	.section .rodata.bench_guest, "a"
	.code64
	.globl bench_guest_start, bench_guest_end
	.globl bench_compute, bench_compute_halt, bench_memory, bench_memory_halt

bench_guest_start:

/*
 * Compute-bound: an integer mixing loop. In: %rcx = iterations (>= 1). Out: %rax, %rbx.
 * 2 setup instructions, then 8 per iteration (one translated block each).
 */
bench_compute:
	xor	%eax, %eax
	mov	$1, %ebx
1:	imul	$0x5bd1e995, %rax, %rax
	add	%rbx, %rax
	mov	%rax, %rdx
	shr	$17, %rdx
	xor	%rdx, %rax
	add	%rcx, %rbx
	dec	%rcx
	jnz	1b
bench_compute_halt:
	hlt

/*
 * Memory-heavy: read-modify-write one 8-byte word in each 4 KiB page of a working set, pass
 * after pass. Consecutive pages fall into consecutive TLB slots, so once the working set is
 * larger than the TLB every access misses it.
 * In: %rsi = base (page-aligned), %rdx = pages (>= 1), %r8 = passes (>= 1).
 * Per pass: 2 + 4 * pages + 2 instructions.
 */
bench_memory:
2:	mov	%rsi, %rdi
	mov	%rdx, %rcx
1:	add	%rcx, (%rdi)
	add	$4096, %rdi
	dec	%rcx
	jnz	1b
	dec	%r8
	jnz	2b
bench_memory_halt:
	hlt

bench_guest_end:
	.section .note.GNU-stack, "", @progbits
