/*
 * Log-dirty: which guest pages were written since the last harvest. Three trackers behind one
 * interface, with the same bitmap semantics:
 *   pml   EPT A/D + Page-Modification Logging: the CPU logs each page whose EPT D flag it sets;
 *         a full log is a VM exit (62) that hv drains (SDM Vol. 3, 29.3.6).
 *   wp    write-protect: EPT leaves without W; the first write to a page is an EPT violation,
 *         after which hv gives W back. The method from before PML.
 *   scan  EPT A/D without PML: harvest scans every leaf for D and clears it.
 * hv's own writes into guest memory (copy_to_guest) are marked by logdirty_mark, as hardware
 * cannot see them. Harvesting re-arms what it must and invalidates EPT-derived translations.
 */
#ifndef HV_LOGDIRTY_H
#define HV_LOGDIRTY_H

#include "vmx/vm.h"

struct tracker {
	const char *name;
	bool needs_ad;  /* EPTP bit 6 */
	bool needs_pml; /* secondary control bit 17 */
	void (*enable)(struct vm *vm);
	/* Move what the hardware recorded into vm->dirty and re-arm those pages. */
	void (*collect)(struct vm *vm);
	void (*disable)(struct vm *vm);
	/* A VM exit this tracker causes: true if handled (the guest resumes and retries). */
	bool (*exit)(struct vm *vm, uint32_t reason, uint64_t qual, uint64_t gpa);
};

extern const struct tracker tracker_pml, tracker_wp, tracker_scan;
const struct tracker *tracker_find(const char *name);
/* NULL if this CPU can run it, else why not. */
const char *tracker_unsupported(const struct tracker *t);

bool logdirty_enable(struct vm *vm, const struct tracker *t);
void logdirty_disable(struct vm *vm);
/* Harvest: OR the pages written since the last harvest into 'out' and start afresh; count. */
uint64_t logdirty_harvest(struct vm *vm, uint64_t *out);
void logdirty_mark(struct vm *vm, uint64_t gfn);
bool logdirty_exit(struct vm *vm, uint32_t reason, uint64_t qual, uint64_t gpa);
/* HC_LOGDIRTY (hv_abi.h), with the tracker hv was booted with. */
void logdirty_set_guest_tracker(const struct tracker *t);
int64_t logdirty_guest_op(struct vm *vm, uint64_t op, uint64_t bitmap, uint64_t bytes);

static inline void bitmap_set(uint64_t *b, uint64_t n) { b[n / 64] |= 1ull << (n % 64); }
static inline bool bitmap_test(const uint64_t *b, uint64_t n) { return b[n / 64] >> (n % 64) & 1; }
static inline uint64_t bitmap_words(uint64_t bits) { return (bits + 63) / 64; }

#endif
