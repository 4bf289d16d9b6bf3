/* Faults as values: what the MMU and event logic hand upward instead of acting on the spot. */
#ifndef HVSIM_CPU_FAULT_H
#define HVSIM_CPU_FAULT_H

#include <stdint.h>

/* Architectural exception vectors (SDM Vol. 3, Table 6-1). */
enum x86_vector {
	X86_DE = 0, X86_DB = 1, X86_NMI = 2, X86_BP = 3, X86_OF = 4, X86_BR = 5, X86_UD = 6,
	X86_NM = 7, X86_DF = 8, X86_TS = 10, X86_NP = 11, X86_SS = 12, X86_GP = 13,
	X86_PF = 14, X86_MF = 16, X86_AC = 17, X86_MC = 18, X86_XM = 19, X86_VE = 20,
};

/*
 * Why an access faulted: what hardware cannot tell software and this simulator can.
 * One list, expanded into the enum and the name table.
 */
#define FAULT_REASONS(X)                                                          \
	X(NONE, "none")                                                           \
	X(NOT_PRESENT, "not-present")                                             \
	X(RESERVED, "reserved-bit")                                               \
	X(USER, "user/supervisor")                                                \
	X(WRITE_PROTECT, "write-protect")                                         \
	X(NX, "nx")                                                               \
	X(SMEP, "smep")                                                           \
	X(SMAP, "smap")                                                           \
	X(SMAP_IMPLICIT, "implicit-smap")                                         \
	X(NON_CANONICAL, "non-canonical")                                         \
	X(VM_EXIT, "vm-exit") /* a guest-physical access caused a VM exit (EPT) */ \
	X(UNSUPPORTED_MODE, "unsupported-paging-mode")

enum fault_reason {
#define X(id, name) FAULT_##id,
	FAULT_REASONS(X)
#undef X
	FAULT_REASON_COUNT
};

const char *fault_reason_name(enum fault_reason r);

/* #PF error code (SDM Vol. 3, 4.7 "Page-Fault Exceptions", Figure 4-12). */
typedef union {
	uint32_t raw;
	struct {
		uint32_t present : 1; /* 0: not-present page; 1: protection violation */
		uint32_t write : 1;
		uint32_t user : 1;
		uint32_t rsvd : 1;
		uint32_t fetch : 1;
		uint32_t pk : 1;
		uint32_t ss : 1;
		uint32_t hlat : 1;
		uint32_t : 7;
		uint32_t sgx : 1;
		uint32_t : 16;
	};
} pf_error_t;
_Static_assert(sizeof(pf_error_t) == 4, "#PF error code is 32 bits");

/* A fault travelling upward: delivered as an exception by cpu/events.c, or reported. */
struct fault {
	uint8_t vector;
	uint8_t has_error_code;
	uint8_t reason; /* enum fault_reason */
	uint8_t implicit;
	uint32_t error_code;
	uint64_t cr2;
};

#endif
