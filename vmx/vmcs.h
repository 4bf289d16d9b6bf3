/*
 * The VMCS: fields (vmx/vmcs_fields.def), their encodings (SDM Vol. 3, 25.11.2 "VMREAD, VMWRITE,
 * and Encodings of VMCS Fields") and hvsim's own layout of a VMCS region in memory. Software may
 * not depend on the layout (SDM 25.2); hvsim keeps field i at offset 16 + 8*i, so VMCLEAR has
 * nothing to write back and the launch state lives in the region too.
 */
#ifndef HVSIM_VMX_VMCS_H
#define HVSIM_VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/phys.h"

/* Bits 14:13 of an encoding. */
enum vmcs_width { W16 = 0, W64 = 1, W32 = 2, NATURAL = 3 };
/* Bits 11:10 of an encoding. */
enum vmcs_type { CONTROL = 0, EXIT_INFO = 1, GUEST = 2, HOST = 3 };

enum vmcs_field {
#define VMCS_FIELD(name, enc, width, type) VMCS_##name,
#include "vmx/vmcs_fields.def"
#undef VMCS_FIELD
	VMCS_FIELD_COUNT
};

struct vmcs_field_info {
	const char *name;
	uint16_t encoding;
	uint8_t width; /* enum vmcs_width */
	uint8_t type;  /* enum vmcs_type */
};
extern const struct vmcs_field_info vmcs_fields[VMCS_FIELD_COUNT];

/* Layout of a VMCS region (hvsim's own, beyond the architectural first 8 bytes). */
#define VMCS_REGION_SIZE 4096u
#define VMCS_OFF_REVISION 0u /* bits 30:0 revision identifier, bit 31 shadow-VMCS indicator */
#define VMCS_OFF_ABORT 4u    /* VMX-abort indicator */
#define VMCS_OFF_LAUNCHED 8u /* launch state: 0 clear, 1 launched */
#define VMCS_OFF_FIELDS 16u
_Static_assert(VMCS_OFF_FIELDS + 8u * VMCS_FIELD_COUNT <= VMCS_REGION_SIZE,
	       "every field fits in one 4K region");

/*
 * Look up an encoding as VMREAD/VMWRITE receive it. Returns false for an unsupported component
 * (VMfailValid 12). '*high' is set for the high-half access of a 64-bit field (bit 0 = 1).
 */
bool vmcs_lookup(uint64_t encoding, enum vmcs_field *f, bool *high);
/* The highest index (bits 9:1) any supported encoding uses, for IA32_VMX_VMCS_ENUM. */
unsigned vmcs_max_index(void);

/* Width mask of a field (natural width is 64 bits on a 64-bit CPU). */
static inline uint64_t vmcs_width_mask(enum vmcs_field f)
{
	static const uint64_t mask[] = { [W16] = 0xffff, [W64] = ~0ull, [W32] = 0xffffffffu,
					 [NATURAL] = ~0ull };
	return mask[vmcs_fields[f].width];
}

/* Field values in the region at 'vmcs' (host-physical), masked to the field's width. */
uint64_t vmcs_read(const struct phys *p, uint64_t vmcs, enum vmcs_field f);
void vmcs_write(struct phys *p, uint64_t vmcs, enum vmcs_field f, uint64_t value);

/*
 * The same through the host address of the region's fields (VMREAD/VMWRITE and every VM entry
 * and exit access dozens of fields; the region's RAM does not move).
 */
uint8_t *vmcs_fields_host(const struct phys *p, uint64_t vmcs);
static inline uint64_t vmcs_load(const uint8_t *fields, enum vmcs_field f)
{
	uint64_t v;
	memcpy(&v, fields + 8u * f, sizeof v);
	return v & vmcs_width_mask(f);
}
static inline void vmcs_store(uint8_t *fields, enum vmcs_field f, uint64_t value)
{
	value &= vmcs_width_mask(f);
	memcpy(fields + 8u * f, &value, sizeof value);
}

uint32_t vmcs_read32_at(const struct phys *p, uint64_t pa);
void vmcs_write32_at(struct phys *p, uint64_t pa, uint32_t v);

#endif
