/*
 * The PC platform as a bare-metal kernel sees it: fw_cfg, the 8259 PIC masked, and the local APIC
 * timer (one-shot and periodic) counting in virtual time, waking HLT with an interrupt.
 * SDM Vol. 3, 11.5.4 "APIC Timer"; QEMU docs/specs/fw_cfg.
 */
#include "traps.h"
#include "workload.h"

#define APIC 0xfee00000ull
#define APIC_EOI 0xb0
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
	if (failures)
		workload_report(RESULT_FAILURE, "%u checks failed", failures);
}

WORKLOAD("platform: fw_cfg, PIC masking, APIC timer on virtual time", timer_main);
