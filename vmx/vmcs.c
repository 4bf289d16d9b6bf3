#include "vmx/vmcs.h"

#include <string.h>

#include "vmx/internal.h"

const struct vmcs_field_info vmcs_fields[VMCS_FIELD_COUNT] = {
#define VMCS_FIELD(name, enc, w, t) [VMCS_##name] = { #name, enc, w, t },
#include "vmx/vmcs_fields.def"
#undef VMCS_FIELD
};

/* The table's width and type columns must agree with the encodings (SDM 25.11.2). */
#define VMCS_FIELD(name, enc, w, t)                                                  \
	_Static_assert((((enc) >> 13) & 3) == (w) && (((enc) >> 10) & 3) == (t) &&    \
			       ((enc) & 1) == 0,                                      \
		       #name ": width/type columns disagree with the encoding");
#include "vmx/vmcs_fields.def"
#undef VMCS_FIELD

/* Field by encoding / 2 (VMREAD/VMWRITE run on every VM exit): 0 = none, else field + 1. */
static const uint8_t field_by_encoding[0x7000 / 2] = {
#define VMCS_FIELD(name, enc, w, t) [(enc) / 2] = VMCS_##name + 1,
#include "vmx/vmcs_fields.def"
#undef VMCS_FIELD
};
_Static_assert(VMCS_FIELD_COUNT < 255, "field numbers fit the lookup table");

bool vmcs_lookup(uint64_t encoding, enum vmcs_field *f, bool *high)
{
	/* Bits 63:32 and 31:15 and 12 are reserved: such an encoding names no field. */
	if (encoding & ~0x6fffull)
		return false;
	*high = encoding & 1;
	unsigned slot = field_by_encoding[encoding / 2];
	if (!slot)
		return false;
	/* Only 64-bit fields have a high-half access type (SDM 25.11.2.1). */
	if (*high && vmcs_fields[slot - 1].width != W64)
		return false;
	*f = (enum vmcs_field)(slot - 1);
	return true;
}

unsigned vmcs_max_index(void)
{
	unsigned max = 0;
	for (unsigned i = 0; i < VMCS_FIELD_COUNT; i++) {
		unsigned idx = (vmcs_fields[i].encoding >> 1) & 0x1ff;
		if (idx > max)
			max = idx;
	}
	return max;
}

static uint64_t field_pa(uint64_t vmcs, enum vmcs_field f)
{
	return vmcs + VMCS_OFF_FIELDS + 8ull * f;
}

uint64_t vmcs_read(const struct phys *p, uint64_t vmcs, enum vmcs_field f)
{
	return phys_read64(p, field_pa(vmcs, f)) & vmcs_width_mask(f);
}

void vmcs_write(struct phys *p, uint64_t vmcs, enum vmcs_field f, uint64_t value)
{
	phys_write64(p, field_pa(vmcs, f), value & vmcs_width_mask(f));
}

uint8_t *vmcs_fields_host(const struct phys *p, uint64_t vmcs)
{
	return phys_host(p, vmcs + VMCS_OFF_FIELDS, 8ull * VMCS_FIELD_COUNT);
}

void vmx_set_vmcs(struct vmx *v, uint64_t ptr)
{
	v->vmcs = ptr;
	v->vmcs_fields = ptr == VMCS_NONE ? NULL : vmcs_fields_host(&v->cpu->phys, ptr);
}

uint32_t vmcs_read32_at(const struct phys *p, uint64_t pa)
{
	return (uint32_t)phys_read64(p, pa);
}

void vmcs_write32_at(struct phys *p, uint64_t pa, uint32_t v)
{
	uint64_t old = phys_read64(p, pa);
	phys_write64(p, pa, (old & ~0xffffffffull) | v);
}

#define GUEST_SEG(s)                                                                        \
	{ VMCS_GUEST_##s##_SELECTOR, VMCS_GUEST_##s##_BASE, VMCS_GUEST_##s##_LIMIT,         \
	  VMCS_GUEST_##s##_AR }
const struct vmcs_seg_fields vmcs_guest_segs[SEG_COUNT] = {
	[SEG_ES] = GUEST_SEG(ES), [SEG_CS] = GUEST_SEG(CS), [SEG_SS] = GUEST_SEG(SS),
	[SEG_DS] = GUEST_SEG(DS), [SEG_FS] = GUEST_SEG(FS), [SEG_GS] = GUEST_SEG(GS),
	[SEG_LDTR] = GUEST_SEG(LDTR), [SEG_TR] = GUEST_SEG(TR),
};
