/*
 * Deterministic pseudo-random numbers for workloads: SplitMix64 (Steele, Lea, Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014). mix64 is its output function, a
 * bijection on 64-bit values: distinct inputs give distinct outputs.
 */
#ifndef WORKLOAD_PRNG_H
#define WORKLOAD_PRNG_H

#include <stdint.h>

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct prng {
	uint64_t state;
};

static inline struct prng prng_seed(uint64_t seed)
{
	return (struct prng){ .state = seed };
}

static inline uint64_t prng_next(struct prng *p)
{
	return mix64(p->state += 0x9e3779b97f4a7c15ull);
}

/* Uniform in [0, n) for n <= 2^32 (Lemire's multiply-shift, without the rejection step). */
static inline uint64_t prng_below(struct prng *p, uint64_t n)
{
	return ((prng_next(p) >> 32) * n) >> 32;
}

#endif
