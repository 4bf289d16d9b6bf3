/*
 * QEMU's CPU state read in place (cpu/glue_env.c) must read what Unicorn's own API reads: each
 * register is written through the API with values unlike the start-up markers, then read both
 * ways. The oracle is uc_reg_read, never the in-place path.
 */
#include <stdlib.h>

#include <unicorn/unicorn.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"
#include "tests/lib/harness.h"

#define RAM (4ull << 20)
#define MSR_PAT 0x277
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

static struct cpu cpu;
static uint8_t *ram;

static void setup(void)
{
	struct cpu_config cc = { .ram_size = RAM };
	ram = calloc(1, RAM);
	ck_assert_ptr_nonnull(ram);
	ck_assert_int_eq(cpu_init(&cpu, &cc, ram), CPU_OK);
}

static void teardown(void)
{
	cpu_destroy(&cpu);
	free(ram);
}

static uint64_t api_reg(int reg)
{
	uint64_t v = 0;
	ck_assert_int_eq(uc_reg_read(cpu.uc, reg, &v), UC_ERR_OK);
	return v;
}

static uint64_t api_msr(uint32_t index)
{
	uc_x86_msr m = { .rid = index };
	cpu.own_msr_access = true;
	ck_assert_int_eq(uc_reg_read(cpu.uc, UC_X86_REG_MSR, &m), UC_ERR_OK);
	cpu.own_msr_access = false;
	return m.value;
}

/* What the run loop and VM entry/exit read on every transition is not left to the API. */
START_TEST(hot_registers_are_read_in_place)
{
	static const int regs[] = { UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RIP,
				    UC_X86_REG_CR0, UC_X86_REG_CR3, UC_X86_REG_CR4,
				    UC_X86_REG_CS, UC_X86_REG_FS_BASE, UC_X86_REG_DR7 };
	uint64_t v;
	uc_x86_mmr m;

	for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
		ck_assert_msg(glue_env_reg(&cpu.env, regs[i], &v), "register %d not found", regs[i]);
	ck_assert(glue_env_msr(&cpu.env, MSR_EFER, &v));
	ck_assert(glue_env_msr(&cpu.env, MSR_SYSENTER_CS, &v));
	ck_assert(glue_env_mmr(&cpu.env, UC_X86_REG_GDTR, &m));
	ck_assert(glue_env_mmr(&cpu.env, UC_X86_REG_TR, &m));
}
END_TEST

START_TEST(registers_read_what_the_api_reads)
{
	static const int regs[] = {
		UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
		UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9,
		UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
		UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_CR3, UC_X86_REG_FS_BASE,
		UC_X86_REG_GS_BASE, UC_X86_REG_DR0, UC_X86_REG_DR3, UC_X86_REG_DR6, UC_X86_REG_DR7,
	};
	static const int sels[] = { UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_ES };

	for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++) {
		cpu_set(&cpu, regs[i], 0x0123456789abc000ull + 0x111 * i);
		ck_assert_uint_eq(cpu_get(&cpu, regs[i]), api_reg(regs[i]));
	}
	for (unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++) {
		cpu_set(&cpu, sels[i], 0x10 + 8 * i);
		ck_assert_uint_eq(cpu_get(&cpu, sels[i]), api_reg(sels[i]));
	}
	/* Bits whose writes change nothing else: CR0.MP, CR4.OSFXSR (SDM Vol. 3, 2.5). */
	cpu_set(&cpu, UC_X86_REG_CR0, cpu_get(&cpu, UC_X86_REG_CR0) ^ (1ull << 1));
	ck_assert_uint_eq(cpu_get(&cpu, UC_X86_REG_CR0), api_reg(UC_X86_REG_CR0));
	cpu_set(&cpu, UC_X86_REG_CR4, cpu_get(&cpu, UC_X86_REG_CR4) ^ (1ull << 9));
	ck_assert_uint_eq(cpu_get(&cpu, UC_X86_REG_CR4), api_reg(UC_X86_REG_CR4));
}
END_TEST

START_TEST(msrs_read_what_the_api_reads)
{
	static const struct {
		uint32_t index;
		uint64_t value;
	} msrs[] = {
		{ MSR_EFER, 0 }, /* toggled below */
		{ MSR_PAT, 0x0007040600070406ull },
		{ MSR_SYSENTER_CS, 0x12345 }, /* QEMU keeps 16 bits of it */
		{ MSR_SYSENTER_ESP, 0xffff800012345678ull },
		{ MSR_SYSENTER_EIP, 0xffff80009abcdef0ull },
	};

	for (unsigned i = 0; i < sizeof msrs / sizeof msrs[0]; i++) {
		uint64_t v = msrs[i].index == MSR_EFER ? cpu_rdmsr(&cpu, MSR_EFER) ^ EFER_NXE
						       : msrs[i].value;
		cpu_wrmsr(&cpu, msrs[i].index, v);
		ck_assert_uint_eq(cpu_rdmsr(&cpu, msrs[i].index), api_msr(msrs[i].index));
	}
}
END_TEST

START_TEST(table_registers_read_what_the_api_reads)
{
	static const int regs[] = { UC_X86_REG_GDTR, UC_X86_REG_IDTR, UC_X86_REG_LDTR,
				    UC_X86_REG_TR };

	for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++) {
		uc_x86_mmr set = { .selector = (uint16_t)(0x28 + 8 * i),
				   .base = 0xffff800000001000ull * (i + 1), .limit = 0x1234567u + i,
				   .flags = 0x8b00u + i },
			   in_place, api = { 0 };
		cpu_set_mmr(&cpu, regs[i], &set);
		cpu_get_mmr(&cpu, regs[i], &in_place);
		ck_assert_int_eq(uc_reg_read(cpu.uc, regs[i], &api), UC_ERR_OK);
		ck_assert_uint_eq(in_place.selector, api.selector);
		ck_assert_uint_eq(in_place.base, api.base);
		ck_assert_uint_eq(in_place.limit, api.limit);
		ck_assert_uint_eq(in_place.flags, api.flags);
	}
}
END_TEST

Suite *suite_glue_env(void)
{
	Suite *s = suite_create("cpu/glue-env");
	TCase *tc = tcase_create("in-place");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hot_registers_are_read_in_place);
	tcase_add_test(tc, registers_read_what_the_api_reads);
	tcase_add_test(tc, msrs_read_what_the_api_reads);
	tcase_add_test(tc, table_registers_read_what_the_api_reads);
	suite_add_tcase(s, tc);
	return s;
}
