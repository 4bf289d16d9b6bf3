/* Log-dirty (logdirty.h): the tracker-independent half, and HC_LOGDIRTY. */
#include "logdirty.h"

#include "arch/x86.h"
#include "mm/mm.h"
#include "uaccess.h"

static const struct tracker *const trackers[] = { &tracker_pml, &tracker_wp, &tracker_scan };

const struct tracker *tracker_find(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(trackers); i++)
		if (!strcmp(trackers[i]->name, name))
			return trackers[i];
	return NULL;
}

const char *tracker_unsupported(const struct tracker *t)
{
	if (t->needs_pml && !vmx_has_pml())
		return "this CPU has no Page-Modification Logging";
	if (t->needs_ad && !vmx_has_ept_ad())
		return "this CPU has no EPT accessed/dirty flags";
	return NULL;
}

/* Tracking cost: every tracker operation is timed into vm->track_ticks. */
#define TIMED(vm, stmt)                                  \
	do {                                             \
		uint64_t t0_ = rdtsc();                  \
		stmt;                                    \
		(vm)->track_ticks += rdtsc() - t0_;      \
	} while (0)

bool logdirty_enable(struct vm *vm, const struct tracker *t)
{
	if (vm->logging || tracker_unsupported(t))
		return false;
	TIMED(vm, {
		vm->tracker = t;
		memset(vm->dirty, 0, bitmap_words(vm->mem.npages) * 8);
		vm_set_eptp(vm, t->needs_ad);
		t->enable(vm);
		ept_invalidate(&vm->ept);
		vm->logging = true;
	});
	return true;
}

void logdirty_disable(struct vm *vm)
{
	if (!vm->logging)
		return;
	TIMED(vm, {
		vm->tracker->disable(vm);
		vm_set_eptp(vm, false);
		ept_invalidate(&vm->ept);
		vm->logging = false;
	});
}

uint64_t logdirty_harvest(struct vm *vm, uint64_t *out)
{
	uint64_t count = 0, words = bitmap_words(vm->mem.npages);

	TIMED(vm, {
		vm->tracker->collect(vm);
		ept_invalidate(&vm->ept);
		for (uint64_t w = 0; w < words; w++) {
			count += popcount64(vm->dirty[w]);
			out[w] |= vm->dirty[w];
			vm->dirty[w] = 0;
		}
	});
	return count;
}

void logdirty_mark(struct vm *vm, uint64_t gfn)
{
	if (vm->logging)
		bitmap_set(vm->dirty, gfn);
}

bool logdirty_exit(struct vm *vm, uint32_t reason, uint64_t qual, uint64_t gpa)
{
	bool handled = false;

	if (vm->logging)
		TIMED(vm, handled = vm->tracker->exit(vm, reason, qual, gpa));
	return handled;
}

/* ---- HC_LOGDIRTY: a guest watching its own writes ---- */

static const struct tracker *guest_tracker = &tracker_pml;
static uint64_t *guest_bitmap;

void logdirty_set_guest_tracker(const struct tracker *t)
{
	guest_tracker = t;
}

static uint64_t bitmap_pages(const struct vm *vm)
{
	return ALIGN_UP(bitmap_words(vm->mem.npages) * 8, PAGE_SIZE) >> PAGE_SHIFT;
}

int64_t logdirty_guest_op(struct vm *vm, uint64_t op, uint64_t bitmap, uint64_t bytes)
{
	uint64_t need = (vm->mem.npages + 7) / 8;

	switch (op) {
	case HV_LOGDIRTY_ENABLE:
		if (vm->logging)
			return -HV_EBUSY;
		if (tracker_unsupported(guest_tracker))
			return -HV_ENOSYS;
		if (!guest_bitmap && !(guest_bitmap = phys_to_virt(pages_alloc_contig(bitmap_pages(vm)))))
			return -HV_EINVAL;
		vm->guest_logdirty = logdirty_enable(vm, guest_tracker);
		return vm->guest_logdirty ? 0 : -HV_EBUSY;
	case HV_LOGDIRTY_HARVEST: {
		if (!vm->guest_logdirty)
			return -HV_EINVAL;
		if (bytes < need)
			return -HV_EINVAL;
		int bad = guest_range_check(vm->dom, bitmap, bytes);
		if (bad) /* before harvesting: a bad buffer must not lose the log */
			return bad;
		memset(guest_bitmap, 0, bitmap_words(vm->mem.npages) * 8);
		uint64_t n = logdirty_harvest(vm, guest_bitmap);
		int r = copy_to_guest(vm->dom, bitmap, guest_bitmap, need);
		return r ? r : (int64_t)n;
	}
	case HV_LOGDIRTY_DISABLE:
		if (!vm->guest_logdirty)
			return -HV_EINVAL;
		logdirty_disable(vm);
		vm->guest_logdirty = false;
		return 0;
	}
	return -HV_EINVAL;
}
