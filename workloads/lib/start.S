/*
 * Entry from hvsim's ELF64 boot state (README "Booting"), or from hv's (hv/include/hv_abi.h):
 * 64-bit mode, RSP at the top of usable RAM, RDI = RAM size, RSI = command line, RDX = the guest
 * type under hv (anything else: no hypervisor). CPL 0, or CPL 3 in a PV guest.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	mov %rsp, %rcx		/* workload_entry(ram size, cmdline, guest type, boot RSP) */
	andq $-16, %rsp
	call workload_entry
1:	ud2			/* workload_entry does not return */
	jmp 1b
