/*
 * CPU profiles: what CPUID reports and which MSRs exist, as tables (cpu/cpuid_bits.def,
 * cpu/profile.c). The default is a Broadwell-EP (Xeon E5-2699 v4) as far as the instruction
 * emulator can honour it: features Unicorn cannot execute (AVX, AVX2, FMA, F16C, XSAVE, TSX, MPX)
 * or that would break determinism (RDRAND, RDSEED) are not reported.
 */
#ifndef HVSIM_CPU_PROFILE_H
#define HVSIM_CPU_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

struct cpu_profile {
	const char *name;
	const char *summary;
	bool smap, smep, vmx, pml, ept_ad;
};

const struct cpu_profile *profile_find(const char *name); /* NULL name: the default */
const struct cpu_profile *profile_at(unsigned i);           /* NULL past the end */

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};
void profile_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *out);

/* CR4 bits this profile does not support (its CPUID lacks their feature): MOV to CR4 #GPs. */
uint64_t profile_cr4_reserved(const struct cpu_profile *p);

enum msr_result { MSR_DONE, MSR_UNICORN, MSR_GP };
enum msr_result profile_rdmsr(struct cpu *cpu, uint32_t index, uint64_t *value);
enum msr_result profile_wrmsr(struct cpu *cpu, uint32_t index, uint64_t value);

#define MSR_IA32_TSC 0x10
#define MSR_IA32_APIC_BASE 0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_EFER 0xc0000080

#endif
