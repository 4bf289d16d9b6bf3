/*
 * A local xAPIC as one Broadwell core has it, from the Intel SDM Vol. 3A chapter 11 (APIC):
 * the register page (Table 11-1, "Local APIC Register Address Map"), priorities and EOI
 * (11.8), the error status register (11.5.3), self-IPIs through the ICR (11.6.1) and the timer
 * (11.5.4) counting in virtual time.
 *
 * The device sees register offsets into the 4K page at LAPIC_DEFAULT_BASE; every call takes
 * `now`, the retired-instruction count, and first fires whatever timer expired by then. One
 * timer tick is `divisor` instructions (Figure 11-10), so a count of N expires N * divisor
 * instructions after it was written.
 *
 * Not modelled: x2APIC, TSC-deadline mode (this CPU profile has no CPUID.01H:ECX[24], so LVT timer
 * bit 18 is reserved: writes drop it and mode 2 runs as one-shot, 11.5.4.1), other CPUs (IPIs
 * other than to this APIC are dropped), non-fixed delivery modes, level-triggered sources (TMR
 * stays 0), LINT0/LINT1, thermal, performance and CMCI sources (their LVT entries are storage).
 */
#ifndef HVSIM_SIM_LAPIC_H
#define HVSIM_SIM_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_DEFAULT_BASE 0xfee00000u
#define LAPIC_PAGE_SIZE 0x1000u

/* Register offsets, SDM Table 11-1. ISR, TMR and IRR are 8 registers each, 0x10 apart. */
enum lapic_offset {
	LAPIC_ID = 0x020,
	LAPIC_VERSION = 0x030,
	LAPIC_TPR = 0x080,
	LAPIC_APR = 0x090,
	LAPIC_PPR = 0x0a0,
	LAPIC_EOI = 0x0b0,
	LAPIC_RRD = 0x0c0,
	LAPIC_LDR = 0x0d0,
	LAPIC_DFR = 0x0e0,
	LAPIC_SVR = 0x0f0,
	LAPIC_ISR = 0x100,
	LAPIC_TMR = 0x180,
	LAPIC_IRR = 0x200,
	LAPIC_ESR = 0x280,
	LAPIC_LVT_CMCI = 0x2f0,
	LAPIC_ICR_LO = 0x300,
	LAPIC_ICR_HI = 0x310,
	LAPIC_LVT_TIMER = 0x320,
	LAPIC_LVT_THERMAL = 0x330,
	LAPIC_LVT_PERF = 0x340,
	LAPIC_LVT_LINT0 = 0x350,
	LAPIC_LVT_LINT1 = 0x360,
	LAPIC_LVT_ERROR = 0x370,
	LAPIC_TIMER_INITIAL = 0x380,
	LAPIC_TIMER_CURRENT = 0x390,
	LAPIC_TIMER_DIVIDE = 0x3e0,
};

/* Version register: version 0x14 (integrated xAPIC), Max LVT Entry 6 (seven entries with CMCI). */
#define LAPIC_VERSION_VALUE ((6u << 16) | 0x14u)

#define LAPIC_SVR_ENABLE (1u << 8)   /* APIC software enable (11.9) */
#define LAPIC_LVT_MASKED (1u << 16)  /* Figure 11-8 */
#define LAPIC_LVT_TIMER_PERIODIC (1u << 17)
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)    /* 11.5.3, Figure 11-9 */
#define LAPIC_ESR_RECEIVE_ILLEGAL_VECTOR (1u << 6)
#define LAPIC_ESR_ILLEGAL_REGISTER (1u << 7)

#define LAPIC_REG_SLOTS 64 /* offsets 0x000-0x3f0: one 32-bit register per 16 bytes */

struct lapic {
	uint32_t regs[LAPIC_REG_SLOTS]; /* architectural values, indexed by offset / 16 */
	uint32_t esr_pending;           /* errors seen since the last ESR write (11.5.3) */
	/* Timer: armed means the count was timer_base_count (> 0) at virtual time timer_base. */
	bool timer_armed;
	uint64_t timer_base;
	uint32_t timer_base_count;
};

/* Power-up / reset state (11.4.7.1): software-disabled, every LVT entry masked. */
void lapic_init(struct lapic *l);

/*
 * 32-bit register access at offset (0..0xfff) into the APIC page. Offsets that are not 16-byte
 * aligned read 0 and ignore writes; reserved registers do the same and set ESR bit 7.
 * After any write, the platform should ask lapic_next_deadline again.
 */
uint32_t lapic_read(struct lapic *l, uint32_t offset, uint64_t now);
void lapic_write(struct lapic *l, uint32_t offset, uint32_t value, uint64_t now);

/* Virtual time at which the timer next sets an IRR bit; UINT64_MAX if it will not. */
uint64_t lapic_next_deadline(const struct lapic *l);

/* Fire timers due by now (their IRR bits are set). now must not go backwards. */
void lapic_advance(struct lapic *l, uint64_t now);

/*
 * The vector the APIC presents to the core: the highest IRR vector whose priority class is above
 * PPR's (11.8.3.1, 11.8.4); -1 if none or while software-disabled.
 */
int lapic_pending_vector(const struct lapic *l);

/* The core took vector (from lapic_pending_vector): IRR -> ISR. */
void lapic_accept(struct lapic *l, int vector);

/* The register's name for logs, or NULL for a reserved offset. */
const char *lapic_reg_name(uint32_t offset);

#endif
