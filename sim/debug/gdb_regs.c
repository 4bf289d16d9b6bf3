/*
 * Register values for gdb: 64-bit registers and MSRs through the debugging engine and the CPU
 * model; x87 and SSE state, wider than the engine's 64-bit accessors, read as bytes from Unicorn.
 * All little-endian, as gdb's amd64 target descriptions lay them out.
 */
#include <string.h>

#include <unicorn/unicorn.h>

#include "cpu/cpu.h"
#include "cpu/cr.h"
#include "sim/debug/gdb_regs.h"

/* x87 status word TOP field (SDM Vol. 1, 8.1.3 "x87 FPU Status Register"): ST(i) = R((TOP+i) mod 8). */
#define FPSW_TOP_SHIFT 11
#define FPSW_TOP_MASK 7u

static void put_le(uint8_t *buf, unsigned bytes, uint64_t v)
{
	for (unsigned i = 0; i < bytes; i++)
		buf[i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static uint64_t get_le(const uint8_t *buf, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && i < 8; i++)
		v |= (uint64_t)buf[i] << (8 * i);
	return v;
}

/*
 * A register as Unicorn stores it, as bytes. The buffer is larger than any x86 register Unicorn
 * writes (an XMM register's 16 bytes, an x87 slot's 10), so a register read never overruns it.
 */
static void read_wide(struct dbg *d, int uc_reg, uint8_t *buf, unsigned bytes)
{
	uint8_t raw[64] = { 0 };
	uc_reg_read(dbg_machine(d)->cpu.uc, uc_reg, raw);
	memcpy(buf, raw, bytes);
}

/* Unicorn's FP0..FP7 are the physical x87 registers R0..R7: gdb's st0..st7 are ST(0)..ST(7). */
static int st_to_uc(struct dbg *d, int st)
{
	unsigned top = (unsigned)(dbg_reg(d, UC_X86_REG_FPSW) >> FPSW_TOP_SHIFT) & FPSW_TOP_MASK;
	return UC_X86_REG_FP0 + (int)((top + (unsigned)st) & 7);
}

void gdb_reg_read(struct dbg *d, unsigned n, uint8_t *buf)
{
	const struct gdb_reg *r = &gdb_regs[n];
	switch (r->source) {
	case GDB_SRC_REG:
		put_le(buf, r->bytes, dbg_reg(d, r->id));
		break;
	case GDB_SRC_MSR:
		put_le(buf, r->bytes, cpu_rdmsr(&dbg_machine(d)->cpu, (uint32_t)r->id));
		break;
	case GDB_SRC_WIDE:
		read_wide(d, r->id, buf, r->bytes);
		break;
	case GDB_SRC_ST:
		read_wide(d, st_to_uc(d, r->id), buf, r->bytes);
		break;
	}
}

bool gdb_reg_write(struct dbg *d, unsigned n, const uint8_t *buf)
{
	const struct gdb_reg *r = &gdb_regs[n];
	uint8_t now[GDB_REG_MAX_BYTES];

	gdb_reg_read(d, n, now);
	if (!memcmp(now, buf, r->bytes))
		return true;
	switch (r->source) {
	case GDB_SRC_REG:
		if (r->id == UC_X86_REG_CR2)
			cpu_set_cr2(&dbg_machine(d)->cpu, get_le(buf, r->bytes)); /* see cpu_set_cr2 */
		else if (r->id == UC_X86_REG_CR8 &&
			 cr_write_check(&dbg_machine(d)->cpu, 8, get_le(buf, r->bytes)) != CR_WRITE_OK)
			return false; /* reserved bits: MOV to CR8 would #GP */
		else
			dbg_set_reg(d, r->id, get_le(buf, r->bytes));
		return true;
	case GDB_SRC_MSR:
		cpu_wrmsr(&dbg_machine(d)->cpu, (uint32_t)r->id, get_le(buf, r->bytes));
		return true;
	case GDB_SRC_WIDE:
	case GDB_SRC_ST:
		break;
	}
	return false;
}
