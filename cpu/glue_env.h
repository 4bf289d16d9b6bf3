/*
 * QEMU's CPU state (CPUX86State) read in place. A uc_reg_read is a library call into a switch
 * of several hundred cases, and one VM exit round trip made about 200 of them (an MSR read
 * three more, through the interposed helper_rdmsr). Where Unicorn's reg_read and QEMU's
 * helper_rdmsr copy a register straight out of a field, hvsim reads that field itself: the
 * general registers, RIP, CR0/CR3/CR4, DR0-DR7, the CS/SS/DS/ES selectors, the FS/GS bases,
 * GDTR/IDTR/LDTR/TR and the MSRs EFER, PAT and SYSENTER_CS/ESP/EIP. RFLAGS is not a field
 * (QEMU computes it from its lazy condition codes). Writes always go through Unicorn's API:
 * they have side effects (hflags, TLB flushes, leaving the JIT).
 *
 * Nothing about the layout is assumed. At start-up each field is found by writing two marker
 * values through the API and looking for the one offset of a saved CPU context (a copy of the
 * state) that held both; the state itself is reached through the pointer QEMU passes to the
 * interposed helper_rdmsr. A field that is not found, or does not read back what the API reads,
 * is read through the API as before. QEMU's exception record (cpu/glue_exc.c) is located here
 * too, beside DR0-DR7.
 */
#ifndef HVSIM_CPU_GLUE_ENV_H
#define HVSIM_CPU_GLUE_ENV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unicorn/unicorn.h>

struct cpu;

/* The MSRs read in place (QEMU's helper_rdmsr returns a field for each). */
enum glue_env_msr { GLUE_MSR_EFER, GLUE_MSR_PAT, GLUE_MSR_SYSENTER_CS, GLUE_MSR_SYSENTER_ESP,
		    GLUE_MSR_SYSENTER_EIP, GLUE_MSR_COUNT };

/* The descriptor-table registers and their parts read in place (GDTR, IDTR: base and limit). */
enum glue_env_table { GLUE_GDTR, GLUE_IDTR, GLUE_LDTR, GLUE_TR, GLUE_TABLE_COUNT };
enum glue_env_part { GLUE_SELECTOR, GLUE_BASE, GLUE_LIMIT, GLUE_FLAGS, GLUE_PART_COUNT };

/* Where a field is: offset + 1 in the state (0: not found), and how many bytes it holds. */
struct glue_env_field {
	uint16_t at;
	uint8_t width; /* 8 or 4 */
};

struct glue_env {
	uint8_t *base; /* this engine's CPUX86State; NULL until located */
	struct glue_env_field reg[UC_X86_REG_ENDING];
	struct glue_env_field msr[GLUE_MSR_COUNT];
	struct glue_env_field table[GLUE_TABLE_COUNT][GLUE_PART_COUNT];
	/* QEMU's error_code, exception_is_int and old_exception (cpu/glue_exc.c). */
	struct glue_env_field exc_error, exc_is_int, exc_old;
};

/* Locate this engine's state; false (with 'why') if even the exception record is not found. */
bool glue_env_locate(struct cpu *cpu, char *why, unsigned len);

static inline uint64_t glue_env_load(const struct glue_env *g, struct glue_env_field f)
{
	const uint8_t *p = g->base + f.at - 1;
	uint64_t v64;
	uint32_t v32;

	if (f.width == 8) {
		memcpy(&v64, p, sizeof v64);
		return v64;
	}
	memcpy(&v32, p, sizeof v32);
	return v32;
}

/* The register 'reg' (UC_X86_REG_*) read in place; false: read it through the API. */
static inline bool glue_env_reg(const struct glue_env *g, int reg, uint64_t *v)
{
	if ((unsigned)reg >= UC_X86_REG_ENDING || !g->reg[reg].at)
		return false;
	*v = glue_env_load(g, g->reg[reg]);
	return true;
}

/* The MSR 'index' read in place, when it is one of enum glue_env_msr and was found. */
bool glue_env_msr(const struct glue_env *g, uint32_t index, uint64_t *v);
/* GDTR, IDTR, LDTR or TR read in place into '*m' (zeroed by the caller), as uc_reg_read fills it. */
bool glue_env_mmr(const struct glue_env *g, int reg, uc_x86_mmr *m);

#endif
