#include "sim/pic.h"

#include <assert.h>
#include <string.h>

/*
 * Command words, from the Intel 8259A data sheet (231468), "Programming the 8259A".
 * A write to the command port (A0 = 0) with D4 = 1 is ICW1; with D4 = 0 it is OCW2 (D3 = 0) or
 * OCW3 (D3 = 1). After ICW1 the data port (A0 = 1) takes ICW2, then ICW3 if not single, then ICW4
 * if ICW1.IC4; afterwards data-port writes are OCW1 (the mask).
 */
#define ICW1_IC4 0x01  /* ICW4 follows */
#define ICW1_SNGL 0x02 /* single 8259A: no ICW3 */
#define ICW1_LTIM 0x08 /* level-triggered inputs (not modelled) */
#define ICW1_SELECT 0x10
#define ICW2_VECTOR_MASK 0xf8 /* 8086 mode: T7-T3; the low 3 bits are the IR number */
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10
#define OCW3_SELECT 0x08
#define OCW3_RIS 0x01
#define OCW3_RR 0x02
#define OCW3_POLL 0x04
#define OCW3_SMM 0x20
#define OCW3_ESMM 0x40
#define POLL_INTERRUPT 0x80 /* poll word bit 7 (I); bits 2:0 are W2-W0 */

/* OCW2 R, SL, EOI (bits 7:5) */
enum ocw2_cmd {
	OCW2_ROTATE_AEOI_CLEAR = 0, OCW2_NONSPECIFIC_EOI = 1, OCW2_NOP = 2, OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4, OCW2_ROTATE_NONSPECIFIC_EOI = 5, OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

enum { ICW_DONE = 0, ICW_2 = 2, ICW_3 = 3, ICW_4 = 4 };

static void chip_power_on(struct pic_chip *c)
{
	memset(c, 0, sizeof *c);
	c->imr = 0xff;
	c->lowest = 7;
}

void pic_init(struct pic *p)
{
	chip_power_on(&p->master);
	chip_power_on(&p->slave);
}

/* ---- priority resolution ---- */

static bool is_master(const struct pic *p, const struct pic_chip *c)
{
	return c == &p->master;
}

/* The master sends INTA cycles for IR2 to the slave only if ICW3 says a slave sits there. */
static bool cascaded(const struct pic_chip *master)
{
	return !(master->icw1 & ICW1_SNGL) && (master->icw3 & (1u << PIC_CASCADE_IRQ));
}

/*
 * The IR that the priority resolver would signal, or -1. Priority runs from lowest + 1 (highest)
 * round to lowest. An in-service level blocks itself and every lower level (fully nested mode);
 * in special mask mode it blocks only itself; in special fully nested mode the master still takes
 * a request on the in-service cascade input, since the slave has resolved its priority already.
 */
static int chip_resolve(const struct pic_chip *c, uint8_t extra_requests, bool sfnm_cascade)
{
	uint8_t requests = (c->irr | extra_requests) & ~c->imr;

	for (unsigned p = 0; p < 8; p++) {
		unsigned irq = (c->lowest + 1 + p) & 7;
		uint8_t bit = (uint8_t)(1u << irq);
		bool same_level_ok = sfnm_cascade && irq == PIC_CASCADE_IRQ;

		if ((requests & bit) && (!(c->isr & bit) || same_level_ok))
			return (int)irq;
		if ((c->isr & bit) && !c->special_mask)
			return -1;
	}
	return -1;
}

static int slave_resolve(const struct pic *p)
{
	return chip_resolve(&p->slave, 0, false);
}

/*
 * The slave's INT output drives master IR2. hvsim treats it as a level that the master sees
 * directly: the slave holds INT up until it is acknowledged, so a latched edge would be the same.
 */
static uint8_t slave_int(const struct pic *p)
{
	return slave_resolve(p) >= 0 ? (uint8_t)(1u << PIC_CASCADE_IRQ) : 0;
}

static int master_resolve(const struct pic *p)
{
	const struct pic_chip *m = &p->master;
	return chip_resolve(m, slave_int(p), (m->icw4 & ICW4_SFNM) && cascaded(m));
}

/* The INTA cycle on one chip: IRR -> ISR (edge inputs forget the request once it is taken). */
static void chip_ack(struct pic_chip *c, unsigned irq)
{
	uint8_t bit = (uint8_t)(1u << irq);
	c->irr &= (uint8_t)~bit;
	if (c->icw4 & ICW4_AEOI) {
		if (c->rotate_aeoi)
			c->lowest = (uint8_t)irq;
	} else {
		c->isr |= bit;
	}
}

int pic_pending_vector(const struct pic *p)
{
	int irq = master_resolve(p);
	if (irq < 0)
		return -1;
	if (irq == PIC_CASCADE_IRQ && cascaded(&p->master)) {
		int sirq = slave_resolve(p);
		return p->slave.vector_base + (sirq < 0 ? 7 : sirq);
	}
	return p->master.vector_base + irq;
}

int pic_acknowledge(struct pic *p)
{
	int irq = master_resolve(p);
	if (irq < 0)
		return p->master.vector_base + 7; /* spurious: no ISR bit is set */
	chip_ack(&p->master, (unsigned)irq);
	if (irq == PIC_CASCADE_IRQ && cascaded(&p->master)) {
		int sirq = slave_resolve(p);
		if (sirq < 0)
			return p->slave.vector_base + 7;
		chip_ack(&p->slave, (unsigned)sirq);
		return p->slave.vector_base + sirq;
	}
	return p->master.vector_base + irq;
}

/* ---- input lines ---- */

static void set_line(struct pic *p, unsigned irq, bool level)
{
	assert(irq < PIC_IRQS);
	struct pic_chip *c = irq < 8 ? &p->master : &p->slave;
	uint8_t bit = (uint8_t)(1u << (irq & 7));

	if (level && !(c->lines & bit))
		c->irr |= bit;
	c->lines = level ? (c->lines | bit) : (c->lines & (uint8_t)~bit);
}

void pic_raise(struct pic *p, unsigned irq)
{
	set_line(p, irq, true);
}

void pic_lower(struct pic *p, unsigned irq)
{
	set_line(p, irq, false);
}

/* ---- command words ---- */

/*
 * ICW1 (data sheet, "Initialization Command Words"): the edge sense circuit is reset, IMR is
 * cleared, IR7 gets the lowest priority, special mask mode is cleared and status read is set to
 * IRR; without IC4 every ICW4 function is zero. The data sheet does not say what happens to ISR
 * and IRR; hvsim clears both, so a kernel that re-initialises starts with nothing in service.
 */
static void write_icw1(struct pic_chip *c, uint8_t value)
{
	c->icw1 = value;
	c->imr = c->isr = c->irr = 0;
	c->lowest = 7;
	c->special_mask = c->read_isr = c->poll = c->rotate_aeoi = false;
	c->icw3 = 0;
	if (!(value & ICW1_IC4))
		c->icw4 = 0;
	c->init_step = ICW_2;
}

static unsigned highest_in_service(const struct pic_chip *c)
{
	for (unsigned p = 0; p < 8; p++) {
		unsigned irq = (c->lowest + 1 + p) & 7;
		if (c->isr & (1u << irq))
			return irq;
	}
	return 8;
}

static void write_ocw2(struct pic_chip *c, uint8_t value)
{
	unsigned level = value & 7, irq;

	switch ((enum ocw2_cmd)(value >> 5)) {
	case OCW2_NONSPECIFIC_EOI:
	case OCW2_ROTATE_NONSPECIFIC_EOI:
		irq = highest_in_service(c);
		if (irq == 8)
			break;
		c->isr &= (uint8_t)~(1u << irq);
		if (value >> 5 == OCW2_ROTATE_NONSPECIFIC_EOI)
			c->lowest = (uint8_t)irq;
		break;
	case OCW2_SPECIFIC_EOI:
		c->isr &= (uint8_t)~(1u << level);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= (uint8_t)~(1u << level);
		c->lowest = (uint8_t)level;
		break;
	case OCW2_SET_PRIORITY:
		c->lowest = (uint8_t)level;
		break;
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_aeoi = true;
		break;
	case OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_aeoi = false;
		break;
	case OCW2_NOP:
		break;
	}
}

static void write_ocw3(struct pic_chip *c, uint8_t value)
{
	if (value & OCW3_ESMM)
		c->special_mask = value & OCW3_SMM;
	if (value & OCW3_RR)
		c->read_isr = value & OCW3_RIS;
	c->poll = value & OCW3_POLL;
}

static void write_command(struct pic_chip *c, uint8_t value)
{
	if (value & ICW1_SELECT)
		write_icw1(c, value);
	else if (value & OCW3_SELECT)
		write_ocw3(c, value);
	else
		write_ocw2(c, value);
}

static void write_data(struct pic_chip *c, uint8_t value)
{
	switch (c->init_step) {
	case ICW_2:
		c->vector_base = value & ICW2_VECTOR_MASK;
		c->init_step = !(c->icw1 & ICW1_SNGL) ? ICW_3 : (c->icw1 & ICW1_IC4) ? ICW_4 : ICW_DONE;
		break;
	case ICW_3:
		c->icw3 = value;
		c->init_step = (c->icw1 & ICW1_IC4) ? ICW_4 : ICW_DONE;
		break;
	case ICW_4:
		c->icw4 = value;
		c->init_step = ICW_DONE;
		break;
	default:
		c->imr = value; /* OCW1 */
		break;
	}
}

/*
 * Poll (OCW3 P): the read is an interrupt acknowledge local to this chip; it returns
 * I (bit 7) and the highest requesting level (bits 2:0), or 0 with nothing requesting.
 */
static uint8_t read_poll(struct pic *p, struct pic_chip *c)
{
	int irq = is_master(p, c) ? master_resolve(p) : slave_resolve(p);
	c->poll = false;
	if (irq < 0)
		return 0;
	chip_ack(c, (unsigned)irq);
	return (uint8_t)(POLL_INTERRUPT | irq);
}

static struct pic_chip *chip_for(struct pic *p, uint16_t port)
{
	assert(port == PIC_MASTER_CMD || port == PIC_MASTER_DATA || port == PIC_SLAVE_CMD ||
	       port == PIC_SLAVE_DATA);
	return port < PIC_SLAVE_CMD ? &p->master : &p->slave;
}

static bool is_command_port(uint16_t port)
{
	return !(port & 1);
}

uint8_t pic_read(struct pic *p, uint16_t port)
{
	struct pic_chip *c = chip_for(p, port);
	if (!is_command_port(port))
		return c->imr;
	if (c->poll)
		return read_poll(p, c);
	if (c->read_isr)
		return c->isr;
	return is_master(p, c) ? c->irr | slave_int(p) : c->irr;
}

void pic_write(struct pic *p, uint16_t port, uint8_t value)
{
	struct pic_chip *c = chip_for(p, port);
	if (is_command_port(port))
		write_command(c, value);
	else
		write_data(c, value);
}
