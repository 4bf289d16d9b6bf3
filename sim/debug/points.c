/* Breakpoints, watchpoints and catchpoints of a debugging session (engine.h). */
#include <inttypes.h>
#include <string.h>

#include "cpu/cpu.h"
#include "sim/debug/engine_internal.h"
#include "sim/debug/inspect.h"
#include "vmx/vmx.h"

static struct dbg_point *free_slot(struct dbg *d)
{
	for (unsigned i = 0; i < DBG_POINTS_MAX; i++)
		if (!d->points[i].id)
			return &d->points[i];
	return NULL;
}

/* The breakpoint addresses, as cpu/debug.h looks at them. */
static void sync_breaks(struct dbg *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < DBG_POINTS_MAX; i++)
		if (d->points[i].id && !d->points[i].len)
			d->break_addrs[n++] = d->points[i].addr;
	cpu_set_breakpoints(&d->m.cpu, d->break_addrs, n);
}

static void remove_pieces(struct dbg *d, struct dbg_point *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cpu_watch_remove(&d->m.cpu, p->piece[i].hook);
}

static bool insert(struct dbg *d, struct dbg_point *p)
{
	for (unsigned i = 0; i < p->pieces; i++) {
		struct dbg_piece *q = &p->piece[i];
		if (!cpu_watch_insert(&d->m.cpu, q->pa, q->len, p->how & DBG_WATCH_READ,
				      p->how & DBG_WATCH_WRITE, &q->hook)) {
			remove_pieces(d, p, i);
			return false;
		}
	}
	return true;
}

static int add(struct dbg *d, const struct dbg_point *want)
{
	struct dbg_point *p = free_slot(d);

	if (!p)
		return -1;
	*p = *want;
	if (!insert(d, p)) {
		memset(p, 0, sizeof *p);
		return -1;
	}
	p->id = d->next_id++;
	sync_breaks(d);
	return p->id;
}

int dbg_break_add(struct dbg *d, uint64_t addr, bool temporary)
{
	return add(d, &(struct dbg_point){ .addr = addr, .temporary = temporary });
}

/* The range's memory, page by page: physical as given, or translated now; false if not RAM. */
static bool find_pieces(struct dbg *d, struct dbg_point *p, bool phys)
{
	struct cpu *cpu = &d->m.cpu;
	struct mmu_regs regs;

	if (!p->len || p->len > DBG_WATCH_MAX || p->addr + p->len - 1 < p->addr ||
	    !(p->how & DBG_WATCH_ACCESS))
		return false;
	cpu_mmu_regs(cpu, &regs);
	for (uint64_t va = p->addr, left = p->len; left; p->pieces++) {
		uint64_t chunk = 0x1000 - (va & 0xfff), pa = va;
		if (chunk > left)
			chunk = left;
		if ((!phys && !cpu_probe(cpu, &regs, va, &pa)) || !phys_host(&cpu->phys, pa, chunk))
			return false;
		p->piece[p->pieces] = (struct dbg_piece){ .va = va, .pa = pa, .len = chunk };
		va += chunk;
		left -= chunk;
	}
	return true;
}

static int watch_add(struct dbg *d, uint64_t addr, uint64_t len, enum dbg_watch how, bool phys)
{
	struct dbg_point p = { .addr = addr, .len = len, .how = how };

	return find_pieces(d, &p, phys) ? add(d, &p) : -1;
}

int dbg_watch_add(struct dbg *d, uint64_t addr, uint64_t len, enum dbg_watch how)
{
	return watch_add(d, addr, len, how, false);
}

int dbg_watch_add_phys(struct dbg *d, uint64_t pa, uint64_t len, enum dbg_watch how)
{
	return watch_add(d, pa, len, how, true);
}

bool dbg_point_del(struct dbg *d, int id)
{
	for (unsigned i = 0; i < DBG_POINTS_MAX; i++) {
		struct dbg_point *p = &d->points[i];
		if (!p->id || p->id != id)
			continue;
		remove_pieces(d, p, p->pieces);
		memset(p, 0, sizeof *p);
		sync_breaks(d);
		return true;
	}
	return false;
}

int dbg_break_find(const struct dbg *d, uint64_t addr)
{
	for (unsigned i = 0; i < DBG_POINTS_MAX; i++)
		if (d->points[i].id && !d->points[i].len && d->points[i].addr == addr)
			return d->points[i].id;
	return -1;
}

int dbg_watch_find(const struct dbg *d, uint64_t addr, uint64_t len, enum dbg_watch how)
{
	for (unsigned i = 0; i < DBG_POINTS_MAX; i++) {
		const struct dbg_point *p = &d->points[i];
		if (p->id && p->len == len && p->addr == addr && p->how == how)
			return p->id;
	}
	return -1;
}

bool points_reinsert(struct dbg *d)
{
	for (unsigned i = 0; i < DBG_POINTS_MAX; i++)
		if (d->points[i].id && !insert(d, &d->points[i]))
			return false;
	sync_breaks(d);
	return true;
}

void point_hit(struct dbg *d, int id)
{
	for (unsigned i = 0; i < DBG_POINTS_MAX; i++)
		if (d->points[i].id == id && d->points[i].temporary)
			dbg_point_del(d, id);
}

static const char *const watch_names[] = {
	[DBG_WATCH_WRITE] = "watch", [DBG_WATCH_READ] = "rwatch", [DBG_WATCH_ACCESS] = "awatch",
};

static void print_bits(FILE *out, const char *what, uint64_t set, const char *(*name)(unsigned))
{
	for (unsigned n = 0; n < 64; n++)
		if ((set >> n) & 1)
			fprintf(out, "catch  %s %u (%s)\n", what, n, name ? name(n) : "");
}

static const char *reason_name(unsigned n)
{
	return fault_reason_name((enum fault_reason)n);
}

static const char *no_name(unsigned n)
{
	(void)n;
	return "";
}

void dbg_points_print(const struct dbg *d, FILE *out)
{
	const struct dbg_catch *c = &d->catches;

	for (unsigned i = 0; i < DBG_POINTS_MAX; i++) {
		const struct dbg_point *p = &d->points[i];
		if (!p->id)
			continue;
		if (p->len)
			fprintf(out, "%-6d %s %#" PRIx64 " len %" PRIu64 "\n", p->id, watch_names[p->how],
				p->addr, p->len);
		else
			fprintf(out, "%-6d break %#" PRIx64 "%s\n", p->id, p->addr,
				p->temporary ? " (temporary)" : "");
	}
	if (c->fault_any)
		fprintf(out, "catch  fault (any)\n");
	print_bits(out, "fault vector", c->fault_vectors, no_name);
	print_bits(out, "fault #PF reason", c->fault_reasons, reason_name);
	if (c->vmexit_any)
		fprintf(out, "catch  vmexit (any)\n");
	print_bits(out, "vmexit", c->vmexit_reasons, vmx_exit_reason_name);
	if (c->hypercall_any)
		fprintf(out, "catch  hypercall (any)\n");
	print_bits(out, "hypercall", c->hypercalls, no_name);
}

/* "#PF, error code 0x1, cr2 0x103000 (smap)": the vector by name where it has one. */
static void fault_text(const struct fault *f, char *buf, size_t n)
{
	const char *v = dbg_vector_name(f->vector);
	int len = v ? snprintf(buf, n, "%s", v) : snprintf(buf, n, "vector %u", f->vector);

	if (len >= 0 && (size_t)len < n && f->has_error_code)
		len += snprintf(buf + len, n - (size_t)len, ", error code %#x", f->error_code);
	if (len >= 0 && (size_t)len < n && f->vector == X86_PF)
		snprintf(buf + len, n - (size_t)len, ", cr2 %#" PRIx64 " (%s)", f->cr2,
			 fault_reason_name((enum fault_reason)f->reason));
}

void dbg_describe_stop(struct dbg_stop *st)
{
	char *t = st->text, f[120];
	size_t n = sizeof st->text;
	const char *id;

	switch (st->kind) {
	case DBG_STOP_STEP:
		snprintf(t, n, "stopped");
		break;
	case DBG_STOP_BREAKPOINT:
		snprintf(t, n, "breakpoint %d", st->bp);
		break;
	case DBG_STOP_WATCHPOINT:
		snprintf(t, n, "watchpoint %d (access to %#" PRIx64 ")", st->bp, st->data_addr);
		break;
	case DBG_STOP_FAULT:
		fault_text(&st->fault, f, sizeof f);
		snprintf(t, n, "fault %s, not yet delivered", f);
		break;
	case DBG_STOP_VMEXIT:
		id = dbg_exit_reason_id(st->exit_reason);
		snprintf(t, n, "vmexit %u %s%s(%s)", st->exit_reason, id ? id : "", id ? " " : "",
			 vmx_exit_reason_name(st->exit_reason));
		break;
	case DBG_STOP_HYPERCALL:
		snprintf(t, n, "hypercall %" PRIu64 " (%s)", st->hypercall,
			 st->exit_reason == ~0u ? "SYSCALL from a PV guest" : "VMCALL");
		break;
	case DBG_STOP_INTERRUPT:
		snprintf(t, n, "interrupted");
		break;
	case DBG_STOP_HISTORY:
		snprintf(t, n, "reached the start of the run (no earlier history)");
		break;
	case DBG_STOP_EXITED:
		snprintf(t, n, "the machine finished with exit code %d", st->exit_code);
		break;
	case DBG_STOP_ERROR:
		break;
	}
}
