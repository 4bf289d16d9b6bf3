#define _GNU_SOURCE
#include "cpu/uc_glue.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/cr.h"
#include "cpu/glue_virt.h"
#include "cpu/profile.h"

typedef bool (*fill_fn)(void *cs, uint64_t addr, int size, int rw, int mmu_idx, bool probe,
			uintptr_t retaddr);
typedef void (*raise_fn)(void *env, int intno, int error_code, uintptr_t retaddr);
typedef void (*helper_fn)(void *env);
typedef void (*hlt_fn)(void *env, int next_eip_addend);
typedef void (*write_cr_fn)(void *env, int reg, uint64_t value);

static fill_fn real_fill;
static helper_fn real_rdmsr, real_wrmsr;
static hlt_fn real_hlt;
static write_cr_fn real_write_cr;
static raise_fn raise_exception_err_ra;
static __thread struct cpu *current;
static __thread int current_idx = GLUE_IDX_UNKNOWN;
static __thread uint64_t current_addr;
static __thread bool current_addr_valid;
static __thread void *seen_env;

/* Exported replacements: prototypes so -Wmissing-prototypes stays quiet. */
bool unicorn_fill_tlb_x86_64(void *cs, uint64_t addr, int size, int rw, int mmu_idx, bool probe,
			     uintptr_t retaddr);
void helper_rdmsr_x86_64(void *env);
void helper_wrmsr_x86_64(void *env);
uint64_t cpu_get_tsc_x86_64(void *env);
void helper_hlt_x86_64(void *env, int next_eip_addend);
void helper_write_crN_x86_64(void *env, int reg, uint64_t value);

bool unicorn_fill_tlb_x86_64(void *cs, uint64_t addr, int size, int rw, int mmu_idx, bool probe,
			     uintptr_t retaddr)
{
	int saved = current_idx;
	current_idx = mmu_idx;
	current_addr = addr;
	current_addr_valid = true;
	bool ok = real_fill(cs, addr, size, rw, mmu_idx, probe, retaddr);
	current_idx = saved;
	current_addr_valid = false;
	return ok;
}

/* RDMSR/WRMSR reach here only at CPL 0 (QEMU raises #GP at CPL > 0 before the call). */
void helper_rdmsr_x86_64(void *env)
{
	struct cpu *cpu = current;
	uint32_t index = (uint32_t)cpu_get(cpu, UC_X86_REG_RCX);
	uint64_t value;

	seen_env = env;
	glue_virt_exit(env, (struct virt_event){ .kind = VIRT_RDMSR, .msr.index = index },
		       (uintptr_t)__builtin_return_address(0));
	switch (profile_rdmsr(cpu, index, &value)) {
	case MSR_DONE:
		cpu_set(cpu, UC_X86_REG_RAX, (uint32_t)value);
		cpu_set(cpu, UC_X86_REG_RDX, value >> 32);
		break;
	case MSR_UNICORN:
		real_rdmsr(env);
		break;
	case MSR_GP:
		/* Only a guest instruction can fault; hvsim's own accesses (cpu_rdmsr) see no MSR. */
		if (cpu->executing && !cpu->own_msr_access)
			raise_exception_err_ra(env, X86_GP, 0, (uintptr_t)__builtin_return_address(0));
	}
}

void helper_wrmsr_x86_64(void *env)
{
	struct cpu *cpu = current;
	uint32_t index = (uint32_t)cpu_get(cpu, UC_X86_REG_RCX);
	uint64_t value = (uint32_t)cpu_get(cpu, UC_X86_REG_RAX) |
			 (cpu_get(cpu, UC_X86_REG_RDX) << 32);

	glue_virt_exit(env, (struct virt_event){ .kind = VIRT_WRMSR, .msr.index = index },
		       (uintptr_t)__builtin_return_address(0));
	switch (profile_wrmsr(cpu, index, value)) {
	case MSR_DONE:
		break;
	case MSR_UNICORN:
		real_wrmsr(env);
		break;
	case MSR_GP:
		/* Only a guest instruction can fault; hvsim's own accesses (cpu_rdmsr) see no MSR. */
		if (cpu->executing && !cpu->own_msr_access)
			raise_exception_err_ra(env, X86_GP, 0, (uintptr_t)__builtin_return_address(0));
	}
}

uint64_t cpu_get_tsc_x86_64(void *env)
{
	(void)env;
	if (!current)
		return 0;
	return cpu_now(current) + current->tsc_offset + (current->nonroot ? current->tsc_offset_guest : 0);
}

/*
 * MOV to CR0/CR2/CR3/CR4/CR8, reached only at CPL 0 (QEMU raises #GP at CPL > 0 before the
 * call). What the write may do is decided in cpu/cr.c; QEMU performs it, but for CR8, the
 * platform's APIC TPR (cpu/cr.h).
 */
void helper_write_crN_x86_64(void *env, int reg, uint64_t value)
{
	struct virt_event ev = { .kind = VIRT_CR_WRITE, .cr = { .cr = (uint8_t)reg, .value = value } };

	/* A CR-access VM exit comes before the #GP checks (SDM Vol. 3, 26.1.1). */
	glue_virt_exit(env, ev, (uintptr_t)__builtin_return_address(0));
	/* Non-root without an exit: bits the host owns (guest/host mask) keep their value (26.3). */
	if (current && current->nonroot && (reg == 0 || reg == 4))
		value = current->virt->cr_write(current, (unsigned)reg, value,
						cpu_get(current, reg ? UC_X86_REG_CR4 : UC_X86_REG_CR0));
	if (current && cr_write_check(current, (unsigned)reg, value) == CR_WRITE_GP)
		raise_exception_err_ra(env, X86_GP, 0, (uintptr_t)__builtin_return_address(0));
	if (current && reg == 8)
		cr8_write(current, value);
	else
		real_write_cr(env, reg, value);
}

/*
 * HLT ends uc_emu_start like a stop request does; remember that it was HLT. Unicorn also
 * imitates a HLT of length 0 at the address a run was told to stop at (cpu/run.c runs parts of
 * blocks that way): that one is not the guest's.
 */
void helper_hlt_x86_64(void *env, int next_eip_addend)
{
	if (current && next_eip_addend)
		current->hlt_executed = true;
	real_hlt(env, next_eip_addend);
}

static bool is_ours(const char *name, void *ours, char *why, unsigned len)
{
	void *seen = dlsym(RTLD_DEFAULT, name);
	if (seen != ours) {
		snprintf(why, len, "libunicorn does not call hvsim's %s (not exported or not interposable)",
			 name);
		return false;
	}
	return true;
}

bool glue_check(char *why, unsigned len)
{
	real_fill = (fill_fn)dlsym(RTLD_NEXT, "unicorn_fill_tlb_x86_64");
	raise_exception_err_ra = (raise_fn)dlsym(RTLD_NEXT, "raise_exception_err_ra_x86_64");
	real_rdmsr = (helper_fn)dlsym(RTLD_NEXT, "helper_rdmsr_x86_64");
	real_wrmsr = (helper_fn)dlsym(RTLD_NEXT, "helper_wrmsr_x86_64");
	real_hlt = (hlt_fn)dlsym(RTLD_NEXT, "helper_hlt_x86_64");
	real_write_cr = (write_cr_fn)dlsym(RTLD_NEXT, "helper_write_crN_x86_64");
	if (!real_fill || !raise_exception_err_ra || !real_rdmsr || !real_wrmsr || !real_hlt ||
	    !real_write_cr) {
		snprintf(why, len, "libunicorn lacks one of unicorn_fill_tlb, raise_exception_err_ra, helper_rdmsr/wrmsr/hlt/write_crN "
				   "(need Unicorn >= 2.1 built with exported QEMU helpers)");
		return false;
	}
	return is_ours("unicorn_fill_tlb_x86_64", (void *)unicorn_fill_tlb_x86_64, why, len) &&
	       is_ours("helper_rdmsr_x86_64", (void *)helper_rdmsr_x86_64, why, len) &&
	       is_ours("helper_wrmsr_x86_64", (void *)helper_wrmsr_x86_64, why, len) &&
	       is_ours("cpu_get_tsc_x86_64", (void *)cpu_get_tsc_x86_64, why, len) &&
	       is_ours("helper_hlt_x86_64", (void *)helper_hlt_x86_64, why, len) &&
	       is_ours("helper_write_crN_x86_64", (void *)helper_write_crN_x86_64, why, len);
}

void glue_enter(struct cpu *cpu)
{
	current = cpu;
}

void glue_leave(void)
{
	current = NULL;
}

struct cpu *glue_cpu(void)
{
	return current;
}

void *glue_env_seen(struct cpu *cpu)
{
	seen_env = NULL;
	cpu_rdmsr(cpu, MSR_EFER); /* through the API while cpu->env is not located yet */
	return seen_env;
}

void glue_raise(void *env, int vector, uintptr_t retaddr)
{
	raise_exception_err_ra(env, vector, 0, retaddr);
	__builtin_unreachable();
}

int glue_mmu_idx(void)
{
	return current_idx;
}

uint64_t glue_fault_address(uint64_t page)
{
	if (current_addr_valid && (current_addr & ~0xfffull) == page)
		return current_addr;
	return page;
}
