/* Replaying a trace through the virtualization layer (replay.h). */
#include "sim/trace/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/platform.h"

#define PAGE_SHIFT 12

static uint64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Guest time 't' (>= now): vtime moves with it, as if the guest had run until then. */
static void advance_to(struct cpu *cpu, uint64_t t)
{
	uint64_t now = cpu_guest_time(cpu);
	if (t > now)
		cpu->vtime += t - now;
}

static bool refill(struct replayer *r)
{
	long n = trace_read(r->rd, r->batch, REPLAY_BATCH);

	r->i = 0;
	r->n = n > 0 ? (size_t)n : 0;
	if (n < 0) {
		snprintf(r->error, sizeof r->error, "%s", trace_reader_error(r->rd));
		r->failed = true;
		return false;
	}
	if (n == 0 && !r->eof) {
		struct trace_totals t;
		r->eof = true;
		if (!r->duration_known && trace_reader_totals(r->rd, &t))
			r->duration = t.duration;
	}
	if (r->progress)
		progress_update(r->progress, r->stats.events);
	return true;
}

/*
 * One event the slow way: through the layer's translate, as a TLB fill would. A store asks for
 * write access; the CPU's read of a paging-structure entry is a write for EPT only with
 * EPTP.AD = 1, which the layer decides (SDM Vol. 3, 29.3.5). False: a VM exit is pending.
 */
static bool walk(struct replayer *r, struct cpu *cpu, const struct trace_event *e)
{
	bool paging = e->flags & TRACE_EV_PAGING;
	struct virt_access a = { .gpa = e->gfn << PAGE_SHIFT, .access = paging ? MMU_READ : MMU_WRITE,
				 .paging_structure = paging };
	struct virt_gpa g;

	r->stats.walks++;
	if (!cpu->virt->translate(cpu, &a, &g))
		return false;
	uint8_t *host = phys_host(&cpu->phys, g.hpa & ~0xfffull, 1u << PAGE_SHIFT);
	struct replay_page *p = &r->page[e->gfn];
	p->host = host;
	p->gen = host && (g.prot & MMU_PROT_W) ? cpu->gpa_gen + 1 : 0;
	if (!paging && host)
		++*(uint64_t *)host;
	return true;
}

/* The guest's last act: OUT of SUCCESS (0) to the debug-exit port, which hv intercepts. */
static enum standin_result finish(struct cpu *cpu, struct virt_event *exit)
{
	*exit = (struct virt_event){ .kind = VIRT_IO, .insn_len = 1,
				     .io = { .port = DEBUG_EXIT_PORT, .size = 4, .in = false } };
	cpu_set(cpu, UC_X86_REG_RAX, 0);
	if (cpu->virt->exits(cpu, exit))
		return STANDIN_EXIT;
	snprintf(cpu->error, sizeof cpu->error,
		 "replay: the trace is over, but the hypervisor does not intercept the debug-exit "
		 "port, where the guest reports its end");
	return STANDIN_ERROR;
}

/* The guest-time limit the deadline 'until' (a vtime) allows. */
static uint64_t guest_limit(struct cpu *cpu, uint64_t until)
{
	uint64_t now = cpu_guest_time(cpu);
	if (until <= cpu->vtime)
		return now;
	return until - cpu->vtime > UINT64_MAX - now ? UINT64_MAX : now + (until - cpu->vtime);
}

static enum standin_result run(void *opaque, struct cpu *cpu, uint64_t until, struct virt_event *exit)
{
	struct replayer *r = opaque;
	uint64_t limit = guest_limit(cpu, until), gen = cpu->gpa_gen + 1;
	uint64_t t0 = r->profile ? host_ns() : 0;
	enum standin_result res = STANDIN_RAN;

	for (;;) {
		if (r->i == r->n && !r->eof && !refill(r)) {
			res = STANDIN_STOP; /* an input error: hvsim replay reports it */
			break;
		}
		if (r->i == r->n) {
			/* The trace is over: the guest runs on until the recording ended. */
			if (r->duration >= limit) {
				advance_to(cpu, limit);
				break;
			}
			advance_to(cpu, r->duration);
			res = finish(cpu, exit);
			break;
		}
		const struct trace_event *e = &r->batch[r->i];
		if (e->time >= limit) {
			advance_to(cpu, limit);
			break;
		}
		struct replay_page *p = &r->page[e->gfn];
		if (p->gen == gen) {
			if (!(e->flags & TRACE_EV_PAGING))
				++*(uint64_t *)p->host;
		} else {
			advance_to(cpu, e->time);
			if (!walk(r, cpu, e)) {
				r->stats.exits++;
				*exit = (struct virt_event){ .kind = VIRT_MEMORY };
				res = STANDIN_EXIT;
				break;
			}
		}
		r->i++;
		r->stats.events++;
	}
	if (r->profile)
		r->stats.host_ns += host_ns() - t0;
	return res;
}

bool replayer_start(struct replayer *r, struct cpu *cpu, struct trace_reader *rd,
		    struct progress *progress, bool profile)
{
	const struct trace_header *h = trace_reader_header(rd);
	struct trace_totals t;

	*r = (struct replayer){ .rd = rd, .pages = h->guest_ram >> PAGE_SHIFT, .progress = progress,
				.profile = profile };
	if (trace_reader_totals(rd, &t)) {
		r->duration = t.duration;
		r->duration_known = true;
	}
	if (!(r->page = calloc(r->pages, sizeof *r->page))) {
		snprintf(r->error, sizeof r->error, "out of memory for %llu pages",
			 (unsigned long long)r->pages);
		return false;
	}
	r->standin = (struct cpu_standin){ .opaque = r, .run = run };
	cpu->standin = &r->standin;
	return true;
}

void replayer_finish(struct replayer *r, struct cpu *cpu)
{
	cpu->standin = NULL;
	free(r->page);
	r->page = NULL;
}
