/*
 * hv's GDT, TSS and IDT. The GDT's order is the one SYSCALL/SYSRET need (SDM Vol. 2, SYSCALL and
 * SYSRET: STAR[47:32] = kernel CS with SS after it; STAR[63:48] + 8 = user SS, + 16 = user CS).
 * The TSS gives ring-3 interruptions hv's stack (RSP0) and #DF a stack of its own (IST1).
 */
#include "trap/trap.h"

#include "arch/x86.h"

#define IST_DF 1
#define GATE_INTR 0xe

static uint64_t gdt[8] __attribute__((aligned(16))) = {
	0,
	DESC_KCODE64, /* 0x08 */
	DESC_KDATA,   /* 0x10 */
	DESC_UCODE32, /* 0x18 (SYSRET's compatibility-mode target) */
	DESC_UDATA,   /* 0x20 */
	DESC_UCODE64, /* 0x28 */
	0, 0,                  /* 0x30 TSS, two slots */
};
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t df_stack[8192] __attribute__((aligned(16)));

extern const uint64_t trap_stub_table[32];

static void set_tss_descriptor(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;

	/* Available 64-bit TSS, present (SDM Vol. 3, Figure 8-4). */
	gdt[6] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 | ((limit >> 16) & 0xf) << 48 |
		 ((base >> 24) & 0xff) << 56;
	gdt[7] = base >> 32;
}

static void set_gate(unsigned v, uint64_t handler, unsigned ist)
{
	idt[v] = (struct idt_gate){
		.off_lo = (uint16_t)handler, .sel = SEL_KCODE, .ist = (uint8_t)ist,
		.type_attr = 0x80 | GATE_INTR, .off_mid = (uint16_t)(handler >> 16),
		.off_hi = (uint32_t)(handler >> 32),
	};
}

void tss_set_rsp0(uint64_t rsp)
{
	tss.rsp[0] = rsp;
}

void cpu_tables_init(void)
{
	struct desc_ptr g = { sizeof gdt - 1, (uint64_t)gdt }, i = { sizeof idt - 1, (uint64_t)idt };

	set_tss_descriptor();
	tss.ist[IST_DF - 1] = (uint64_t)df_stack + sizeof df_stack;
	tss.iomap_base = sizeof tss; /* no I/O permission bitmap: ring 3 has no ports */
	lgdt(&g);
	__asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:\n"
			 "mov %1, %%ds; mov %1, %%es; mov %1, %%ss; mov %1, %%fs; mov %1, %%gs"
			 : : "i"(SEL_KCODE), "r"(SEL_KDATA) : "rax", "memory");
	ltr(SEL_TSS);
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, trap_stub_table[v], v == 8 ? IST_DF : 0);
	lidt(&i);
}
