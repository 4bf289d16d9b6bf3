/* Recording a trace (record.h). */
#include "sim/trace/record.h"

#include <stdio.h>
#include <stdlib.h>

#define PAGE_SHIFT 12

static void fail(struct recorder *r, const char *why)
{
	r->failed = true;
	snprintf(r->error, sizeof r->error, "%s", why);
}

static bool flush_quantum(struct recorder *r)
{
	for (size_t i = 0; i < r->n && !r->failed; i++)
		if (!trace_write(r->w, &r->buf[i]))
			fail(r, trace_writer_error(r->w));
	r->events += r->n;
	r->n = 0;
	return !r->failed;
}

static bool push(struct recorder *r, const struct trace_event *e)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 4096;
		struct trace_event *b = realloc(r->buf, cap * sizeof *b);
		if (!b)
			return false;
		r->buf = b;
		r->cap = cap;
	}
	r->buf[r->n++] = *e;
	return true;
}

static void on_access(void *opaque, uint64_t gpa, bool paging, uint64_t t)
{
	struct recorder *r = opaque;
	uint64_t gfn = gpa >> PAGE_SHIFT, q = t / r->quantum + 1;

	if (r->failed)
		return;
	if (gfn >= r->pages) {
		r->outside++;
		return;
	}
	if (q != r->cur && !flush_quantum(r))
		return;
	r->cur = q;
	if (r->seen[gfn] == q) {
		/* The page is in this quantum already: a store makes it a store. */
		if (!paging)
			r->buf[r->slot[gfn]].flags &= ~TRACE_EV_PAGING;
		return;
	}
	r->seen[gfn] = q;
	r->slot[gfn] = (uint32_t)r->n;
	struct trace_event e = { .time = t, .gfn = gfn, .flags = paging ? TRACE_EV_PAGING : 0 };
	if (!push(r, &e))
		fail(r, "out of memory for the quantum's events");
}

static uint64_t next_rearm(void *opaque)
{
	return ((struct recorder *)opaque)->rearm_at;
}

static void rearm(void *opaque, uint64_t now)
{
	struct recorder *r = opaque;
	r->rearm_at = (now / r->quantum + 1) * r->quantum;
}

bool recorder_start(struct recorder *r, struct cpu *cpu, const char *path,
		    const struct trace_header *h, char *err, size_t errlen)
{
	*r = (struct recorder){ .quantum = h->quantum, .pages = h->guest_ram / TRACE_PAGE_SIZE,
				.rearm_at = h->quantum };
	r->seen = calloc(r->pages, sizeof *r->seen);
	r->slot = calloc(r->pages, sizeof *r->slot);
	if (!r->seen || !r->slot) {
		snprintf(err, errlen, "out of memory for %llu pages", (unsigned long long)r->pages);
		free(r->seen);
		free(r->slot);
		return false;
	}
	if (!(r->w = trace_create(path, h, err, errlen))) {
		free(r->seen);
		free(r->slot);
		return false;
	}
	r->tap = (struct cpu_tap){ .opaque = r, .access = on_access, .next_rearm = next_rearm,
				   .rearm = rearm };
	cpu->tap = &r->tap;
	return true;
}

bool recorder_finish(struct recorder *r, struct cpu *cpu, char *err, size_t errlen)
{
	bool ok = !r->failed && flush_quantum(r);

	cpu->tap = NULL;
	if (ok && !(ok = trace_finish(r->w, cpu_guest_time(cpu))))
		snprintf(err, errlen, "%s", trace_writer_error(r->w));
	else if (!ok) {
		snprintf(err, errlen, "%s", r->error);
		trace_abandon(r->w);
	}
	trace_writer_free(r->w);
	free(r->seen);
	free(r->slot);
	free(r->buf);
	return ok;
}
