/* Watching VM exits (exitwatch.h). */
#include "sim/view/exitwatch.h"

#include <stddef.h>
#include <string.h>

#include "vmx/vmcs.h"

/* The basic exit reason the layer just wrote into the current VMCS (SDM Vol. 3, 25.9.1). */
static unsigned last_reason(struct cpu *cpu)
{
	const struct vmx *v = cpu->virt_opaque;

	if (!v->vmcs_fields)
		return EXIT_REASON_LIMIT;
	return (unsigned)(vmcs_load(v->vmcs_fields, VMCS_EXIT_REASON) & 0xffff);
}

static bool watched_vm_exit(struct cpu *cpu, const struct virt_event *ev,
			    const struct virt_event *vectoring)
{
	/* cpu->virt is the ops member of the watch that installed it */
	const struct exit_watch *w =
		(const struct exit_watch *)((const char *)cpu->virt - offsetof(struct exit_watch, ops));

	if (!w->inner->vm_exit(cpu, ev, vectoring))
		return false;
	w->seen(w->ctx, last_reason(cpu));
	return true;
}

void exit_watch_start(struct exit_watch *w, struct cpu *cpu,
		      void (*seen)(void *ctx, unsigned reason), void *ctx)
{
	*w = (struct exit_watch){ .ops = *cpu->virt, .inner = cpu->virt, .cpu = cpu, .seen = seen,
				  .ctx = ctx };
	w->ops.vm_exit = watched_vm_exit;
	cpu->virt = &w->ops;
}

void exit_watch_stop(struct exit_watch *w)
{
	if (w->cpu && w->cpu->virt == &w->ops)
		w->cpu->virt = w->inner;
	w->cpu = NULL;
}

/* ---- rates ---- */

void exit_series_init(struct exit_series *s)
{
	memset(s, 0, sizeof *s);
	s->len = EXIT_BUCKET_LEN0;
}

static void halve(struct exit_series *s)
{
	for (unsigned b = 0; b < EXIT_BUCKETS / 2; b++)
		for (unsigned r = 0; r < EXIT_REASON_LIMIT; r++)
			s->count[b][r] = s->count[2 * b][r] + s->count[2 * b + 1][r];
	memset(s->count[EXIT_BUCKETS / 2], 0, sizeof s->count / 2);
	s->len *= 2;
	s->used = (s->used + 1) / 2;
}

void exit_series_add(struct exit_series *s, uint64_t vtime, unsigned reason)
{
	if (reason >= EXIT_REASON_LIMIT)
		return;
	while (vtime / s->len >= EXIT_BUCKETS)
		halve(s);
	unsigned b = (unsigned)(vtime / s->len);
	s->count[b][reason]++;
	s->total[reason]++;
	if (b + 1 > s->used)
		s->used = b + 1;
}
