/*
 * The PC platform as a bare-metal kernel sees it: fw_cfg, the 8259 PIC masked, the local APIC
 * timer (one-shot and periodic) counting in virtual time, waking HLT with an interrupt, and CR8
 * as the APIC's task priority holding that interrupt back.
 * SDM Vol. 3, 11.5.4 "APIC Timer", 11.8.3.1 and 11.8.6; QEMU docs/specs/fw_cfg.
 */
#include "traps.h"
#include "workload.h"

#define APIC 0xfee00000ull
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_IRR 0x200
#define APIC_SVR 0xf0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0
#define TIMER_VECTOR 0x40
#define LVT_PERIODIC (1u << 17)

volatile uint64_t ticks;
extern char timer_stub[];
__asm__(".text\n"
	"timer_stub:\n"
	"  push %rax\n"
	"  incq ticks(%rip)\n"
	"  mov $0xfee000b0, %eax\n"
	"  movl $0, (%rax)\n" /* EOI */
	"  pop %rax\n"
	"  iretq\n");

static void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC + reg) = v;
}

static uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC + reg);
}

static unsigned failures;

static void write_cr8(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr8" : : "r"(v));
}

static uint64_t read_cr8(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void expect(const char *what, bool ok)
{
	printk("%s %s\n", ok ? "PASS" : "FAIL", what);
	failures += !ok;
}

static uint64_t fwcfg_read(uint16_t key, unsigned len)
{
	uint64_t v = 0;
	__asm__ volatile("outw %0, %1" : : "a"(key), "Nd"((uint16_t)0x510));
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)inb(0x511) << (8 * i);
	return v;
}

/*
 * CR8 is the APIC's task priority: CR8[3:0] = TPR[7:4], and a MOV to CR8 clears TPR[3:0]
 * (11.8.6.1); bits 63:4 are reserved (Vol. 2B, MOV to CR8: #GP(0)). An interrupt is delivered
 * only if its priority class, vector[7:4], is above the processor priority's (11.8.3.1).
 */
static void cr8_checks(void)
{
	apic_write(APIC_TPR, 0x2a);
	write_cr8(3);
	expect("MOV to CR8 sets TPR[7:4] and clears TPR[3:0]", apic_read(APIC_TPR) == 0x30);
	apic_write(APIC_TPR, 0x5c);
	expect("MOV from CR8 reads TPR[7:4]", read_cr8() == 5);
	expect("MOV to CR8 with bit 4 set is #GP(0)",
	       probe_mov_cr8(0x10) && last_trap.vector == 13 && last_trap.error == 0);
	expect("the refused MOV left CR8 alone", read_cr8() == 5);

	apic_write(APIC_TPR, 0);
	write_cr8(TIMER_VECTOR >> 4);
	ticks = 0;
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
	apic_write(APIC_TIMER_INIT, 1000);
	__asm__ volatile("sti");
	for (volatile unsigned i = 0; i < 5000; i++)
		;
	__asm__ volatile("cli");
	expect("CR8 at the timer's class holds its interrupt back", ticks == 0);
	expect("the held interrupt waits in IRR",
	       apic_read(APIC_IRR + TIMER_VECTOR / 32 * 0x10) >> (TIMER_VECTOR % 32) & 1);
	/* The STI shadow covers the MOV; the boundary after it takes the interrupt. */
	__asm__ volatile("sti; mov %0, %%cr8; cli" : : "r"(0ull));
	expect("lowering CR8 delivers it at the next instruction boundary", ticks == 1);
}

static void timer_main(void)
{
	traps_init();
	traps_set_gate(TIMER_VECTOR, timer_stub, 0);

	expect("fw_cfg signature is QEMU", fwcfg_read(0x0000, 4) == 0x554d4551); /* "QEMU" */
	expect("fw_cfg RAM size matches the boot RAM size", fwcfg_read(0x0003, 8) == workload_ram_size);
	expect("fw_cfg reports one CPU", fwcfg_read(0x0005, 2) == 1);

	/* Mask every 8259 input: ICW1..ICW4, then OCW1 = 0xff. */
	outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01); outb(0x21, 0xff);
	outb(0xa0, 0x11); outb(0xa1, 0x28); outb(0xa1, 0x02); outb(0xa1, 0x01); outb(0xa1, 0xff);
	expect("PIC IMR reads back masked", inb(0x21) == 0xff && inb(0xa1) == 0xff);

	apic_write(APIC_SVR, 0x1ff);      /* software enable, spurious vector 0xff */
	apic_write(APIC_TIMER_DIV, 0xb);  /* divide by 1 */
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR);
	uint64_t t0 = rdtsc();
	apic_write(APIC_TIMER_INIT, 100000);
	__asm__ volatile("sti; hlt; cli");
	uint64_t t1 = rdtsc();
	expect("one-shot timer woke HLT exactly once", ticks == 1);
	/* TSC and the APIC timer both count retired instructions: the interrupt came no earlier. */
	expect("the wake-up came after the programmed count", t1 - t0 >= 100000);
	expect("a one-shot timer stops at zero", apic_read(APIC_TIMER_CUR) == 0);

	ticks = 0;
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR | LVT_PERIODIC);
	apic_write(APIC_TIMER_INIT, 20000);
	while (ticks < 3)
		__asm__ volatile("sti; hlt; cli");
	apic_write(APIC_TIMER_INIT, 0);
	expect("periodic timer fired three times", ticks == 3);
	cr8_checks();
	if (failures)
		workload_report(RESULT_FAILURE, "%u checks failed", failures);
}

WORKLOAD("platform: fw_cfg, PIC masking, APIC timer on virtual time", timer_main);
