/*
 * Synthetic traces (hvsim trace gen): page writes at a constant rate in virtual time over a
 * working set of guest pages, in one of four patterns. Write k (from 0) happens at guest time
 * floor(k * 10^9 / rate); there are floor(duration * rate / 10^9) writes, all before 'duration'.
 * Which page write k goes to, as a page of the working set (0..pages-1):
 *   seq      k mod pages
 *   uniform  uniformly random
 *   zipf     popularity rank r (1 = most popular) with P(r) proportional to r^-s; rank r is page
 *            r-1, so the hottest pages are the first of the set
 *   hotcold  90% of writes uniformly to the hot pages (the first tenth of the set, at least one
 *            page), the rest uniformly to the others (workloads/memstress's rule)
 * Everything random comes from one SplitMix64 stream seeded with 'seed': the same options give
 * the same trace, byte for byte.
 */
#ifndef HVSIM_SIM_TRACE_GEN_H
#define HVSIM_SIM_TRACE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/trace/merge.h"

#define GEN_PATTERNS(X) X(seq) X(uniform) X(zipf) X(hotcold)
#define GEN_PATTERN_ENUM(name) GEN_##name,
enum gen_pattern { GEN_PATTERNS(GEN_PATTERN_ENUM) GEN_PATTERN_COUNT };
#undef GEN_PATTERN_ENUM

bool gen_pattern_parse(const char *s, enum gen_pattern *p);
const char *gen_pattern_name(enum gen_pattern p);

/* SplitMix64 (Steele, Lea, Flood, OOPSLA 2014), the host twin of workloads/lib/prng.h. */
struct splitmix {
	uint64_t state;
};
uint64_t splitmix_next(struct splitmix *r);
/* Uniform in [0, n), n > 0, without bias (Lemire's multiply-shift with its rejection step). */
uint64_t splitmix_below(struct splitmix *r, uint64_t n);
/* Uniform in [0, 1), 53 random bits. */
double splitmix_unit(struct splitmix *r);

/*
 * Zipf's law over ranks 1..n with exponent s > 0, sampled exactly in O(1) memory by
 * rejection-inversion (Hörmann & Derflinger, "Rejection-inversion to generate variates from
 * monotone discrete distributions", ACM TOMACS 6(3), 1996).
 */
struct zipf {
	uint64_t n;
	double s;
	double area_lo, area_hi; /* H(1.5) - h(1) and H(n + 0.5): the range u is drawn from */
	double squeeze;          /* x within this below k is accepted without evaluating H */
};
void zipf_init(struct zipf *z, uint64_t n, double s);
uint64_t zipf_sample(const struct zipf *z, struct splitmix *r);

struct gen_config {
	enum gen_pattern pattern;
	uint64_t rate;      /* writes per virtual second, > 0 */
	uint64_t pages;     /* working-set pages, > 0 */
	uint64_t base_gfn;  /* the working set's first page in guest RAM */
	uint64_t ram;       /* guest RAM bytes: a multiple of the page size, holds the working set */
	uint64_t duration;  /* guest instructions */
	uint64_t quantum;   /* > 0 */
	uint64_t seed;
	double zipf_s;      /* > 0 */
};

/* floor(duration * rate / 10^9) into *n; false if that does not fit 64 bits. */
bool gen_count(uint64_t duration, uint64_t rate, uint64_t *n);
/* The time of write k: floor(k * 10^9 / rate). */
uint64_t gen_time(uint64_t k, uint64_t rate);

/* The writes one by one: gen_init, then gen_next until it returns false. */
struct gen {
	struct gen_config c;
	struct splitmix rng;
	struct zipf zipf;
	uint64_t hot;  /* hotcold: hot pages */
	uint64_t k, n; /* next write, writes in all */
};
/* False if the write count does not fit 64 bits (gen_count). */
bool gen_init(struct gen *g, const struct gen_config *c);
/* Write k's time and guest page; false after the last. */
bool gen_next(struct gen *g, uint64_t *time, uint64_t *gfn);

/* "hvsim trace gen --pattern P ...": every option, explicit, to go in the header's source. */
void gen_source(const struct gen_config *c, char *buf, size_t len);
/* Write the trace to 'path' ("-": stdout); false with the reason in err. */
bool gen_write(const struct gen_config *c, const char *path, struct merge_totals *t, char *err,
	       size_t errlen);

#endif
