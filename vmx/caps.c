#include "vmx/caps.h"

#include "cpu/profile.h"
#include "vmx/controls.h"
#include "vmx/vmcs.h"

/* Controls that are reserved as 1 ("default1") in the non-TRUE MSRs (SDM A.2). */
#define PIN_DEFAULT1 0x00000016u
#define PROC_DEFAULT1 0x0401e172u
#define EXIT_DEFAULT1 0x00036dffu
#define ENTRY_DEFAULT1 0x000011ffu

/* What the TRUE MSRs let software clear among them (SDM A.3.1, A.3.2, A.4, A.5). */
#define PROC_TRUE_CLEARABLE (PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING)
#define EXIT_TRUE_CLEARABLE EXIT_SAVE_DEBUG_CONTROLS
#define ENTRY_TRUE_CLEARABLE ENTRY_LOAD_DEBUG_CONTROLS

/* The controls hvsim implements (allowed 1-settings beyond default1). */
#define PIN_IMPLEMENTED (PIN_EXTINT_EXITING | PIN_NMI_EXITING | PIN_PREEMPTION_TIMER)
#define PROC_IMPLEMENTED                                                                    \
	(PROC_INTR_WINDOW | PROC_TSC_OFFSETTING | PROC_HLT_EXITING | PROC_INVLPG_EXITING |   \
	 PROC_RDTSC_EXITING | PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |               \
	 PROC_UNCOND_IO_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |               \
	 PROC_SECONDARY_CONTROLS)
#define EXIT_IMPLEMENTED                                                                    \
	(EXIT_HOST_ADDR_SPACE_SIZE | EXIT_ACK_INTERRUPT | EXIT_SAVE_PAT | EXIT_LOAD_PAT |    \
	 EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_PREEMPTION_TIMER)
#define ENTRY_IMPLEMENTED (ENTRY_IA32E_GUEST | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER)

/* IA32_VMX_BASIC (SDM A.1): region size 4096, write-back VMCS, TRUE controls (bit 55). */
#define BASIC_REGION_SIZE (4096ull << 32)
#define BASIC_MEMTYPE_WB (6ull << 50)
#define BASIC_TRUE_CTLS (1ull << 55)

/* IA32_VMX_MISC (SDM A.6): bit 5 stores EFER.LMA in the "IA-32e mode guest" control on exit. */
#define MISC_STORE_LMA (1ull << 5)

/* IA32_VMX_EPT_VPID_CAP (SDM A.10). */
#define EPTCAP_EXEC_ONLY (1ull << 0)
#define EPTCAP_WALK4 (1ull << 6)
#define EPTCAP_UC (1ull << 8)
#define EPTCAP_WB (1ull << 14)
#define EPTCAP_2M (1ull << 16)
#define EPTCAP_1G (1ull << 17)
#define EPTCAP_INVEPT (1ull << 20)
#define EPTCAP_AD (1ull << 21)
#define EPTCAP_INVEPT_SINGLE (1ull << 25)
#define EPTCAP_INVEPT_ALL (1ull << 26)
#define VPIDCAP_INVVPID (1ull << 32)
#define VPIDCAP_INDIVIDUAL (1ull << 40)
#define VPIDCAP_SINGLE (1ull << 41)
#define VPIDCAP_ALL (1ull << 42)
#define VPIDCAP_SINGLE_GLOBALS (1ull << 43)

/* CR4 bits the profiles can set: VME..OSXMMEXCPT, VMXE, FSGSBASE, PCIDE; SMEP, SMAP if present. */
#define CR4_BASE_SUPPORTED 0x000327ffull

static uint64_t ctls(uint32_t allowed0, uint32_t allowed1)
{
	return (uint64_t)allowed1 << 32 | allowed0;
}

static uint32_t proc2_allowed1(const struct cpu_profile *p)
{
	return PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | (p->pml ? PROC2_ENABLE_PML : 0);
}

static uint64_t ept_vpid_cap(const struct cpu_profile *p)
{
	return EPTCAP_EXEC_ONLY | EPTCAP_WALK4 | EPTCAP_UC | EPTCAP_WB | EPTCAP_2M | EPTCAP_1G |
	       EPTCAP_INVEPT | (p->ept_ad ? EPTCAP_AD : 0) | EPTCAP_INVEPT_SINGLE |
	       EPTCAP_INVEPT_ALL | VPIDCAP_INVVPID | VPIDCAP_INDIVIDUAL | VPIDCAP_SINGLE |
	       VPIDCAP_ALL | VPIDCAP_SINGLE_GLOBALS;
}

uint64_t vmx_caps_cr_fixed0(const struct cpu_profile *p, unsigned cr)
{
	(void)p;
	/* PE, NE, PG for CR0 (no unrestricted guest); VMXE for CR4 (SDM A.7, A.8). */
	return cr == 0 ? 0x80000021ull : 0x2000ull;
}

uint64_t vmx_caps_cr_fixed1(const struct cpu_profile *p, unsigned cr)
{
	if (cr == 0)
		return 0xffffffffull;
	return CR4_BASE_SUPPORTED | (p->smep ? 1ull << 20 : 0) | (p->smap ? 1ull << 21 : 0);
}

bool vmx_caps_rdmsr(const struct cpu_profile *p, uint32_t index, uint64_t *value)
{
	if (!p->vmx)
		return false;
	switch (index) {
	case MSR_IA32_VMX_BASIC:
		*value = VMX_REVISION | BASIC_REGION_SIZE | BASIC_MEMTYPE_WB | BASIC_TRUE_CTLS;
		return true;
	case MSR_IA32_VMX_PINBASED_CTLS:
	case MSR_IA32_VMX_TRUE_PINBASED_CTLS:
		*value = ctls(PIN_DEFAULT1, PIN_DEFAULT1 | PIN_IMPLEMENTED);
		return true;
	case MSR_IA32_VMX_PROCBASED_CTLS:
		*value = ctls(PROC_DEFAULT1, PROC_DEFAULT1 | PROC_IMPLEMENTED);
		return true;
	case MSR_IA32_VMX_TRUE_PROCBASED_CTLS:
		*value = ctls(PROC_DEFAULT1 & ~PROC_TRUE_CLEARABLE, PROC_DEFAULT1 | PROC_IMPLEMENTED);
		return true;
	case MSR_IA32_VMX_EXIT_CTLS:
		*value = ctls(EXIT_DEFAULT1, EXIT_DEFAULT1 | EXIT_IMPLEMENTED);
		return true;
	case MSR_IA32_VMX_TRUE_EXIT_CTLS:
		*value = ctls(EXIT_DEFAULT1 & ~EXIT_TRUE_CLEARABLE, EXIT_DEFAULT1 | EXIT_IMPLEMENTED);
		return true;
	case MSR_IA32_VMX_ENTRY_CTLS:
		*value = ctls(ENTRY_DEFAULT1, ENTRY_DEFAULT1 | ENTRY_IMPLEMENTED);
		return true;
	case MSR_IA32_VMX_TRUE_ENTRY_CTLS:
		*value = ctls(ENTRY_DEFAULT1 & ~ENTRY_TRUE_CLEARABLE,
			      ENTRY_DEFAULT1 | ENTRY_IMPLEMENTED);
		return true;
	case MSR_IA32_VMX_MISC:
		*value = VMX_PREEMPTION_TIMER_RATE | MISC_STORE_LMA | (uint64_t)VMX_CR3_TARGETS << 16;
		return true;
	case MSR_IA32_VMX_CR0_FIXED0:
	case MSR_IA32_VMX_CR4_FIXED0:
		*value = vmx_caps_cr_fixed0(p, index == MSR_IA32_VMX_CR0_FIXED0 ? 0 : 4);
		return true;
	case MSR_IA32_VMX_CR0_FIXED1:
	case MSR_IA32_VMX_CR4_FIXED1:
		*value = vmx_caps_cr_fixed1(p, index == MSR_IA32_VMX_CR0_FIXED1 ? 0 : 4);
		return true;
	case MSR_IA32_VMX_VMCS_ENUM:
		*value = (uint64_t)vmcs_max_index() << 1;
		return true;
	case MSR_IA32_VMX_PROCBASED_CTLS2:
		*value = ctls(0, proc2_allowed1(p));
		return true;
	case MSR_IA32_VMX_EPT_VPID_CAP:
		*value = ept_vpid_cap(p);
		return true;
	}
	return false;
}

bool vmx_caps_field_exists(const struct cpu_profile *p, enum vmcs_field f)
{
	/* The PML address and index exist only with the 1-setting of "enable PML" (B.1.2, B.2.1). */
	if (f == VMCS_PML_ADDRESS || f == VMCS_PML_INDEX)
		return p->pml;
	return true;
}

bool vmx_caps_controls_ok(const struct cpu_profile *p, uint32_t msr, uint32_t value)
{
	uint64_t caps;
	if (!vmx_caps_rdmsr(p, msr, &caps))
		return false;
	uint32_t must_be_1 = (uint32_t)caps, may_be_1 = (uint32_t)(caps >> 32);
	return (value & must_be_1) == must_be_1 && (value & ~may_be_1) == 0;
}

void vmx_caps_ept(const struct cpu_profile *p, struct ept_caps *caps)
{
	uint64_t c = ept_vpid_cap(p);
	*caps = (struct ept_caps){
		.execute_only = c & EPTCAP_EXEC_ONLY, .wb = c & EPTCAP_WB, .uc = c & EPTCAP_UC,
		.ad = c & EPTCAP_AD, .pages_2m = c & EPTCAP_2M, .pages_1g = c & EPTCAP_1G,
		.maxphyaddr = 46,
	};
}
