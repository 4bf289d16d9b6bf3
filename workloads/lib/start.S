/*
 * Entry from hvsim's ELF64 boot state (README "Booting"): 64-bit mode, CPL 0, identity map,
 * RSP at the top of usable RAM, RDI = RAM size, RSI = command line.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	andq $-16, %rsp
	call workload_entry
1:	cli
	hlt
	jmp 1b
