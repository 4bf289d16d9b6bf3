/*
 * EPT: guest-physical to host-physical translation for VMX non-root operation, with the
 * accessed/dirty flags and Page-Modification Logging (SDM Vol. 3, 29.3 "The Extended Page Table
 * Mechanism (EPT)": 29.3.2 translation, 29.3.3 misconfigurations and violations, 29.3.5 accessed
 * and dirty flags, 29.3.6 page-modification logging). The walk itself is cpu/pagewalk.c with the
 * EPT entry format; this file adds what only EPT has.
 */
#ifndef HVSIM_VMX_EPT_H
#define HVSIM_VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/mmu.h"
#include "cpu/phys.h"

/* EPTP (SDM Vol. 3, 25.6.11 "Extended-Page-Table Pointer (EPTP)"). */
typedef union {
	uint64_t raw;
	struct {
		uint64_t memtype : 3;     /* 0 = UC, 6 = WB */
		uint64_t walk_length : 3; /* page-walk length - 1 */
		uint64_t ad : 1;          /* accessed and dirty flags enabled */
		uint64_t sss : 1;         /* supervisor shadow stacks (not on Broadwell: reserved) */
		uint64_t : 4;
		uint64_t pfn : 52;
	};
} eptp_t;
_Static_assert(sizeof(eptp_t) == 8, "EPTP is 64 bits");

/* What the CPU supports (from IA32_VMX_EPT_VPID_CAP, SDM Vol. 3, A.10). */
struct ept_caps {
	bool execute_only; /* bit 0 */
	bool wb, uc;       /* bits 14, 8: EPTP memory types */
	bool ad;           /* bit 21 */
	bool pages_2m, pages_1g; /* bits 16, 17 */
	unsigned maxphyaddr;
};

/* Why an EPTP is invalid for VM entry (SDM Vol. 3, 27.2.1.1), or EPTP_OK. */
enum eptp_check { EPTP_OK, EPTP_MEMTYPE, EPTP_WALK_LENGTH, EPTP_AD, EPTP_RESERVED };
enum eptp_check ept_check_eptp(const struct ept_caps *caps, uint64_t eptp);
const char *eptp_check_name(enum eptp_check c);

/* The translation context of one VM: taken from the current VMCS by vmx/. */
struct ept_ctx {
	struct phys *phys;
	const struct ept_caps *caps;
	uint64_t eptp;
	bool pml;              /* "enable PML" (secondary control bit 17); requires eptp.ad to log */
	uint64_t pml_address;  /* 4K-aligned host-physical address of the log */
	uint16_t pml_index;    /* in/out: the PML index VMCS field (0x0812) */
};

/* One guest-physical access. */
struct ept_access {
	uint64_t gpa;
	enum mmu_access access;
	/*
	 * An access to a guest paging-structure entry during a guest linear-address walk. With
	 * EPTP.AD = 1 these count as writes (SDM 29.3.5) — for permissions, the D flag, PML and the
	 * violation's exit qualification (bits 0 and 1 both set).
	 */
	bool paging_structure;
	bool gla_valid; /* the access comes from a linear address (exit qualification bit 7) */
	uint64_t gla;
	bool probe;     /* look only: no flag update, no PML, no index check (debuggers, icount) */
};

enum ept_status {
	EPT_OK,
	EPT_VIOLATION,   /* exit reason 48 */
	EPT_MISCONFIG,   /* exit reason 49 */
	EPT_PML_FULL,    /* exit reason 62: no flag set, access not performed */
};

/* Exit qualification for EPT violations (SDM Vol. 3, Table 28-7). */
typedef union {
	uint64_t raw;
	struct {
		uint64_t read : 1;
		uint64_t write : 1;
		uint64_t fetch : 1;
		uint64_t readable : 1;   /* AND of bit 0 over the entries used */
		uint64_t writable : 1;   /* AND of bit 1 */
		uint64_t executable : 1; /* AND of bit 2 */
		uint64_t : 1;
		uint64_t gla_valid : 1;
		uint64_t gla_translated : 1; /* 1: the access was to the translated GPA; 0: to a
						guest paging-structure entry (valid if gla_valid) */
		uint64_t : 3;
		uint64_t nmi_unblocking : 1;
		uint64_t : 51;
	};
} ept_qual_t;
_Static_assert(sizeof(ept_qual_t) == 8, "exit qualification is 64 bits");

struct ept_result {
	enum ept_status status;
	uint64_t hpa;        /* EPT_OK: the host-physical address of gpa */
	unsigned prot;       /* EPT_OK: MMU_PROT_* a TLB entry may cache for this page: R, X as
				the entries allow; W only if they allow it and (EPTP.AD = 0 or the
				leaf's D flag is now set), so a first write comes back to set D */
	uint64_t page_mask;  /* offset bits of the EPT page that mapped gpa */
	ept_qual_t qual;     /* EPT_VIOLATION */
	int level;           /* EPT_MISCONFIG: level of the misconfigured entry; EPT_VIOLATION:
				of the not-present entry, or the highest entry that lacks the
				right the access needs; EPT_OK: of the leaf (1: 4K, 2: 2M, 3: 1G) */
	bool logged;         /* EPT_OK: a PML entry was written for this access */
};

/* Translate one access, setting A/D flags and logging to PML exactly as the SDM says. */
void ept_translate(struct ept_ctx *ctx, const struct ept_access *a, struct ept_result *r);

/* The EPT entry format ept_translate walks with (cpu/pagewalk.h), for debuggers' own walks. */
void ept_entry_format(struct pt_format *f, const struct ept_caps *caps, bool ad);

#endif
