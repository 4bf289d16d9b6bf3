/*
 * Hypercalls to hv (hv/include/hv_abi.h): the guest type hv announced in RDX at entry, and one call
 * that picks the instruction for it: SYSCALL in a PV guest (ring 3; the instruction clobbers RCX
 * and R11), VMCALL in a VMX guest (clobbers nothing). Without hv a call does nothing and returns
 * -HV_ENOSYS: no instruction is executed, so bare metal never sees a stray SYSCALL or VMCALL.
 */
#ifndef WORKLOAD_HYPERCALL_H
#define WORKLOAD_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

#include <hv_abi.h>

#define HV_GUEST_NONE 0u /* hv_guest_type() without hv; the others are HV_BOOT_PV, HV_BOOT_VMX */

static inline long hv_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t r10 __asm__("r10") = a3;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long hv_vmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t r10 __asm__("r10") = a3;
	long ret;
	__asm__ volatile("vmcall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
			 : "memory");
	return ret;
}

/* Record what RDX said at entry (the runtime does this before main). */
void hv_init(uint64_t boot_rdx);
/* HV_BOOT_PV, HV_BOOT_VMX or HV_GUEST_NONE. */
uint32_t hv_guest_type(void);
/* "bare", "PV" or "VMX". */
const char *hv_guest_name(void);
static inline bool hv_present(void) { return hv_guest_type() != HV_GUEST_NONE; }

/* Result >= 0, or a negated HV_E* error; -HV_ENOSYS without hv. */
long hv_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* HC_YIELD at most once per 'interval' TSC ticks (0: never), for loops that run a long time. */
struct hv_yield_clock {
	uint64_t interval, next;
};
void hv_yield_clock_start(struct hv_yield_clock *c, uint64_t interval);
void hv_yield_if_due(struct hv_yield_clock *c);

#endif
