/*
 * Moving a vCPU to another VM (the last step of a live migration): every guest-state field of the
 * source VMCS (SDM Vol. 3, 25.4, Appendix B) and the CR guest/host masks and read shadows are
 * copied into a fresh VMCS that points at the destination's EPT; the general registers follow.
 */
#include "vmx/vm.h"

static const uint32_t guest_fields[] = {
	GUEST_ES_SEL, GUEST_CS_SEL, GUEST_SS_SEL, GUEST_DS_SEL, GUEST_FS_SEL, GUEST_GS_SEL,
	GUEST_LDTR_SEL, GUEST_TR_SEL, VMCS_LINK_POINTER, GUEST_IA32_PAT, GUEST_IA32_EFER,
	GUEST_ES_LIMIT, GUEST_CS_LIMIT, GUEST_SS_LIMIT, GUEST_DS_LIMIT, GUEST_FS_LIMIT,
	GUEST_GS_LIMIT, GUEST_LDTR_LIMIT, GUEST_TR_LIMIT, GUEST_GDTR_LIMIT, GUEST_IDTR_LIMIT,
	GUEST_ES_AR, GUEST_CS_AR, GUEST_SS_AR, GUEST_DS_AR, GUEST_FS_AR, GUEST_GS_AR,
	GUEST_LDTR_AR, GUEST_TR_AR, GUEST_INTERRUPTIBILITY, GUEST_ACTIVITY, GUEST_SYSENTER_CS,
	GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_ES_BASE, GUEST_CS_BASE, GUEST_SS_BASE,
	GUEST_DS_BASE, GUEST_FS_BASE, GUEST_GS_BASE, GUEST_LDTR_BASE, GUEST_TR_BASE,
	GUEST_GDTR_BASE, GUEST_IDTR_BASE, GUEST_DR7, GUEST_RSP, GUEST_RIP, GUEST_RFLAGS,
	GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP, CR0_MASK, CR4_MASK, CR0_SHADOW, CR4_SHADOW,
};

void vm_move_vcpu(struct vm *from, struct vm *to)
{
	uint64_t values[ARRAY_SIZE(guest_fields)];

	for (unsigned i = 0; i < ARRAY_SIZE(guest_fields); i++)
		if (vmread(guest_fields[i], &values[i]) != VMX_OK)
			panic("VMREAD 0x%x failed", guest_fields[i]);
	if (vmclear(virt_to_phys(from->vcpu->vmcs)) != VMX_OK)
		panic("VMCLEAR failed");
	if (!vcpu_init(to->vcpu, &to->mem, 0, false))
		panic("cannot make the destination's VMCS current");
	for (unsigned i = 0; i < ARRAY_SIZE(guest_fields); i++)
		vmw(guest_fields[i], values[i]);
	to->vcpu->gprs = from->vcpu->gprs;
	to->vcpu->launched = false;
	vm_set_eptp(to, false);
}
