#include "sim/lapic.h"

#include <assert.h>
#include <string.h>

#define SLOT(offset) ((offset) >> 4)
#define VECTORS_PER_REG 32
#define FIRST_LEGAL_VECTOR 16 /* 0-15 are reserved (11.8.4; 11.5.2 "illegal vector") */

/* Figure 11-8 field layouts, as the bits software may write in each LVT entry. */
#define LVT_VECTOR 0x000000ffu
#define LVT_DELIVERY_MODE 0x00000700u
#define LVT_PIN_POLARITY 0x00002000u
#define LVT_TRIGGER_MODE 0x00008000u
#define LVT_WMASK_TIMER (LVT_VECTOR | LAPIC_LVT_MASKED | LAPIC_LVT_TIMER_PERIODIC)
#define LVT_WMASK_MODE (LVT_VECTOR | LVT_DELIVERY_MODE | LAPIC_LVT_MASKED)
#define LVT_WMASK_LINT (LVT_WMASK_MODE | LVT_PIN_POLARITY | LVT_TRIGGER_MODE)
#define LVT_WMASK_ERROR (LVT_VECTOR | LAPIC_LVT_MASKED)

/* ICR, Figure 11-12: vector 7:0, delivery mode 10:8, destination mode 11, delivery status 12
 * (read-only), level 14, trigger 15, destination shorthand 19:18; destination 63:56. */
#define ICR_LO_WMASK 0x000ccfffu
#define ICR_HI_WMASK 0xff000000u
#define ICR_DELIVERY_MODE(icr) (((icr) >> 8) & 7)
#define ICR_DEST_LOGICAL(icr) (((icr) >> 11) & 1)
#define ICR_SHORTHAND(icr) (((icr) >> 18) & 3)
#define ICR_DELIVERY_FIXED 0
enum icr_shorthand { SH_NONE = 0, SH_SELF = 1, SH_ALL_INCLUDING_SELF = 2, SH_ALL_EXCLUDING_SELF = 3 };
#define APIC_ID(reg) ((reg) >> 24)
#define BROADCAST_ID 0xff

#define SVR_WMASK 0x000001ffu /* vector (bits 3:0 writable since Pentium 4) and enable; 11.9 */
#define DCR_WMASK 0x0000000bu /* Figure 11-10: bits 0, 1 and 3 */

/* ---- vector bitmaps: ISR, TMR and IRR are 256-bit registers split over 8 slots ---- */

static bool vec_test(const struct lapic *l, unsigned base, unsigned v)
{
	return l->regs[SLOT(base) + v / VECTORS_PER_REG] & (1u << (v % VECTORS_PER_REG));
}

static void vec_set(struct lapic *l, unsigned base, unsigned v)
{
	l->regs[SLOT(base) + v / VECTORS_PER_REG] |= 1u << (v % VECTORS_PER_REG);
}

static void vec_clear(struct lapic *l, unsigned base, unsigned v)
{
	l->regs[SLOT(base) + v / VECTORS_PER_REG] &= ~(1u << (v % VECTORS_PER_REG));
}

static int vec_highest(const struct lapic *l, unsigned base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t w = l->regs[SLOT(base) + (unsigned)i];
		if (w)
			return i * VECTORS_PER_REG + 31 - __builtin_clz(w);
	}
	return -1;
}

/* ---- priorities (11.8.3.1) ---- */

/* PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0, ISRV being the highest in-service vector. */
static uint32_t ppr(const struct lapic *l)
{
	uint32_t tpr = l->regs[SLOT(LAPIC_TPR)] & 0xff;
	int isrv = vec_highest(l, LAPIC_ISR);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;
	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

static bool sw_enabled(const struct lapic *l)
{
	return l->regs[SLOT(LAPIC_SVR)] & LAPIC_SVR_ENABLE;
}

int lapic_pending_vector(const struct lapic *l)
{
	int v = vec_highest(l, LAPIC_IRR);
	if (!sw_enabled(l) || v < 0)
		return -1;
	return ((uint32_t)v & 0xf0) > (ppr(l) & 0xf0) ? v : -1;
}

void lapic_accept(struct lapic *l, int vector)
{
	assert(vector >= FIRST_LEGAL_VECTOR && vector < 256 && vec_test(l, LAPIC_IRR, (unsigned)vector));
	vec_clear(l, LAPIC_IRR, (unsigned)vector);
	vec_set(l, LAPIC_ISR, (unsigned)vector);
}

/* ---- interrupt acceptance and errors ---- */

/*
 * An error is logged for the next ESR write to publish, and raises the LVT Error interrupt
 * (11.5.3). That interrupt's own vector is not checked against 0-15, so errors cannot recurse.
 */
static void log_error(struct lapic *l, uint32_t esr_bits)
{
	uint32_t lvt = l->regs[SLOT(LAPIC_LVT_ERROR)];
	l->esr_pending |= esr_bits;
	if (!(lvt & LAPIC_LVT_MASKED) && (lvt & LVT_VECTOR) >= FIRST_LEGAL_VECTOR)
		vec_set(l, LAPIC_IRR, lvt & LVT_VECTOR);
}

/* A fixed, edge-triggered interrupt arrives: it is latched in IRR (TMR stays clear, 11.8.4). */
static void receive(struct lapic *l, unsigned vector)
{
	if (vector < FIRST_LEGAL_VECTOR)
		log_error(l, LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR);
	else
		vec_set(l, LAPIC_IRR, vector);
}

/* A local interrupt source fires through its LVT entry; a masked entry delivers nothing. */
static void fire_lvt(struct lapic *l, unsigned lvt_offset)
{
	uint32_t lvt = l->regs[SLOT(lvt_offset)];
	if (!(lvt & LAPIC_LVT_MASKED))
		receive(l, lvt & LVT_VECTOR);
}

/* ---- timer (11.5.4) ---- */

/* Figure 11-10: bits 3,1:0 = 000 -> 2, 001 -> 4, ... 110 -> 128, 111 -> 1. */
static unsigned timer_divisor(const struct lapic *l)
{
	uint32_t dcr = l->regs[SLOT(LAPIC_TIMER_DIVIDE)];
	unsigned code = ((dcr >> 1) & 4) | (dcr & 3);
	return code == 7 ? 1 : 2u << code;
}

static bool timer_periodic(const struct lapic *l)
{
	return l->regs[SLOT(LAPIC_LVT_TIMER)] & LAPIC_LVT_TIMER_PERIODIC;
}

static uint64_t timer_expiry(const struct lapic *l)
{
	return l->timer_base + (uint64_t)l->timer_base_count * timer_divisor(l);
}

static void timer_start(struct lapic *l, uint32_t count, uint64_t now)
{
	l->timer_armed = count != 0;
	l->timer_base = now;
	l->timer_base_count = count;
}

/*
 * The count at now. Callers have run lapic_advance(now) first, so an armed timer has not reached
 * 0: a one-shot that did is disarmed, and a periodic one was reloaded at its last expiry (which is
 * why a periodic timer reads its initial count, never 0, at the instant it fires).
 */
static uint32_t timer_current(const struct lapic *l, uint64_t now)
{
	if (!l->timer_armed)
		return 0;
	assert(now >= l->timer_base);
	uint64_t ticks = (now - l->timer_base) / timer_divisor(l);
	assert(ticks < l->timer_base_count);
	return l->timer_base_count - (uint32_t)ticks;
}

void lapic_advance(struct lapic *l, uint64_t now)
{
	if (!l->timer_armed)
		return;
	assert(now >= l->timer_base);
	uint64_t expiry = timer_expiry(l);
	if (now < expiry)
		return;
	fire_lvt(l, LAPIC_LVT_TIMER); /* several missed periods still set one IRR bit */
	if (!timer_periodic(l)) {
		l->timer_armed = false;
		return;
	}
	uint64_t period = (uint64_t)l->regs[SLOT(LAPIC_TIMER_INITIAL)] * timer_divisor(l);
	timer_start(l, l->regs[SLOT(LAPIC_TIMER_INITIAL)], expiry + (now - expiry) / period * period);
}

uint64_t lapic_next_deadline(const struct lapic *l)
{
	if (!l->timer_armed || (l->regs[SLOT(LAPIC_LVT_TIMER)] & LAPIC_LVT_MASKED))
		return UINT64_MAX;
	return timer_expiry(l);
}

/* ---- the register table ---- */

enum { RD = 1, WR = 2 };

struct lapic_reg {
	const char *name;
	uint8_t access;
	uint32_t reset;
	uint32_t wmask; /* bits a write stores */
	uint32_t (*read)(const struct lapic *l, unsigned slot, uint64_t now);
	void (*write)(struct lapic *l, unsigned slot, uint32_t value, uint64_t now);
};

static const struct lapic_reg lapic_regs[LAPIC_REG_SLOTS];

static void store(struct lapic *l, unsigned slot, uint32_t value)
{
	uint32_t wmask = lapic_regs[slot].wmask;
	l->regs[slot] = (l->regs[slot] & ~wmask) | (value & wmask);
}

static uint32_t read_ppr(const struct lapic *l, unsigned slot, uint64_t now)
{
	(void)slot, (void)now;
	return ppr(l);
}

static uint32_t read_current_count(const struct lapic *l, unsigned slot, uint64_t now)
{
	(void)slot;
	return timer_current(l, now);
}

/* 11.8.5: an EOI write retires the highest-priority in-service interrupt; the value is ignored. */
static void write_eoi(struct lapic *l, unsigned slot, uint32_t value, uint64_t now)
{
	(void)slot, (void)value, (void)now;
	int v = vec_highest(l, LAPIC_ISR);
	if (v >= 0)
		vec_clear(l, LAPIC_ISR, (unsigned)v);
}

/* 11.5.3: a write publishes the errors since the previous write; the value written is ignored. */
static void write_esr(struct lapic *l, unsigned slot, uint32_t value, uint64_t now)
{
	(void)value, (void)now;
	l->regs[slot] = l->esr_pending;
	l->esr_pending = 0;
}

static const unsigned lvt_offsets[] = { LAPIC_LVT_CMCI, LAPIC_LVT_TIMER, LAPIC_LVT_THERMAL,
	LAPIC_LVT_PERF, LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERROR };

/* 11.4.7.2: clearing the enable bit masks every LVT entry. */
static void write_svr(struct lapic *l, unsigned slot, uint32_t value, uint64_t now)
{
	(void)now;
	store(l, slot, value);
	if (sw_enabled(l))
		return;
	for (unsigned i = 0; i < sizeof lvt_offsets / sizeof lvt_offsets[0]; i++)
		l->regs[SLOT(lvt_offsets[i])] |= LAPIC_LVT_MASKED;
}

/* 11.4.7.2: while software-disabled, attempts to clear an LVT mask bit are ignored. */
static void write_lvt(struct lapic *l, unsigned slot, uint32_t value, uint64_t now)
{
	(void)now;
	store(l, slot, sw_enabled(l) ? value : value | LAPIC_LVT_MASKED);
}

/*
 * A write of the ICR's low half sends the IPI (11.6.1). Only fixed-mode IPIs that reach this
 * APIC do anything: shorthand self or all-including-self, or physical destination = own ID or
 * broadcast. Delivery is immediate, so the delivery status bit always reads idle.
 */
static bool ipi_reaches_self(const struct lapic *l, uint32_t icr_lo)
{
	uint32_t dest = APIC_ID(l->regs[SLOT(LAPIC_ICR_HI)]);
	switch ((enum icr_shorthand)ICR_SHORTHAND(icr_lo)) {
	case SH_SELF:
	case SH_ALL_INCLUDING_SELF:
		return true;
	case SH_NONE:
		return !ICR_DEST_LOGICAL(icr_lo) &&
		       (dest == APIC_ID(l->regs[SLOT(LAPIC_ID)]) || dest == BROADCAST_ID);
	default:
		return false;
	}
}

static void write_icr_lo(struct lapic *l, unsigned slot, uint32_t value, uint64_t now)
{
	(void)now;
	store(l, slot, value);
	if (ICR_DELIVERY_MODE(value) != ICR_DELIVERY_FIXED)
		return;
	if ((value & LVT_VECTOR) < FIRST_LEGAL_VECTOR) {
		log_error(l, LAPIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	if (ipi_reaches_self(l, value))
		receive(l, value & LVT_VECTOR);
}

/* 11.5.4: writing the initial count (re)starts the countdown from it; 0 stops the timer. */
static void write_initial_count(struct lapic *l, unsigned slot, uint32_t value, uint64_t now)
{
	store(l, slot, value);
	timer_start(l, value, now);
}

/* A new divisor applies from now on; the count reached so far carries over (the partly elapsed
 * tick is dropped: the divider's phase is not architectural). */
static void write_divide(struct lapic *l, unsigned slot, uint32_t value, uint64_t now)
{
	uint32_t count = timer_current(l, now);
	store(l, slot, value);
	if (l->timer_armed)
		timer_start(l, count, now);
}

#define REG(off, nm, acc, rst, wm, rd, wr) [SLOT(off)] = { nm, acc, rst, wm, rd, wr }
#define RANGE8(off, nm) [SLOT(off) ... SLOT(off) + 7] = { nm, RD, 0, 0, NULL, NULL }
#define LVT(off, nm, wm) REG(off, nm, RD | WR, LAPIC_LVT_MASKED, wm, NULL, write_lvt)

/* Table 11-1, with the reset values of 11.4.7.1 and the writable bits of each register's figure. */
static const struct lapic_reg lapic_regs[LAPIC_REG_SLOTS] = {
	REG(LAPIC_ID, "ID", RD | WR, 0, 0xff000000u, NULL, NULL),
	REG(LAPIC_VERSION, "Version", RD, LAPIC_VERSION_VALUE, 0, NULL, NULL),
	REG(LAPIC_TPR, "TPR", RD | WR, 0, 0xffu, NULL, NULL),
	REG(LAPIC_APR, "APR", RD, 0, 0, NULL, NULL),
	REG(LAPIC_PPR, "PPR", RD, 0, 0, read_ppr, NULL),
	REG(LAPIC_EOI, "EOI", WR, 0, 0, NULL, write_eoi),
	REG(LAPIC_RRD, "RRD", RD, 0, 0, NULL, NULL),
	REG(LAPIC_LDR, "LDR", RD | WR, 0, 0xff000000u, NULL, NULL),
	REG(LAPIC_DFR, "DFR", RD | WR, 0xffffffffu, 0xf0000000u, NULL, NULL),
	REG(LAPIC_SVR, "SVR", RD | WR, 0xffu, SVR_WMASK, NULL, write_svr),
	RANGE8(LAPIC_ISR, "ISR"),
	RANGE8(LAPIC_TMR, "TMR"),
	RANGE8(LAPIC_IRR, "IRR"),
	REG(LAPIC_ESR, "ESR", RD | WR, 0, 0, NULL, write_esr),
	LVT(LAPIC_LVT_CMCI, "LVT CMCI", LVT_WMASK_MODE),
	REG(LAPIC_ICR_LO, "ICR low", RD | WR, 0, ICR_LO_WMASK, NULL, write_icr_lo),
	REG(LAPIC_ICR_HI, "ICR high", RD | WR, 0, ICR_HI_WMASK, NULL, NULL),
	LVT(LAPIC_LVT_TIMER, "LVT Timer", LVT_WMASK_TIMER),
	LVT(LAPIC_LVT_THERMAL, "LVT Thermal", LVT_WMASK_MODE),
	LVT(LAPIC_LVT_PERF, "LVT Perf", LVT_WMASK_MODE),
	LVT(LAPIC_LVT_LINT0, "LVT LINT0", LVT_WMASK_LINT),
	LVT(LAPIC_LVT_LINT1, "LVT LINT1", LVT_WMASK_LINT),
	LVT(LAPIC_LVT_ERROR, "LVT Error", LVT_WMASK_ERROR),
	REG(LAPIC_TIMER_INITIAL, "Timer Initial Count", RD | WR, 0, 0xffffffffu, NULL,
	    write_initial_count),
	REG(LAPIC_TIMER_CURRENT, "Timer Current Count", RD, 0, 0, read_current_count, NULL),
	REG(LAPIC_TIMER_DIVIDE, "Timer Divide Configuration", RD | WR, 0, DCR_WMASK, NULL, write_divide),
};

void lapic_init(struct lapic *l)
{
	memset(l, 0, sizeof *l);
	for (unsigned i = 0; i < LAPIC_REG_SLOTS; i++)
		l->regs[i] = lapic_regs[i].reset;
}

/* The table entry for offset, or NULL (misaligned or reserved; a reserved one is an error). */
static const struct lapic_reg *lookup(struct lapic *l, uint32_t offset)
{
	if (offset & 0xf)
		return NULL;
	if (offset < LAPIC_REG_SLOTS * 16 && lapic_regs[SLOT(offset)].access)
		return &lapic_regs[SLOT(offset)];
	log_error(l, LAPIC_ESR_ILLEGAL_REGISTER);
	return NULL;
}

uint32_t lapic_read(struct lapic *l, uint32_t offset, uint64_t now)
{
	lapic_advance(l, now);
	const struct lapic_reg *r = lookup(l, offset);
	if (!r || !(r->access & RD))
		return 0;
	return r->read ? r->read(l, SLOT(offset), now) : l->regs[SLOT(offset)];
}

void lapic_write(struct lapic *l, uint32_t offset, uint32_t value, uint64_t now)
{
	lapic_advance(l, now);
	const struct lapic_reg *r = lookup(l, offset);
	if (!r || !(r->access & WR))
		return;
	if (r->write)
		r->write(l, SLOT(offset), value, now);
	else
		store(l, SLOT(offset), value);
}

const char *lapic_reg_name(uint32_t offset)
{
	if ((offset & 0xf) || offset >= LAPIC_REG_SLOTS * 16)
		return NULL;
	return lapic_regs[SLOT(offset)].name;
}
