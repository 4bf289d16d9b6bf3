#include "sim/platform.h"

#include "cpu/cpu.h"

struct port_range {
	uint16_t first, last;
	uint32_t (*in)(struct platform *p, uint16_t port, unsigned size);
	void (*out)(struct platform *p, uint16_t port, unsigned size, uint32_t value);
};

static uint32_t com1_in(struct platform *p, uint16_t port, unsigned size)
{
	(void)size;
	return uart_read(&p->com1, port - COM1_BASE);
}

static void com1_out(struct platform *p, uint16_t port, unsigned size, uint32_t value)
{
	(void)size;
	uart_write(&p->com1, port - COM1_BASE, (uint8_t)value);
}

/* isa-debug-exit: any write ends the run with that value. */
static void debug_exit_out(struct platform *p, uint16_t port, unsigned size, uint32_t value)
{
	(void)port;
	(void)size;
	p->exited = true;
	p->exit_value = value;
	cpu_request_stop(p->cpu);
}

static uint32_t fwcfg_in(struct platform *p, uint16_t port, unsigned size)
{
	return fwcfg_read(&p->fwcfg, port, size);
}

static void fwcfg_out(struct platform *p, uint16_t port, unsigned size, uint32_t value)
{
	fwcfg_write(&p->fwcfg, port, size, value);
}

static uint32_t pic_in(struct platform *p, uint16_t port, unsigned size)
{
	(void)size;
	return pic_read(&p->pic, port);
}

static void pic_out(struct platform *p, uint16_t port, unsigned size, uint32_t value)
{
	(void)size;
	pic_write(&p->pic, port, (uint8_t)value);
}

static const struct port_range ports[] = {
	{ PIC_MASTER_CMD, PIC_MASTER_DATA, pic_in, pic_out },
	{ PIC_SLAVE_CMD, PIC_SLAVE_DATA, pic_in, pic_out },
	{ DEBUG_EXIT_PORT, DEBUG_EXIT_PORT, NULL, debug_exit_out },
	{ COM1_BASE, COM1_BASE + 7, com1_in, com1_out },
	{ FWCFG_PORT_SELECTOR, FWCFG_PORT_DATA, fwcfg_in, fwcfg_out },
};

static const struct port_range *decode(uint16_t port)
{
	for (unsigned i = 0; i < sizeof ports / sizeof ports[0]; i++)
		if (port >= ports[i].first && port <= ports[i].last)
			return &ports[i];
	return NULL;
}

static uint32_t port_in(void *opaque, uint16_t port, unsigned size)
{
	const struct port_range *r = decode(port);
	if (!r || !r->in)
		return 0xffffffffu >> (32 - 8 * size); /* nothing decodes the port: the bus floats high */
	return r->in(opaque, port, size);
}

static void port_out(void *opaque, uint16_t port, unsigned size, uint32_t value)
{
	const struct port_range *r = decode(port);
	if (r && r->out)
		r->out(opaque, port, size, value);
}

/* The APIC page: 32-bit registers at 16-byte strides (SDM Vol. 3, Table 11-1). */
static uint64_t apic_mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *opaque)
{
	struct platform *p = opaque;
	(void)uc;
	(void)size;
	return lapic_read(&p->lapic, (uint32_t)offset, p->cpu->vtime);
}

static void apic_mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value,
			    void *opaque)
{
	struct platform *p = opaque;
	(void)uc;
	(void)size;
	lapic_write(&p->lapic, (uint32_t)offset, (uint32_t)value, p->cpu->vtime);
	cpu_kick(p->cpu); /* the timer deadline or the deliverable interrupt may have changed */
}

static uint64_t next_deadline(void *opaque)
{
	struct platform *p = opaque;
	return lapic_next_deadline(&p->lapic);
}

static void advance(void *opaque, uint64_t now)
{
	struct platform *p = opaque;
	lapic_advance(&p->lapic, now);
}

/* The APIC's fixed interrupts first; then the 8259's INTR (SDM Vol. 3, 11.8.3 priorities). */
static int pending_irq(void *opaque)
{
	struct platform *p = opaque;
	int v = lapic_pending_vector(&p->lapic);
	return v >= 0 ? v : pic_pending_vector(&p->pic);
}

static uint8_t get_tpr(void *opaque)
{
	struct platform *p = opaque;
	return (uint8_t)lapic_read(&p->lapic, LAPIC_TPR, p->cpu->vtime);
}

static void set_tpr(void *opaque, uint8_t tpr)
{
	struct platform *p = opaque;
	lapic_write(&p->lapic, LAPIC_TPR, tpr, p->cpu->vtime);
}

static void accept_irq(void *opaque, int vector)
{
	struct platform *p = opaque;
	if (vector == lapic_pending_vector(&p->lapic))
		lapic_accept(&p->lapic, vector);
	else
		pic_acknowledge(&p->pic);
}

bool platform_init(struct platform *p, struct cpu *cpu, FILE *serial, uint64_t ram_size)
{
	p->cpu = cpu;
	p->com1 = (struct uart){ .out = serial };
	fwcfg_init(&p->fwcfg, ram_size);
	pic_init(&p->pic);
	lapic_init(&p->lapic);
	cpu->io = (struct cpu_io){
		.opaque = p, .in = port_in, .out = port_out, .next_deadline = next_deadline,
		.advance = advance, .pending_irq = pending_irq, .accept_irq = accept_irq,
		.get_tpr = get_tpr, .set_tpr = set_tpr,
	};
	return uc_mmio_map(cpu->uc, LAPIC_DEFAULT_BASE, LAPIC_PAGE_SIZE, apic_mmio_read, p,
			   apic_mmio_write, p) == UC_ERR_OK;
}
