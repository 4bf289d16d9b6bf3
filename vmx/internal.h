/* What the files of vmx/ share: not for use outside vmx/. */
#ifndef HVSIM_VMX_INTERNAL_H
#define HVSIM_VMX_INTERNAL_H

#include "cpu/cpu.h"
#include "cpu/state.h"
#include "cpu/virt.h"
#include "vmx/decode.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

static inline struct vmx *vmx_of(struct cpu *cpu)
{
	return cpu->virt_opaque;
}

/* Make 'ptr' (or VMCS_NONE) the current-VMCS pointer (vmx/vmcs.c). */
void vmx_set_vmcs(struct vmx *v, uint64_t ptr);

static inline uint64_t vmcs_get(struct vmx *v, enum vmcs_field f)
{
	if (v->vmcs_fields)
		return vmcs_load(v->vmcs_fields, f);
	return vmcs_read(&v->cpu->phys, v->vmcs, f);
}

static inline void vmcs_set(struct vmx *v, enum vmcs_field f, uint64_t value)
{
	if (v->vmcs_fields)
		vmcs_store(v->vmcs_fields, f, value);
	else
		vmcs_write(&v->cpu->phys, v->vmcs, f, value);
}

/* The guest-state fields of each segment register (SDM Appendix B), indexed by enum cpu_seg. */
struct vmcs_seg_fields {
	enum vmcs_field sel, base, limit, ar;
};
extern const struct vmcs_seg_fields vmcs_guest_segs[SEG_COUNT];

/* vmx/insn.c: VMX instructions in root operation and outside VMX operation. */
enum virt_insn vmx_invalid_insn(struct cpu *cpu, struct fault *f);
void vmx_succeed(struct vmx *v);
void vmx_fail(struct vmx *v, enum vmx_error err);
void vmx_fail_invalid(struct vmx *v);

/* vmx/entry.c: VMLAUNCH / VMRESUME after the instruction's own checks. */
enum virt_insn vmx_enter(struct vmx *v, bool launch, unsigned insn_len, struct fault *f);

/* vmx/exit.c */
bool vmx_vm_exit(struct vmx *v, const struct vmx_exit *e);
void vmx_log_exit(struct vmx *v, const struct vmx_exit *e, uint64_t rip);

/* vmx/intercept.c: the virt_ops of non-root operation. */
bool vmx_exits(struct cpu *cpu, const struct virt_event *ev);
bool vmx_virt_exit(struct cpu *cpu, const struct virt_event *ev, const struct virt_event *vectoring);
bool vmx_translate(struct cpu *cpu, const struct virt_access *a, struct virt_gpa *out);
uint64_t vmx_cr_read(struct cpu *cpu, unsigned cr, uint64_t value);
uint64_t vmx_cr_write(struct cpu *cpu, unsigned cr, uint64_t value, uint64_t old);

/* VM-exit interruption-information (SDM Vol. 3, Table 25-19/25-20). */
#define INTR_INFO_VALID (1u << 31)
#define INTR_INFO_ERROR_CODE (1u << 11)
#define INTR_TYPE_EXTERNAL (0u << 8)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_TYPE_SW_INTERRUPT (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)
#define INTR_TYPE_SW_EXCEPTION (6u << 8)
#define INTR_TYPE_MASK (7u << 8)

#endif
