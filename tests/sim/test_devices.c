/*
 * Platform devices against their specifications: fw_cfg (QEMU docs/specs/fw_cfg.rst and QEMU's
 * legacy port rules), the 8259A pair (Intel 8259A data sheet) and the local xAPIC (SDM Vol. 3A
 * chapter 11). Expected values are written out from those rules, never computed by the devices.
 */
#include <stdint.h>

#include "sim/fwcfg.h"
#include "sim/lapic.h"
#include "sim/pic.h"
#include "tests/lib/harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ======================================= fw_cfg ======================================= */

static void fwcfg_select_key(struct fwcfg *f, uint16_t key)
{
	fwcfg_write(f, FWCFG_PORT_SELECTOR, 2, key);
}

static uint8_t fwcfg_byte(struct fwcfg *f)
{
	return (uint8_t)fwcfg_read(f, FWCFG_PORT_DATA, 1);
}

/* Each item byte by byte, then 4 more bytes past its end, which read 0 (fw_cfg.rst, Data Register). */
START_TEST(fwcfg_items_byte_by_byte)
{
	static const struct {
		uint16_t key;
		const char *rule;
		unsigned len;
		uint8_t bytes[8];
	} cases[] = {
		{ 0x0000, "signature: the characters QEMU", 4, { 'Q', 'E', 'M', 'U' } },
		{ 0x4000, "selector bit 14 (write channel) names the same item", 4, { 'Q', 'E', 'M', 'U' } },
		{ 0x0001, "FW_CFG_ID: u32 LE, bit 0 traditional, no bit 1 DMA", 4, { 1, 0, 0, 0 } },
		{ 0x0003, "RAM size 0x1234567000: u64 LE", 8, { 0x00, 0x70, 0x56, 0x34, 0x12, 0, 0, 0 } },
		{ 0x0005, "NB_CPUS: u16 LE 1", 2, { 1, 0 } },
		{ 0x000f, "MAX_CPUS: u16 LE 1", 2, { 1, 0 } },
		{ 0x0019, "file directory: BE count 0, no entries", 4, { 0, 0, 0, 0 } },
		{ 0x0002, "unknown key reads 0", 0, { 0 } },
		{ 0x0020, "no file items", 0, { 0 } },
		{ 0x8003, "no architecture-specific items", 0, { 0 } },
	};
	struct fwcfg f;
	fwcfg_init(&f, 0x1234567000ull);
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		fwcfg_select_key(&f, cases[i].key);
		for (unsigned b = 0; b < cases[i].len + 4; b++) {
			uint8_t want = b < cases[i].len ? cases[i].bytes[b] : 0;
			uint8_t got = fwcfg_byte(&f);
			ck_assert_msg(got == want, "key %#x (%s) byte %u: %#x, want %#x", cases[i].key,
				      cases[i].rule, b, got, want);
		}
	}
}
END_TEST

/* "Setting the selector register will cause the data offset to be set to zero." */
START_TEST(fwcfg_select_resets_offset)
{
	struct fwcfg f;
	fwcfg_init(&f, 64 << 20);
	fwcfg_select_key(&f, FW_CFG_SIGNATURE);
	ck_assert_uint_eq(fwcfg_byte(&f), 'Q');
	ck_assert_uint_eq(fwcfg_byte(&f), 'E');
	fwcfg_select_key(&f, FW_CFG_SIGNATURE);
	ck_assert_uint_eq(fwcfg_byte(&f), 'Q');
	/* 64 MiB = 0x04000000: LE bytes 00 00 00 04. */
	fwcfg_select_key(&f, FW_CFG_RAM_SIZE);
	for (unsigned b = 0; b < 8; b++)
		ck_assert_uint_eq(fwcfg_byte(&f), b == 3 ? 0x04 : 0x00);
}
END_TEST

/*
 * QEMU's legacy port pair is one 2-byte region that accepts byte accesses and 16-bit writes only;
 * a rejected read returns 0 and leaves the offset alone; byte writes are ignored (QEMU >= 2.4).
 */
START_TEST(fwcfg_access_widths_follow_qemu)
{
	struct fwcfg f;
	fwcfg_init(&f, 64 << 20);
	fwcfg_select_key(&f, FW_CFG_SIGNATURE);
	ck_assert_uint_eq(fwcfg_read(&f, FWCFG_PORT_DATA, 2), 0);      /* 16-bit read: invalid */
	ck_assert_uint_eq(fwcfg_read(&f, FWCFG_PORT_DATA, 4), 0);      /* 32-bit read: invalid */
	ck_assert_uint_eq(fwcfg_read(&f, FWCFG_PORT_SELECTOR, 2), 0);  /* selector is write-only */
	ck_assert_uint_eq(fwcfg_byte(&f), 'Q');                        /* nothing advanced */
	ck_assert_uint_eq(fwcfg_read(&f, FWCFG_PORT_SELECTOR, 1), 'E'); /* byte read at 0x510: data */
	fwcfg_write(&f, FWCFG_PORT_SELECTOR, 1, FW_CFG_ID);            /* byte write: data, ignored */
	fwcfg_write(&f, FWCFG_PORT_SELECTOR, 4, FW_CFG_ID);            /* 32-bit write: invalid */
	fwcfg_write(&f, FWCFG_PORT_DATA, 2, FW_CFG_ID);                /* 16-bit at 0x511: invalid */
	fwcfg_write(&f, FWCFG_PORT_DATA, 1, 0xaa);                     /* data write: ignored */
	ck_assert_uint_eq(fwcfg_byte(&f), 'M');
	ck_assert_uint_eq(fwcfg_byte(&f), 'U');
}
END_TEST

/* ======================================== 8259A ======================================== */

/*
 * The PC initialisation every kernel does: ICW1 0x11 (edge, cascade, ICW4 needed), ICW2 vector
 * base (master 0x20, slave 0x28), ICW3 (master: slave on IR2 = 0x04; slave: ID 2), ICW4 0x01
 * (8086 mode, normal EOI).
 */
static void pic_pc_setup(struct pic *p, uint8_t master_icw4)
{
	pic_init(p);
	pic_write(p, PIC_MASTER_CMD, 0x11);
	pic_write(p, PIC_MASTER_DATA, 0x20);
	pic_write(p, PIC_MASTER_DATA, 0x04);
	pic_write(p, PIC_MASTER_DATA, master_icw4);
	pic_write(p, PIC_SLAVE_CMD, 0x11);
	pic_write(p, PIC_SLAVE_DATA, 0x28);
	pic_write(p, PIC_SLAVE_DATA, 0x02);
	pic_write(p, PIC_SLAVE_DATA, 0x01);
}

/* OCW3 with RR=1: RIS=1 selects ISR, RIS=0 IRR, for the following command-port reads. */
static uint8_t pic_isr(struct pic *p, uint16_t cmd)
{
	pic_write(p, cmd, 0x0b);
	return pic_read(p, cmd);
}

static uint8_t pic_irr(struct pic *p, uint16_t cmd)
{
	pic_write(p, cmd, 0x0a);
	return pic_read(p, cmd);
}

/* Every IRQ line: vector = ICW2 base + IR; the slave's requests go through master IR2. */
START_TEST(pic_init_sequence_vectors)
{
	static const struct {
		unsigned irq;
		int vector;
		uint8_t master_isr, slave_isr;
	} cases[] = {
		{ 0, 0x20, 0x01, 0 }, { 1, 0x21, 0x02, 0 }, { 3, 0x23, 0x08, 0 }, { 4, 0x24, 0x10, 0 },
		{ 5, 0x25, 0x20, 0 }, { 6, 0x26, 0x40, 0 }, { 7, 0x27, 0x80, 0 },
		{ 8, 0x28, 0x04, 0x01 }, { 9, 0x29, 0x04, 0x02 }, { 10, 0x2a, 0x04, 0x04 },
		{ 11, 0x2b, 0x04, 0x08 }, { 12, 0x2c, 0x04, 0x10 }, { 13, 0x2d, 0x04, 0x20 },
		{ 14, 0x2e, 0x04, 0x40 }, { 15, 0x2f, 0x04, 0x80 },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct pic p;
		pic_pc_setup(&p, 0x01);
		/* ICW1 clears the IMR of both chips. */
		ck_assert_uint_eq(pic_read(&p, PIC_MASTER_DATA), 0);
		ck_assert_uint_eq(pic_read(&p, PIC_SLAVE_DATA), 0);
		ck_assert_int_eq(pic_pending_vector(&p), -1);
		pic_raise(&p, cases[i].irq);
		ck_assert_msg(pic_pending_vector(&p) == cases[i].vector, "IRQ %u: pending %#x, want %#x",
			      cases[i].irq, pic_pending_vector(&p), cases[i].vector);
		ck_assert_int_eq(pic_acknowledge(&p), cases[i].vector);
		ck_assert_msg(pic_isr(&p, PIC_MASTER_CMD) == cases[i].master_isr, "IRQ %u master ISR",
			      cases[i].irq);
		ck_assert_msg(pic_isr(&p, PIC_SLAVE_CMD) == cases[i].slave_isr, "IRQ %u slave ISR",
			      cases[i].irq);
		ck_assert_uint_eq(pic_irr(&p, PIC_MASTER_CMD), 0);
		ck_assert_uint_eq(pic_irr(&p, PIC_SLAVE_CMD), 0);
		ck_assert_int_eq(pic_pending_vector(&p), -1);
	}
}
END_TEST

/* ICW2 bits 2:0 are not part of the base in 8086 mode; SNGL skips ICW3, IC4 = 0 skips ICW4. */
START_TEST(pic_short_init_sequence)
{
	struct pic p;
	pic_init(&p);
	pic_write(&p, PIC_MASTER_CMD, 0x12); /* ICW1: SNGL, no IC4 */
	pic_write(&p, PIC_MASTER_DATA, 0x47); /* ICW2: base 0x40 */
	pic_write(&p, PIC_MASTER_DATA, 0xfd); /* sequence done: this is OCW1 */
	ck_assert_uint_eq(pic_read(&p, PIC_MASTER_DATA), 0xfd);
	pic_raise(&p, 0);
	ck_assert_int_eq(pic_pending_vector(&p), -1); /* IR0 masked */
	pic_raise(&p, 1);
	ck_assert_int_eq(pic_pending_vector(&p), 0x41);
	/* Not cascaded, so IR2 is an ordinary input with the master's own vector. */
	pic_write(&p, PIC_MASTER_DATA, 0xfb);
	pic_lower(&p, 1);
	pic_raise(&p, 2);
	ck_assert_int_eq(pic_pending_vector(&p), 0x42);
}
END_TEST

/* OCW1: a masked request stays latched in IRR and is signalled once unmasked. */
START_TEST(pic_masking)
{
	struct pic p;
	pic_init(&p);
	pic_raise(&p, 0);
	ck_assert_int_eq(pic_pending_vector(&p), -1); /* hvsim's power-on state: all masked */

	pic_pc_setup(&p, 0x01);
	pic_write(&p, PIC_MASTER_DATA, 0x01);
	pic_lower(&p, 0);
	pic_raise(&p, 0);
	ck_assert_int_eq(pic_pending_vector(&p), -1);
	ck_assert_uint_eq(pic_irr(&p, PIC_MASTER_CMD), 0x01);
	pic_write(&p, PIC_MASTER_DATA, 0x00);
	ck_assert_int_eq(pic_pending_vector(&p), 0x20);
	pic_lower(&p, 0);
	ck_assert_int_eq(pic_acknowledge(&p), 0x20);

	/* Slave IRQ 11: masked on the slave (bit 3), then through the master's cascade input. */
	pic_write(&p, PIC_MASTER_CMD, 0x20); /* EOI for IR0 */
	pic_write(&p, PIC_SLAVE_DATA, 0x08);
	pic_raise(&p, 11);
	ck_assert_int_eq(pic_pending_vector(&p), -1);
	pic_write(&p, PIC_SLAVE_DATA, 0x00);
	pic_write(&p, PIC_MASTER_DATA, 0x04);
	ck_assert_int_eq(pic_pending_vector(&p), -1);
	pic_write(&p, PIC_MASTER_DATA, 0x00);
	ck_assert_int_eq(pic_pending_vector(&p), 0x2b);
}
END_TEST

/*
 * Fully nested mode: IR0 highest, IR7 lowest; the slave's IRQs 8-15 rank at master IR2. An
 * in-service level blocks itself and lower levels; higher levels still nest.
 */
START_TEST(pic_priority_and_nesting)
{
	enum op { RAISE, ACK, EOI_MASTER, EOI_SLAVE };
	static const struct {
		enum op op;
		unsigned irq;
		int pending; /* pic_pending_vector after the step (ACK: the vector returned) */
		const char *rule;
	} steps[] = {
		{ RAISE, 5, 0x25, "single request" },
		{ RAISE, 3, 0x23, "IR3 outranks IR5" },
		{ RAISE, 12, 0x2c, "slave (at IR2) outranks IR3" },
		{ ACK, 0, 0x2c, "INTA takes the slave request" },
		{ RAISE, 9, -1, "master IR2 in service blocks the slave (not special fully nested)" },
		{ RAISE, 1, 0x21, "IR1 outranks in-service IR2: nests" },
		{ ACK, 0, 0x21, "IR1 taken" },
		{ EOI_MASTER, 0, -1, "non-specific EOI ends IR1; IR2 still in service" },
		{ EOI_SLAVE, 0, -1, "slave EOI ends IRQ 12; master IR2 still in service" },
		{ EOI_MASTER, 0, 0x29, "master EOI ends IR2: IRQ 9 (slave IR1) is next" },
		{ ACK, 0, 0x29, "IRQ 9 taken" },
		{ EOI_SLAVE, 0, -1, "" },
		{ EOI_MASTER, 0, 0x23, "IR3 outranks IR5" },
		{ ACK, 0, 0x23, "" },
		{ EOI_MASTER, 0, 0x25, "" },
		{ ACK, 0, 0x25, "" },
		{ EOI_MASTER, 0, -1, "all served" },
	};
	struct pic p;
	pic_pc_setup(&p, 0x01);
	for (unsigned i = 0; i < ARRAY_LEN(steps); i++) {
		int got;
		switch (steps[i].op) {
		case RAISE:
			pic_raise(&p, steps[i].irq);
			break;
		case ACK:
			got = pic_acknowledge(&p);
			ck_assert_msg(got == steps[i].pending, "step %u (%s): INTA %#x, want %#x", i,
				      steps[i].rule, got, steps[i].pending);
			continue;
		case EOI_MASTER:
			pic_write(&p, PIC_MASTER_CMD, 0x20);
			break;
		case EOI_SLAVE:
			pic_write(&p, PIC_SLAVE_CMD, 0x20);
			break;
		}
		got = pic_pending_vector(&p);
		ck_assert_msg(got == steps[i].pending, "step %u (%s): pending %#x, want %#x", i,
			      steps[i].rule, got, steps[i].pending);
	}
}
END_TEST

/* OCW2: non-specific EOI clears the highest-priority ISR bit; specific EOI (011, L2-L0) any. */
START_TEST(pic_eoi_kinds)
{
	struct pic p;
	pic_pc_setup(&p, 0x01);
	pic_raise(&p, 6);
	ck_assert_int_eq(pic_acknowledge(&p), 0x26);
	pic_raise(&p, 4);
	ck_assert_int_eq(pic_acknowledge(&p), 0x24);
	pic_raise(&p, 0);
	ck_assert_int_eq(pic_acknowledge(&p), 0x20);
	ck_assert_uint_eq(pic_isr(&p, PIC_MASTER_CMD), 0x51); /* IR6, IR4, IR0 */
	pic_write(&p, PIC_MASTER_CMD, 0x64);                   /* specific EOI, level 4 */
	ck_assert_uint_eq(pic_isr(&p, PIC_MASTER_CMD), 0x41);
	pic_write(&p, PIC_MASTER_CMD, 0x20);                   /* non-specific: IR0 */
	ck_assert_uint_eq(pic_isr(&p, PIC_MASTER_CMD), 0x40);
	pic_write(&p, PIC_MASTER_CMD, 0x40);                   /* OCW2 010: no operation */
	ck_assert_uint_eq(pic_isr(&p, PIC_MASTER_CMD), 0x40);
	pic_write(&p, PIC_MASTER_CMD, 0x20);
	ck_assert_uint_eq(pic_isr(&p, PIC_MASTER_CMD), 0x00);
}
END_TEST

/* Set priority (OCW2 110): IR L becomes lowest, so IR L+1 is highest. */
START_TEST(pic_set_priority_rotates)
{
	struct pic p;
	pic_pc_setup(&p, 0x01);
	pic_write(&p, PIC_MASTER_CMD, 0xc4); /* lowest = IR4: order 5,6,7,0,1,2,3,4 */
	pic_raise(&p, 3);
	pic_raise(&p, 5);
	ck_assert_int_eq(pic_pending_vector(&p), 0x25);
	pic_raise(&p, 0);
	ck_assert_int_eq(pic_pending_vector(&p), 0x25);
	pic_write(&p, PIC_MASTER_CMD, 0xc7); /* back to IR7 lowest */
	ck_assert_int_eq(pic_pending_vector(&p), 0x20);
}
END_TEST

/*
 * Edges: a request latches on a low-to-high transition only. Automatic EOI (ICW4 AEOI) sets no
 * ISR bit. INTA with nothing requesting returns IR7 (spurious) without setting ISR. Poll (OCW3
 * P) reads I and the level, acknowledging it.
 */
START_TEST(pic_edges_aeoi_spurious_poll)
{
	struct pic p;
	pic_pc_setup(&p, 0x01);
	pic_raise(&p, 1);
	ck_assert_int_eq(pic_acknowledge(&p), 0x21);
	pic_write(&p, PIC_MASTER_CMD, 0x20);
	pic_raise(&p, 1); /* still high: no new edge */
	ck_assert_int_eq(pic_pending_vector(&p), -1);
	pic_lower(&p, 1);
	pic_raise(&p, 1);
	ck_assert_int_eq(pic_pending_vector(&p), 0x21);

	ck_assert_int_eq(pic_acknowledge(&p), 0x21);
	ck_assert_int_eq(pic_acknowledge(&p), 0x27); /* IR1 in service, nothing else: spurious IR7 */
	ck_assert_uint_eq(pic_isr(&p, PIC_MASTER_CMD), 0x02);

	pic_pc_setup(&p, 0x03); /* master ICW4: 8086 mode + AEOI */
	pic_raise(&p, 3);
	ck_assert_int_eq(pic_acknowledge(&p), 0x23);
	ck_assert_uint_eq(pic_isr(&p, PIC_MASTER_CMD), 0x00);
	pic_raise(&p, 4);
	ck_assert_int_eq(pic_pending_vector(&p), 0x24); /* nothing in service blocks it */

	pic_write(&p, PIC_MASTER_CMD, 0x0c); /* OCW3 poll */
	ck_assert_uint_eq(pic_read(&p, PIC_MASTER_CMD), 0x84);
	ck_assert_int_eq(pic_pending_vector(&p), -1);
	pic_write(&p, PIC_MASTER_CMD, 0x0c);
	ck_assert_uint_eq(pic_read(&p, PIC_MASTER_CMD), 0x00);
}
END_TEST

/* ====================================== local APIC ====================================== */

/* SVR: software enable (bit 8), spurious vector 0xff. */
static void lapic_enabled(struct lapic *l)
{
	lapic_init(l);
	lapic_write(l, LAPIC_SVR, 0x1ff, 0);
}

/* ICR low: fixed delivery, destination shorthand 01 (self), the vector. */
static void self_ipi(struct lapic *l, unsigned vector, uint64_t now)
{
	lapic_write(l, LAPIC_ICR_LO, (1u << 18) | vector, now);
}

static int irr_bit(struct lapic *l, unsigned v, uint64_t now)
{
	return (lapic_read(l, LAPIC_IRR + 0x10 * (v / 32), now) >> (v % 32)) & 1;
}

static int isr_bit(struct lapic *l, unsigned v, uint64_t now)
{
	return (lapic_read(l, LAPIC_ISR + 0x10 * (v / 32), now) >> (v % 32)) & 1;
}

/* 11.4.7.1 power-up/reset values, the Version register of Table 11-1, and writable bits. */
START_TEST(lapic_reset_values)
{
	static const struct {
		uint32_t offset, value;
		const char *rule;
	} cases[] = {
		{ LAPIC_ID, 0, "APIC ID 0" },
		{ LAPIC_VERSION, 0x00060014, "version 0x14, Max LVT Entry 6" },
		{ LAPIC_TPR, 0, "cleared" },
		{ LAPIC_PPR, 0, "TPR 0, nothing in service" },
		{ LAPIC_LDR, 0, "cleared" },
		{ LAPIC_DFR, 0xffffffff, "all ones" },
		{ LAPIC_SVR, 0x000000ff, "0xff, software-disabled" },
		{ LAPIC_ESR, 0, "no errors" },
		{ LAPIC_ICR_LO, 0, "cleared" },
		{ LAPIC_ICR_HI, 0, "cleared" },
		{ LAPIC_LVT_CMCI, 0x00010000, "masked" },
		{ LAPIC_LVT_TIMER, 0x00010000, "masked" },
		{ LAPIC_LVT_THERMAL, 0x00010000, "masked" },
		{ LAPIC_LVT_PERF, 0x00010000, "masked" },
		{ LAPIC_LVT_LINT0, 0x00010000, "masked" },
		{ LAPIC_LVT_LINT1, 0x00010000, "masked" },
		{ LAPIC_LVT_ERROR, 0x00010000, "masked" },
		{ LAPIC_TIMER_INITIAL, 0, "cleared" },
		{ LAPIC_TIMER_CURRENT, 0, "cleared" },
		{ LAPIC_TIMER_DIVIDE, 0, "cleared (divide by 2)" },
	};
	struct lapic l;
	lapic_init(&l);
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		uint32_t got = lapic_read(&l, cases[i].offset, 0);
		ck_assert_msg(got == cases[i].value, "%#x (%s): %#x, want %#x", cases[i].offset,
			      cases[i].rule, got, cases[i].value);
	}
	for (unsigned r = 0; r < 8; r++) {
		ck_assert_uint_eq(lapic_read(&l, LAPIC_ISR + 0x10 * r, 0), 0);
		ck_assert_uint_eq(lapic_read(&l, LAPIC_TMR + 0x10 * r, 0), 0);
		ck_assert_uint_eq(lapic_read(&l, LAPIC_IRR + 0x10 * r, 0), 0);
	}
	ck_assert_uint_eq(lapic_read(&l, LAPIC_ESR, 0), 0);
}
END_TEST

/*
 * Writable bits: SVR keeps bits 8:0 (no focus checking or EOI-broadcast suppression on this
 * version); DFR bits 27:0 read as ones; the divide register keeps bits 3, 1:0; LVT Timer keeps
 * vector, mask and bit 17 (bit 18 is reserved without TSC-deadline support, 11.5.4.1);
 * read-only registers ignore writes.
 */
START_TEST(lapic_writable_bits)
{
	static const struct {
		uint32_t offset, write, read;
	} cases[] = {
		{ LAPIC_SVR, 0xffffffff, 0x000001ff },
		{ LAPIC_TPR, 0xffffffff, 0x000000ff },
		{ LAPIC_LDR, 0xffffffff, 0xff000000 },
		{ LAPIC_DFR, 0x00000000, 0x0fffffff },
		{ LAPIC_TIMER_DIVIDE, 0xffffffff, 0x0000000b },
		{ LAPIC_LVT_TIMER, 0xffffffff, 0x000300ff },
		{ LAPIC_LVT_TIMER, 0x00040040, 0x00000040 }, /* mode 10b (TSC-deadline) runs one-shot */
		{ LAPIC_LVT_LINT0, 0xffffffff, 0x0001a7ff },
		{ LAPIC_LVT_ERROR, 0xffffffff, 0x000100ff },
		{ LAPIC_ICR_HI, 0xffffffff, 0xff000000 },
		{ LAPIC_VERSION, 0, 0x00060014 },
		{ LAPIC_PPR, 0xff, 0x00000000 },
		{ LAPIC_TIMER_CURRENT, 1234, 0 },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct lapic l;
		lapic_enabled(&l);
		lapic_write(&l, cases[i].offset, cases[i].write, 0);
		uint32_t got = lapic_read(&l, cases[i].offset, 0);
		ck_assert_msg(got == cases[i].read, "%#x: wrote %#x, read %#x, want %#x",
			      cases[i].offset, cases[i].write, got, cases[i].read);
	}
}
END_TEST

/* Figure 11-10: divide value = bits 3, 1:0. One tick = divisor instructions. */
START_TEST(lapic_divide_configuration_all_values)
{
	static const struct {
		uint32_t dcr;
		unsigned divisor;
	} cases[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	const uint64_t start = 1000;
	const uint32_t count = 10;
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct lapic l;
		uint64_t fire = start + (uint64_t)count * cases[i].divisor;
		lapic_enabled(&l);
		lapic_write(&l, LAPIC_LVT_TIMER, 0x40, 0);
		lapic_write(&l, LAPIC_TIMER_DIVIDE, cases[i].dcr, 0);
		lapic_write(&l, LAPIC_TIMER_INITIAL, count, start);
		ck_assert_msg(lapic_next_deadline(&l) == fire, "DCR %#x: deadline %llu, want %llu",
			      cases[i].dcr, (unsigned long long)lapic_next_deadline(&l),
			      (unsigned long long)fire);
		/* One instruction short of the last tick: one tick left. */
		ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, fire - 1), 1);
		ck_assert_int_eq(lapic_pending_vector(&l), -1);
		lapic_advance(&l, fire);
		ck_assert_msg(lapic_pending_vector(&l) == 0x40, "DCR %#x: no interrupt at %llu",
			      cases[i].dcr, (unsigned long long)fire);
	}
}
END_TEST

/* One-shot (11.5.4): fires once, when the count reaches 0 at start + initial * divisor. */
START_TEST(lapic_timer_one_shot)
{
	struct lapic l;
	lapic_enabled(&l);
	lapic_write(&l, LAPIC_LVT_TIMER, 0x40, 0);
	lapic_write(&l, LAPIC_TIMER_DIVIDE, 0x1, 0); /* divide by 4 */
	lapic_write(&l, LAPIC_TIMER_INITIAL, 1000, 5000);
	ck_assert_uint_eq(lapic_next_deadline(&l), 5000 + 1000 * 4);
	lapic_advance(&l, 8999);
	ck_assert_int_eq(irr_bit(&l, 0x40, 8999), 0);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 8999), 1);
	ck_assert_int_eq(irr_bit(&l, 0x40, 9000), 1); /* the read at 9000 fires it first */
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 9000), 0);
	ck_assert_uint_eq(lapic_next_deadline(&l), UINT64_MAX);
	ck_assert_int_eq(lapic_pending_vector(&l), 0x40);
	lapic_accept(&l, 0x40);
	lapic_write(&l, LAPIC_EOI, 0, 9001);
	lapic_advance(&l, 100000);
	ck_assert_int_eq(lapic_pending_vector(&l), -1);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 100000), 0);
}
END_TEST

/* Periodic: the count reloads from the initial count at 0; missed periods coalesce in IRR. */
START_TEST(lapic_timer_periodic)
{
	struct lapic l;
	lapic_enabled(&l);
	lapic_write(&l, LAPIC_LVT_TIMER, (1u << 17) | 0x50, 0);
	lapic_write(&l, LAPIC_TIMER_INITIAL, 100, 0); /* divide by 2: period 200 */
	for (uint64_t k = 1; k <= 3; k++) {
		ck_assert_uint_eq(lapic_next_deadline(&l), 200 * k);
		lapic_advance(&l, 200 * k - 1);
		ck_assert_int_eq(lapic_pending_vector(&l), -1);
		lapic_advance(&l, 200 * k);
		ck_assert_int_eq(lapic_pending_vector(&l), 0x50);
		lapic_accept(&l, 0x50);
		lapic_write(&l, LAPIC_EOI, 0, 200 * k);
	}
	/* After the reload at 600: 50 instructions = 25 ticks -> 75; 199 -> 99 ticks -> 1. */
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 600), 100);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 650), 75);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 799), 1);
	/* Jump over expiries 800..1400: one IRR bit, the next expiry 1600. */
	lapic_advance(&l, 1500);
	ck_assert_int_eq(lapic_pending_vector(&l), 0x50);
	ck_assert_uint_eq(lapic_next_deadline(&l), 1600);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 1500), 50);
	/* Initial count 0 stops it. */
	lapic_write(&l, LAPIC_TIMER_INITIAL, 0, 1500);
	ck_assert_uint_eq(lapic_next_deadline(&l), UINT64_MAX);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 1500), 0);
}
END_TEST

/* Current count = initial - whole ticks elapsed (one-shot; 0 once expired). */
START_TEST(lapic_current_count_arithmetic)
{
	static const struct {
		uint32_t dcr, initial;
		uint64_t elapsed;
		uint32_t current;
		const char *rule;
	} cases[] = {
		{ 0x0, 100, 0, 100, "div 2: at the write" },
		{ 0x0, 100, 1, 100, "div 2: half a tick" },
		{ 0x0, 100, 2, 99, "div 2: one tick" },
		{ 0x3, 1000, 16 * 250 + 15, 750, "div 16: 250 ticks and 15/16" },
		{ 0xb, 0xffffffff, 1, 0xfffffffe, "div 1: full-width count" },
		{ 0xa, 3, 383, 1, "div 128: 2 ticks (383 / 128)" },
		{ 0xa, 3, 384, 0, "div 128: 3 ticks: expired" },
		{ 0xa, 3, 10000, 0, "one-shot stays at 0" },
		{ 0x9, 7, 64 * 6, 1, "div 64: 6 ticks" },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct lapic l;
		const uint64_t start = 777;
		lapic_enabled(&l);
		lapic_write(&l, LAPIC_TIMER_DIVIDE, cases[i].dcr, 0);
		lapic_write(&l, LAPIC_TIMER_INITIAL, cases[i].initial, start);
		uint32_t got = lapic_read(&l, LAPIC_TIMER_CURRENT, start + cases[i].elapsed);
		ck_assert_msg(got == cases[i].current, "case %u (%s): %u, want %u", i, cases[i].rule,
			      got, cases[i].current);
	}

	/* A new divisor applies from the write on; the count reached so far carries over. */
	struct lapic l;
	lapic_enabled(&l);
	lapic_write(&l, LAPIC_LVT_TIMER, 0x40, 0);
	lapic_write(&l, LAPIC_TIMER_INITIAL, 100, 0);       /* divide by 2 */
	lapic_write(&l, LAPIC_TIMER_DIVIDE, 0xb, 50);       /* 25 ticks gone: 75 left, now by 1 */
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 50), 75);
	ck_assert_uint_eq(lapic_next_deadline(&l), 50 + 75);
}
END_TEST

/* A masked LVT entry delivers nothing, but the one-shot count still runs down (11.5.1, 11.5.4). */
START_TEST(lapic_masked_timer)
{
	struct lapic l;
	lapic_enabled(&l);
	lapic_write(&l, LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | 0x40, 0);
	lapic_write(&l, LAPIC_TIMER_DIVIDE, 0xb, 0);
	lapic_write(&l, LAPIC_TIMER_INITIAL, 10, 100);
	ck_assert_uint_eq(lapic_next_deadline(&l), UINT64_MAX);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 105), 5);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_TIMER_CURRENT, 110), 0);
	ck_assert_int_eq(irr_bit(&l, 0x40, 110), 0);
	lapic_write(&l, LAPIC_LVT_TIMER, 0x40, 120); /* unmasked after expiry: nothing to deliver */
	ck_assert_int_eq(lapic_pending_vector(&l), -1);
	ck_assert_uint_eq(lapic_next_deadline(&l), UINT64_MAX);

	/* Periodic and masked keeps its phase; unmasked, it interrupts at the next expiry. */
	lapic_write(&l, LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | (1u << 17) | 0x40, 200);
	lapic_write(&l, LAPIC_TIMER_INITIAL, 10, 200);
	lapic_advance(&l, 235);
	ck_assert_int_eq(lapic_pending_vector(&l), -1);
	lapic_write(&l, LAPIC_LVT_TIMER, (1u << 17) | 0x40, 235);
	ck_assert_uint_eq(lapic_next_deadline(&l), 240);
	lapic_advance(&l, 240);
	ck_assert_int_eq(lapic_pending_vector(&l), 0x40);
}
END_TEST

/*
 * 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0. 11.8.4: the IRR vector is
 * delivered only if its class (bits 7:4) is above PPR[7:4].
 */
START_TEST(lapic_tpr_ppr_blocking)
{
	static const struct {
		uint32_t tpr;
		int in_service; /* -1: none */
		unsigned requested;
		uint32_t ppr;
		int pending;
	} cases[] = {
		{ 0x00, -1, 0x31, 0x00, 0x31 },
		{ 0x30, -1, 0x31, 0x30, -1 },   /* class 3 not above 3 */
		{ 0x30, -1, 0x41, 0x30, 0x41 },
		{ 0x2f, -1, 0x31, 0x2f, 0x31 }, /* only TPR[7:4] counts */
		{ 0x10, 0x50, 0x45, 0x50, -1 }, /* ISRV class 5 > TPR class 1: PPR = 0x50 */
		{ 0x10, 0x50, 0x5f, 0x50, -1 },
		{ 0x10, 0x50, 0x61, 0x50, 0x61 },
		{ 0x55, 0x50, 0x5f, 0x55, -1 }, /* TPR class 5 >= ISRV class 5: PPR = TPR */
		{ 0x60, 0x50, 0x70, 0x60, 0x70 },
		{ 0xf0, -1, 0xff, 0xf0, -1 },   /* TPR 15 blocks everything */
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct lapic l;
		lapic_enabled(&l);
		if (cases[i].in_service >= 0) {
			self_ipi(&l, (unsigned)cases[i].in_service, 0);
			lapic_accept(&l, cases[i].in_service);
		}
		lapic_write(&l, LAPIC_TPR, cases[i].tpr, 0);
		self_ipi(&l, cases[i].requested, 0);
		ck_assert_msg(lapic_read(&l, LAPIC_PPR, 0) == cases[i].ppr, "case %u: PPR %#x, want %#x",
			      i, lapic_read(&l, LAPIC_PPR, 0), cases[i].ppr);
		ck_assert_msg(lapic_pending_vector(&l) == cases[i].pending, "case %u: pending %d, want %d",
			      i, lapic_pending_vector(&l), cases[i].pending);
	}

	/* Software-disabled (SVR bit 8 clear): nothing is presented. */
	struct lapic l;
	lapic_enabled(&l);
	self_ipi(&l, 0x80, 0);
	ck_assert_int_eq(lapic_pending_vector(&l), 0x80);
	lapic_write(&l, LAPIC_SVR, 0xff, 0);
	ck_assert_int_eq(lapic_pending_vector(&l), -1);
}
END_TEST

/* 11.8.5: each EOI retires the highest-priority ISR bit, so nested interrupts unwind in order. */
START_TEST(lapic_eoi_nested_order)
{
	struct lapic l;
	lapic_enabled(&l);
	self_ipi(&l, 0x40, 0);
	ck_assert_int_eq(lapic_pending_vector(&l), 0x40);
	lapic_accept(&l, 0x40);
	self_ipi(&l, 0x45, 0);
	ck_assert_int_eq(lapic_pending_vector(&l), -1); /* same class as 0x40 in service */
	self_ipi(&l, 0x80, 0);
	ck_assert_int_eq(lapic_pending_vector(&l), 0x80);
	lapic_accept(&l, 0x80);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_PPR, 0), 0x80);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_ISR + 0x20, 0), 1u << (0x40 % 32)); /* ISR 95:64 */
	ck_assert_uint_eq(lapic_read(&l, LAPIC_ISR + 0x40, 0), 1u << (0x80 % 32)); /* ISR 159:128 */

	lapic_write(&l, LAPIC_EOI, 0, 1);
	ck_assert_int_eq(isr_bit(&l, 0x80, 1), 0);
	ck_assert_int_eq(isr_bit(&l, 0x40, 1), 1);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_PPR, 1), 0x40);
	ck_assert_int_eq(lapic_pending_vector(&l), -1);

	lapic_write(&l, LAPIC_EOI, 0, 2);
	ck_assert_int_eq(isr_bit(&l, 0x40, 2), 0);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_PPR, 2), 0x00);
	ck_assert_int_eq(lapic_pending_vector(&l), 0x45);
	lapic_write(&l, LAPIC_EOI, 0, 3); /* nothing in service: no effect */
	ck_assert_int_eq(irr_bit(&l, 0x45, 3), 1);
}
END_TEST

/*
 * ICR (11.6.1): fixed IPIs reach this APIC with shorthand self or all-including-self, or with
 * physical destination = its ID or 0xff. ESR (11.5.3) publishes errors on a write: vectors 0-15
 * are illegal (bit 5 send), a reserved register access sets bit 7; the LVT Error entry interrupts.
 */
START_TEST(lapic_ipi_and_errors)
{
	static const struct {
		uint32_t icr_hi, icr_lo;
		int delivered;
		const char *rule;
	} cases[] = {
		{ 0, (1u << 18) | 0x61, 1, "shorthand self" },
		{ 0, (2u << 18) | 0x61, 1, "all including self" },
		{ 0, (3u << 18) | 0x61, 0, "all excluding self" },
		{ 0x00000000, 0x61, 1, "physical destination 0 = own ID" },
		{ 0xff000000, 0x61, 1, "physical broadcast" },
		{ 0x01000000, 0x61, 0, "another APIC" },
		{ 0, (1u << 18) | (4u << 8) | 0x61, 0, "NMI delivery mode: not modelled" },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		struct lapic l;
		lapic_enabled(&l);
		lapic_write(&l, LAPIC_ICR_HI, cases[i].icr_hi, 0);
		lapic_write(&l, LAPIC_ICR_LO, cases[i].icr_lo, 0);
		ck_assert_msg(irr_bit(&l, 0x61, 0) == cases[i].delivered, "%s", cases[i].rule);
		ck_assert_msg(!(lapic_read(&l, LAPIC_ICR_LO, 0) & (1u << 12)), "delivery status idle");
	}

	struct lapic l;
	lapic_enabled(&l);
	lapic_write(&l, LAPIC_LVT_ERROR, 0xfe, 0);
	self_ipi(&l, 0x05, 0);
	ck_assert_int_eq(irr_bit(&l, 0x05, 0), 0);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_ESR, 0), 0); /* not published before an ESR write */
	lapic_write(&l, LAPIC_ESR, 0, 0);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_ESR, 0), 0x20);
	ck_assert_int_eq(lapic_pending_vector(&l), 0xfe);
	ck_assert_uint_eq(lapic_read(&l, 0x040, 0), 0); /* reserved */
	lapic_write(&l, LAPIC_ESR, 0, 0);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_ESR, 0), 0x80);
	lapic_write(&l, LAPIC_ESR, 0, 0);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_ESR, 0), 0);

	/* A timer with a vector below 16 logs "receive illegal vector" (bit 6). */
	lapic_write(&l, LAPIC_LVT_TIMER, 0x0a, 0);
	lapic_write(&l, LAPIC_TIMER_INITIAL, 1, 0);
	lapic_advance(&l, 2);
	lapic_write(&l, LAPIC_ESR, 0, 2);
	ck_assert_uint_eq(lapic_read(&l, LAPIC_ESR, 2), 0x40);
}
END_TEST

/* 11.4.7.2: software-disabling masks every LVT entry, and the mask cannot be cleared meanwhile. */
START_TEST(lapic_software_disable_masks_lvts)
{
	static const uint32_t lvts[] = { LAPIC_LVT_CMCI, LAPIC_LVT_TIMER, LAPIC_LVT_THERMAL,
		LAPIC_LVT_PERF, LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERROR };
	struct lapic l;
	lapic_enabled(&l);
	for (unsigned i = 0; i < ARRAY_LEN(lvts); i++) {
		lapic_write(&l, lvts[i], 0x30 + i, 0);
		ck_assert_uint_eq(lapic_read(&l, lvts[i], 0), 0x30 + i);
	}
	lapic_write(&l, LAPIC_SVR, 0xff, 0);
	for (unsigned i = 0; i < ARRAY_LEN(lvts); i++) {
		ck_assert_uint_eq(lapic_read(&l, lvts[i], 0), 0x00010000 | (0x30 + i));
		lapic_write(&l, lvts[i], 0x40, 0);
		ck_assert_uint_eq(lapic_read(&l, lvts[i], 0), 0x00010040);
	}
	lapic_write(&l, LAPIC_TIMER_INITIAL, 5, 0);
	ck_assert_uint_eq(lapic_next_deadline(&l), UINT64_MAX);
}
END_TEST

Suite *suite_devices(void)
{
	Suite *s = suite_create("sim/devices");
	TCase *fw = tcase_create("fwcfg");
	TCase *pic = tcase_create("pic");
	TCase *apic = tcase_create("lapic");

	tcase_add_test(fw, fwcfg_items_byte_by_byte);
	tcase_add_test(fw, fwcfg_select_resets_offset);
	tcase_add_test(fw, fwcfg_access_widths_follow_qemu);
	tcase_add_test(pic, pic_init_sequence_vectors);
	tcase_add_test(pic, pic_short_init_sequence);
	tcase_add_test(pic, pic_masking);
	tcase_add_test(pic, pic_priority_and_nesting);
	tcase_add_test(pic, pic_eoi_kinds);
	tcase_add_test(pic, pic_set_priority_rotates);
	tcase_add_test(pic, pic_edges_aeoi_spurious_poll);
	tcase_add_test(apic, lapic_reset_values);
	tcase_add_test(apic, lapic_writable_bits);
	tcase_add_test(apic, lapic_divide_configuration_all_values);
	tcase_add_test(apic, lapic_timer_one_shot);
	tcase_add_test(apic, lapic_timer_periodic);
	tcase_add_test(apic, lapic_current_count_arithmetic);
	tcase_add_test(apic, lapic_masked_timer);
	tcase_add_test(apic, lapic_tpr_ppr_blocking);
	tcase_add_test(apic, lapic_eoi_nested_order);
	tcase_add_test(apic, lapic_ipi_and_errors);
	tcase_add_test(apic, lapic_software_disable_masks_lvts);
	suite_add_tcase(s, fw);
	suite_add_tcase(s, pic);
	suite_add_tcase(s, apic);
	return s;
}
