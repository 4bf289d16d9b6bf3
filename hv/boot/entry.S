/*
 * hv's first instructions: the Multiboot header, the 32-bit entry a boot loader jumps to, and the
 * switch to long mode (SDM Vol. 3, 10.8.5: CR4.PAE, CR3, EFER.LME, then CR0.PG). The boot page
 * tables map the first 4 GiB three times with 2 MiB pages: at 0 (to survive the switch), at
 * KERNEL_VBASE (where hv is linked) and at the direct map; mm/paging.c replaces them.
 */
#include "boot/layout.h"

#define MB1_HEADER_MAGIC 0x1badb002
#define MB1_FLAG_PAGE_ALIGN (1 << 0)
#define MB1_FLAG_MEMINFO (1 << 1)
#define MB1_FLAG_ADDRESS (1 << 16)
#define MB1_FLAGS (MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMINFO | MB1_FLAG_ADDRESS)

/* Multiboot2 2.0, 3.1.1-3.1.6: header, then tags (each 8-byte aligned), ending with type 0. */
#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_TAG_END 0
#define MB2_TAG_ADDRESS 2
#define MB2_TAG_ENTRY 3

#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define CR4_PAE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define PTE_P_RW 0x3
#define PTE_P_RW_PS 0x83

#define PHYS(sym) ((sym) - KERNEL_VBASE)

	.section .multiboot, "a"
	/* Multiboot 0.6.96, 3.1.1-3.1.3: magic, flags, checksum, then the address fields. */
	.align 4
mb_header:
	.long MB1_HEADER_MAGIC, MB1_FLAGS, -(MB1_HEADER_MAGIC + MB1_FLAGS)
	.long mb_header, __load_start, __load_end, __bss_end, hv_entry32

	/*
	 * The same load for a Multiboot2 loader (GRUB's multiboot2): the address tag (3.1.5) says
	 * what the v1 address fields say, the entry address tag (3.1.6) where to jump. A loader
	 * that knows both headers may pick either; hv_entry32 takes both magics (boot/multiboot.c).
	 */
	.align 8
mb2_header:
	.long MB2_HEADER_MAGIC, MB2_ARCH_I386, mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.short MB2_TAG_ADDRESS, 0
	.long 24, mb2_header, __load_start, __load_end, __bss_end
	.short MB2_TAG_ENTRY, 0
	.long 12, hv_entry32
	.align 8
	.short MB2_TAG_END, 0
	.long 8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl hv_entry32
hv_entry32:
	cli
	cld
	movl %eax, boot_magic
	movl %ebx, boot_info
	movl $PHYS(boot_stack_top), %esp

	/* PDs: 2048 2 MiB pages over [0, 4 GiB), supervisor, writable. */
	movl $PTE_P_RW_PS, %eax
	xorl %edx, %edx
	xorl %ecx, %ecx
1:	movl %eax, PHYS(boot_pd)(, %ecx, 8)
	movl %edx, PHYS(boot_pd) + 4(, %ecx, 8)
	addl $0x200000, %eax
	adcl $0, %edx
	incl %ecx
	cmpl $2048, %ecx
	jne 1b
	/* PDPT (low): four PDs. PDPT (high): entry 510 is KERNEL_VBASE, the first 1 GiB. */
	movl $PHYS(boot_pd) + PTE_P_RW, %eax
	xorl %ecx, %ecx
2:	movl %eax, PHYS(boot_pdpt_low)(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 2b
	movl $PHYS(boot_pd) + PTE_P_RW, PHYS(boot_pdpt_high) + 8 * 510
	movl $PHYS(boot_pdpt_low) + PTE_P_RW, PHYS(boot_pml4)
	movl $PHYS(boot_pdpt_low) + PTE_P_RW, PHYS(boot_pml4) + 8 * DIRECTMAP_SLOT
	movl $PHYS(boot_pdpt_high) + PTE_P_RW, PHYS(boot_pml4) + 8 * 511

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x08, $boot64

	.code64
boot64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movabsq $hv_stack_top, %rsp
	movabsq $hv_start, %rax
	movl boot_magic, %edi
	movl boot_info, %esi
	call *%rax
3:	cli
	hlt
	jmp 3b

	.section .boot.data, "aw"
	.align 16
boot_gdt:
	.quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff
boot_gdt_end:
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.long boot_gdt
boot_magic:	.long 0
boot_info:	.long 0

	.section .bss
	.align 4096
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4 * 4096
boot_stack:	.skip 1024
boot_stack_top:
	.globl hv_stack_top
	.align 16
hv_stack:	.skip HV_STACK_SIZE
hv_stack_top:
