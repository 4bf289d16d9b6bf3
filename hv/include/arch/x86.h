/*
 * x86-64 system instructions and architectural constants (SDM Vol. 3), for freestanding code:
 * hv/ and the guest workloads. Nothing here knows whether it runs on hardware or in a simulator.
 */
#ifndef ARCH_X86_H
#define ARCH_X86_H

#include <stdint.h>

/* Control registers (SDM Vol. 3, 2.5). */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_VMXE (1ull << 13)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

/* RFLAGS (SDM Vol. 1, 3.4.3). */
#define RFLAGS_CF (1ull << 0)
#define RFLAGS_FIXED (1ull << 1)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_IOPL (3ull << 12)
#define RFLAGS_NT (1ull << 14)
#define RFLAGS_AC (1ull << 18)

/* MSRs (SDM Vol. 4). */
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Page-table entries (SDM Vol. 3, 4.5, Tables 4-15..4-20). */
#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* Page-fault error code (SDM Vol. 3, 4.7). */
#define PFEC_P (1u << 0)
#define PFEC_W (1u << 1)
#define PFEC_U (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_I (1u << 4)

/* CPUID feature bits hv looks at. */
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_7_EBX_SMEP (1u << 7)
#define CPUID_7_EBX_SMAP (1u << 20)

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Flat 64-bit descriptors (SDM Vol. 3, 3.4.5 and 5.2.1): type, S, DPL, P, L/D/G. */
#define DESC_KCODE64 0x00af9b000000ffffull
#define DESC_KDATA 0x00cf93000000ffffull
#define DESC_UCODE32 0x00cffb000000ffffull
#define DESC_UDATA 0x00cff3000000ffffull
#define DESC_UCODE64 0x00affb000000ffffull

/* The 64-bit TSS (SDM Vol. 3, Figure 8-11). */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

/* A 64-bit IDT gate (SDM Vol. 3, Figure 6-8). */
struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type_attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");

#define DEFINE_CR(n)                                                                    \
	static inline uint64_t read_cr##n(void)                                         \
	{                                                                               \
		uint64_t v;                                                             \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                       \
		return v;                                                               \
	}                                                                               \
	static inline void write_cr##n(uint64_t v)                                      \
	{                                                                               \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");              \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void stac(void) { __asm__ volatile("stac" ::: "memory"); }
static inline void clac(void) { __asm__ volatile("clac" ::: "memory"); }
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

static inline uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline void lgdt(const struct desc_ptr *d) { __asm__ volatile("lgdt %0" : : "m"(*d) : "memory"); }
static inline void lidt(const struct desc_ptr *d) { __asm__ volatile("lidt %0" : : "m"(*d) : "memory"); }
static inline void sgdt(struct desc_ptr *d) { __asm__ volatile("sgdt %0" : "=m"(*d)); }
static inline void sidt(struct desc_ptr *d) { __asm__ volatile("sidt %0" : "=m"(*d)); }
static inline void ltr(uint16_t sel) { __asm__ volatile("ltr %0" : : "r"(sel)); }

#endif
