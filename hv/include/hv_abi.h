/*
 * The hypervisor's guest ABI: how a guest calls hv, and what hv tells a guest at boot. This file is
 * the contract between hv/ and workloads/; both include it, and nothing else crosses.
 *
 * Hypercalls
 *   PV guests (ring 3):  SYSCALL, VMX guests: VMCALL.
 *   RAX = hypercall number (all 64 bits count), arguments in RDI, RSI, RDX, R10; the result
 *   comes back in RAX (>= 0 success, < 0 a negated HV_E* error). SYSCALL clobbers RCX and R11 as
 *   the instruction does; every other register, and all of them after VMCALL, are kept. Guest pointers are guest-virtual addresses, checked and
 *   copied by hv's copy helpers: a bad pointer returns -HV_EFAULT, never crashes hv. A buffer must
 *   lie in [4 KiB, guest RAM size) in the guest's addresses: the NULL page is never valid, and a
 *   length that reaches past RAM (or wraps around) is -HV_EFAULT too.
 *
 * Boot state of a guest under hv (hvsim's ELF64 boot state, README "Booting", plus RDX):
 *   64-bit mode; RDI = guest RAM size in bytes; RSI = the guest's command line (NUL-terminated);
 *   RDX = HV_BOOT_PV (CPL 3, guest RAM mapped user at its own addresses, no port I/O) or
 *   HV_BOOT_VMX (CPL 0 in VMX non-root with EPT, identity-mapped RAM, COM1 and port 0xf4 work);
 *   anything else means no hypervisor (bare metal or hvsim run). RSP starts 64 KiB below the top of
 *   guest RAM; the top 64 KiB hold the boot GDT, page tables and command line (VMX) or the
 *   command line (PV).
 */
#ifndef HV_ABI_H
#define HV_ABI_H

#include <stdint.h>

#define HV_BOOT_PV 0x48565056u  /* "HVPV" */
#define HV_BOOT_VMX 0x48564d58u /* "HVMX" */

enum hv_hypercall {
	HC_CONSOLE_WRITE = 0, /* (const char *buf, uint64_t len) -> bytes written */
	HC_MEMINFO = 1,       /* (struct hv_meminfo *out) -> 0 */
	HC_LOGDIRTY = 2,      /* (enum hv_logdirty_op op, void *bitmap, uint64_t bytes) -> see op */
	HC_YIELD = 3,         /* () -> 0: give hv a chance to run (migration work) */
	HC_REPORT = 4,        /* (enum hv_result r, const char *msg) -> does not return,
			       * r must be 0, 1, 3 or 4; msg must be readable (NULL is not);
			       * unless r is not an hv_result (-HV_EINVAL) or msg is bad (-HV_EFAULT) */
	HC_UNSAFE_READ = 5,   /* (const void *buf, uint64_t len) -> byte sum; HV_UNSAFE_DEMO builds only */
	HC_COUNT
};

/* Errors, as negated return values. */
#define HV_EFAULT 14 /* a guest pointer does not map guest memory the call may touch */
#define HV_EINVAL 22 /* an argument is out of range */
#define HV_ENOSYS 38 /* no such hypercall (or not in this build, or not for this guest type) */
#define HV_EBUSY 16  /* log-dirty is already in use (by a migration) */

/* What a guest reports (XTF's meanings, workloads/lib/workload.h). */
enum hv_result { HV_RESULT_SUCCESS = 0, HV_RESULT_FAILURE = 1, HV_RESULT_ERROR = 3, HV_RESULT_SKIP = 4 };

struct hv_meminfo {
	uint64_t ram_bytes;  /* guest RAM, [0, ram_bytes) */
	uint64_t page_size;  /* 4096 */
	uint64_t guest_type; /* HV_BOOT_PV or HV_BOOT_VMX */
	uint64_t migrations; /* completed live migrations of this guest so far */
};

/*
 * HC_LOGDIRTY: a guest tracks its own writes through hv's tracker (VMX guests only).
 *   ENABLE  start tracking with the tracker hv was booted with; clears the log. -> 0
 *   HARVEST copy the dirty bitmap (one bit per 4K guest page, bit n of byte n/8 = page n) into
 *           bitmap[0..bytes), and clear it. -> dirty pages. -HV_EINVAL before ENABLE or when
 *           bytes cannot hold a bit per page; -HV_EFAULT (log kept) for a bad buffer.
 *   DISABLE stop tracking. -> 0
 */
enum hv_logdirty_op { HV_LOGDIRTY_ENABLE = 0, HV_LOGDIRTY_HARVEST = 1, HV_LOGDIRTY_DISABLE = 2 };

#endif
