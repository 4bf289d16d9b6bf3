/* Writing a trace with each page once per quantum (merge.h). */
#include "sim/trace/merge.h"

#include <stdio.h>

static void release(struct trace_merger *m)
{
	if (m->w)
		trace_writer_free(m->w);
	pageset_free(&m->in_quantum);
	pageset_free(&m->written);
	m->w = NULL;
}

bool merger_create(struct trace_merger *m, const char *path, const struct trace_header *h, char *err,
		   size_t errlen)
{
	uint64_t pages = h->guest_ram / TRACE_PAGE_SIZE;

	*m = (struct trace_merger){ .quantum = h->quantum };
	if (!h->quantum) {
		snprintf(err, errlen, "the quantum must be positive");
		return false;
	}
	if (!pageset_init(&m->in_quantum, pages) || !pageset_init(&m->written, pages)) {
		release(m);
		snprintf(err, errlen, "out of memory for a set of %llu pages", (unsigned long long)pages);
		return false;
	}
	if (!(m->w = trace_create(path, h, err, errlen))) {
		release(m);
		return false;
	}
	return true;
}

bool merger_write(struct trace_merger *m, const struct trace_event *e, char *err, size_t errlen)
{
	uint64_t q = e->time / m->quantum;

	m->writes++;
	if (q != m->cur) {
		pageset_clear(&m->in_quantum);
		m->cur = q;
	}
	if (e->gfn >= m->in_quantum.pages) {
		snprintf(err, errlen, "page 0x%llx is beyond guest RAM", (unsigned long long)e->gfn);
		return false;
	}
	if (!pageset_add(&m->in_quantum, e->gfn))
		return true;
	pageset_add(&m->written, e->gfn);
	if (!trace_write(m->w, e)) {
		snprintf(err, errlen, "%s", trace_writer_error(m->w));
		return false;
	}
	m->events++;
	return true;
}

bool merger_finish(struct trace_merger *m, uint64_t duration, struct merge_totals *t, char *err,
		   size_t errlen)
{
	bool ok = trace_finish(m->w, duration);

	*t = (struct merge_totals){ .writes = m->writes, .events = m->events,
				    .pages = m->written.members, .duration = duration };
	if (!ok)
		snprintf(err, errlen, "%s", trace_writer_error(m->w));
	release(m);
	return ok;
}

void merger_abandon(struct trace_merger *m)
{
	trace_abandon(m->w);
	release(m);
}
