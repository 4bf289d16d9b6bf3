/*
 * Multiboot test kernel entry: the header (v1 or v2, selected by MB_VERSION; with load addresses
 * when MB_ADDRESS_FIELDS is defined), then the 32-bit entry a boot loader jumps to. It records
 * the entry state, builds an identity map of the first 4 GiB, enters long mode the way the SDM
 * prescribes (Vol. 3, 10.8.5: CR4.PAE, CR3, EFER.LME, then CR0.PG) and calls mb_main (main.c).
 * main.c maps RAM above 4 GiB itself, in the PDPT's free entries.
 */
#define MB1_HEADER_MAGIC 0x1badb002
#define MB1_FLAG_MEMINFO (1 << 1)
#define MB1_FLAG_ADDRESS (1 << 16)
#define MB2_HEADER_MAGIC 0xe85250d6

#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CR4_PAE (1 << 5)
#define CR0_PG (1 << 31)
#define PTE_P_RW_PS 0x83

	.section .multiboot, "a"
#if MB_VERSION == 1
#ifdef MB_ADDRESS_FIELDS
#define MB1_FLAGS (MB1_FLAG_MEMINFO | MB1_FLAG_ADDRESS)
#else
#define MB1_FLAGS MB1_FLAG_MEMINFO
#endif
	/* Multiboot 0.6.96, 3.1.1 */
	.align 4
mb_header:
	.long MB1_HEADER_MAGIC, MB1_FLAGS, -(MB1_HEADER_MAGIC + MB1_FLAGS)
#ifdef MB_ADDRESS_FIELDS
	.long mb_header, __load_start, __load_end, __bss_end, mb_entry32
#endif
#else
	/* Multiboot2 3.1.2 */
	.align 8
mb_header:
	.long MB2_HEADER_MAGIC, 0, mb_header_end - mb_header
	.long -(MB2_HEADER_MAGIC + (mb_header_end - mb_header))
	/* 3.1.4: information request (required): command line, basic meminfo, memory map */
	.align 8
1:	.short 1, 0
	.long 2f - 1b
	.long 1, 4, 6
2:
#ifdef MB_ADDRESS_FIELDS
	/* 3.1.5 and 3.1.6: address and entry address tags */
	.align 8
	.short 2, 0
	.long 24
	.long mb_header, __load_start, __load_end, __bss_end
	.align 8
	.short 3, 0
	.long 12
	.long mb_entry32
#endif
	/* 3.1.11: module alignment (page-aligned modules); optional */
	.align 8
	.short 6, 1
	.long 8
	/* end tag */
	.align 8
	.short 0, 0
	.long 8
mb_header_end:
#endif

	.section .text.entry, "ax"
	.code32
	.globl mb_entry32
mb_entry32:
	movl %eax, boot_magic
	movl %ebx, boot_info
	movl $stack_top, %esp
	pushfl
	popl boot_eflags
	movl %cr0, %eax
	movl %eax, boot_cr0
	movl %cr4, %eax
	movl %eax, boot_cr4
	movl $MSR_EFER, %ecx
	rdmsr
	movl %eax, boot_efer
	movw %cs, boot_cs
	movw %ds, boot_ds
	movw %ss, boot_ss

	/* PML4[0] -> PDPT; PDPT[0..3] -> PD[0..3]; PD entries map 2 MiB pages over 4 GiB. */
	movl $pdpt + 3, pml4
	movl $pd + 3, %eax
	xorl %ecx, %ecx
1:	movl %eax, pdpt(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 1b
	movl $PTE_P_RW_PS, %eax
	xorl %ecx, %ecx
2:	movl %eax, pd(, %ecx, 8)
	addl $0x200000, %eax
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0
	lgdt gdt_ptr
	ljmp $0x08, $entry64

	.code64
entry64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq $stack_top, %rsp
	call mb_main
3:	cli
	hlt
	jmp 3b

	.section .data
	.align 16
gdt:	.quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff
gdt_end:
gdt_ptr:
	.short gdt_end - gdt - 1
	.long gdt

	.section .bss
	.align 4096
	.globl pdpt
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
stack:	.skip 16384
stack_top:
	.globl boot_magic, boot_info, boot_eflags, boot_cr0, boot_cr4, boot_efer
	.globl boot_cs, boot_ds, boot_ss
boot_magic:	.skip 4
boot_info:	.skip 4
boot_eflags:	.skip 4
boot_cr0:	.skip 4
boot_cr4:	.skip 4
boot_efer:	.skip 4
boot_cs:	.skip 2
boot_ds:	.skip 2
boot_ss:	.skip 2
