/* Synthetic traces (gen.h). */
#include "sim/trace/gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOT_PERCENT_OF_PAGES 10 /* workloads/memstress's hotcold rule */
#define HOT_PERCENT_OF_WRITES 90

#define GEN_PATTERN_NAME(name) #name,
static const char *const pattern_names[] = { GEN_PATTERNS(GEN_PATTERN_NAME) };

bool gen_pattern_parse(const char *s, enum gen_pattern *p)
{
	for (unsigned i = 0; i < GEN_PATTERN_COUNT; i++)
		if (!strcmp(s, pattern_names[i])) {
			*p = (enum gen_pattern)i;
			return true;
		}
	return false;
}

const char *gen_pattern_name(enum gen_pattern p)
{
	return p < GEN_PATTERN_COUNT ? pattern_names[p] : "?";
}

/* ---- random numbers ---- */

uint64_t splitmix_next(struct splitmix *r)
{
	uint64_t z = r->state += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Lemire, "Fast random integer generation in an interval" (ACM TOMACS 2019): the high word of
 * x * n is uniform over [0, n) once the products whose low word falls below 2^64 mod n, the
 * surplus that makes some results one more likely, are drawn again.
 */
uint64_t splitmix_below(struct splitmix *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)splitmix_next(r) * n;

	if ((uint64_t)m < n) {
		uint64_t surplus = -n % n;
		while ((uint64_t)m < surplus)
			m = (unsigned __int128)splitmix_next(r) * n;
	}
	return (uint64_t)(m >> 64);
}

double splitmix_unit(struct splitmix *r)
{
	return (double)(splitmix_next(r) >> 11) * 0x1.0p-53;
}

/* ---- Zipf by rejection-inversion ---- */

/*
 * The weights are h(x) = x^-s, and H(x) = (x^(1-s) - 1) / (1 - s) is an antiderivative (log x
 * when s = 1). h is decreasing and convex, so over [k - 1/2, k + 1/2] its integral is at least
 * h(k) (the midpoint rule under-estimates a convex function). Lay the ranks side by side in
 * H-space: rank 1 gets exactly [H(1.5) - 1, H(1.5)], rank k >= 2 the last h(k) of
 * [H(k - 1/2), H(k + 1/2)]. Draw u uniformly over [H(1.5) - 1, H(n + 1/2)], invert x = H^-1(u),
 * round to the nearest rank k; u in k's accepted part (u >= H(k + 1/2) - h(k)) gives k with
 * probability proportional to h(k), anything else is drawn again. Few draws are rejected, and
 * nothing is tabulated, so n may be as large as 2^64 - 1.
 *
 * Both H and H^-1 are written through (e^t - 1)/t and log(1 + t)/t, which stay accurate as
 * t = (1 - s) log x goes to 0, so s = 1 needs no case of its own.
 */
static double expm1_over(double t)
{
	return fabs(t) > 1e-8 ? expm1(t) / t : 1 + t / 2 * (1 + t / 3);
}

static double log1p_over(double t)
{
	return fabs(t) > 1e-8 ? log1p(t) / t : 1 - t * (0.5 - t / 3);
}

static double zipf_h(const struct zipf *z, double x)
{
	return exp(-z->s * log(x));
}

static double zipf_H(const struct zipf *z, double x)
{
	double lx = log(x);
	return lx * expm1_over((1 - z->s) * lx);
}

static double zipf_H_inv(const struct zipf *z, double y)
{
	return exp(y * log1p_over((1 - z->s) * y));
}

void zipf_init(struct zipf *z, uint64_t n, double s)
{
	*z = (struct zipf){ .n = n, .s = s };
	z->area_lo = zipf_H(z, 1.5) - 1;
	z->area_hi = zipf_H(z, (double)n + 0.5);
	/*
	 * The paper's squeeze: x in [k - squeeze, k + 1/2] lies inside k's accepted part for every
	 * k >= 2 (the part reaches least far below k at k = 2), so u need not be compared.
	 */
	z->squeeze = 2 - zipf_H_inv(z, zipf_H(z, 2.5) - zipf_h(z, 2));
}

uint64_t zipf_sample(const struct zipf *z, struct splitmix *r)
{
	for (;;) {
		double u = z->area_hi + splitmix_unit(r) * (z->area_lo - z->area_hi);
		double x = zipf_H_inv(z, u);
		double nearest = floor(x + 0.5);
		uint64_t k = nearest < 1 ? 1 : nearest >= (double)z->n ? z->n : (uint64_t)nearest;

		if ((double)k - x <= z->squeeze || u >= zipf_H(z, (double)k + 0.5) - zipf_h(z, (double)k))
			return k;
	}
}

/* ---- the writes ---- */

bool gen_count(uint64_t duration, uint64_t rate, uint64_t *n)
{
	unsigned __int128 w = (unsigned __int128)duration * rate / TRACE_NS_PER_SECOND;

	*n = (uint64_t)w;
	return w <= UINT64_MAX;
}

uint64_t gen_time(uint64_t k, uint64_t rate)
{
	return (uint64_t)((unsigned __int128)k * TRACE_NS_PER_SECOND / rate);
}

bool gen_init(struct gen *g, const struct gen_config *c)
{
	*g = (struct gen){ .c = *c, .rng = { c->seed } };
	g->hot = c->pages * HOT_PERCENT_OF_PAGES / 100 ? c->pages * HOT_PERCENT_OF_PAGES / 100 : 1;
	if (c->pattern == GEN_zipf)
		zipf_init(&g->zipf, c->pages, c->zipf_s);
	return gen_count(c->duration, c->rate, &g->n);
}

static uint64_t pick(struct gen *g)
{
	uint64_t pages = g->c.pages;

	switch (g->c.pattern) {
	case GEN_seq:
		return g->k % pages;
	case GEN_uniform:
		return splitmix_below(&g->rng, pages);
	case GEN_zipf:
		return zipf_sample(&g->zipf, &g->rng) - 1;
	case GEN_hotcold:
		if (splitmix_below(&g->rng, 100) < HOT_PERCENT_OF_WRITES || g->hot == pages)
			return splitmix_below(&g->rng, g->hot);
		return g->hot + splitmix_below(&g->rng, pages - g->hot);
	default:
		abort();
	}
}

bool gen_next(struct gen *g, uint64_t *time, uint64_t *gfn)
{
	if (g->k == g->n)
		return false;
	*time = gen_time(g->k, g->c.rate);
	*gfn = g->c.base_gfn + pick(g);
	g->k++;
	return true;
}

/* ---- the trace ---- */

/* The shortest of %.15g and %.17g that reads back as v: "0.99", not "0.98999999999999999". */
static void format_double(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

void gen_source(const struct gen_config *c, char *buf, size_t len)
{
	char s[64] = "";

	if (c->pattern == GEN_zipf) {
		strcpy(s, " --zipf-s ");
		format_double(s + strlen(s), sizeof s - strlen(s), c->zipf_s);
	}
	snprintf(buf, len,
		 "hvsim trace gen --pattern %s --rate %llu --wss %llu --duration %llu --ram %llu "
		 "--base %llu --quantum %llu --seed %llu%s",
		 gen_pattern_name(c->pattern), (unsigned long long)c->rate,
		 (unsigned long long)(c->pages * TRACE_PAGE_SIZE), (unsigned long long)c->duration,
		 (unsigned long long)c->ram, (unsigned long long)(c->base_gfn * TRACE_PAGE_SIZE),
		 (unsigned long long)c->quantum, (unsigned long long)c->seed, s);
}

bool gen_write(const struct gen_config *c, const char *path, struct merge_totals *t, char *err,
	       size_t errlen)
{
	struct trace_header h = { .page_size = TRACE_PAGE_SIZE, .vcpus = 1, .guest_ram = c->ram,
				  .quantum = c->quantum };
	struct trace_event e = { 0 };
	struct trace_merger m;
	struct gen g;

	if (!gen_init(&g, c)) {
		snprintf(err, errlen, "more than 2^64 writes");
		return false;
	}
	gen_source(c, h.source, sizeof h.source);
	if (!merger_create(&m, path, &h, err, errlen))
		return false;
	while (gen_next(&g, &e.time, &e.gfn))
		if (!merger_write(&m, &e, err, errlen)) {
			merger_abandon(&m);
			return false;
		}
	return merger_finish(&m, c->duration, t, err, errlen);
}
