/*
 * Versioned pages: a set of 4K pages whose contents follow from one version number per page, so a
 * workload can dirty pages cheaply and still check every byte it owns (memstress, ptstress).
 *
 * Word w (0..511, 8 bytes each) of page p holds word_value(p, v, w) for the last version v that
 * wrote it. Version 0 writes every word (pagever_init); version v >= 1 (the v-th pagever_write of
 * the page) writes only word (v - 1) mod 512. So word w of a page at version V holds version 0,
 * or the largest v <= V with (v - 1) mod 512 == w. word_value is mix64(mix64(seed) + (p << 32 | v))
 * plus w times an odd constant: distinct (page, version) pairs give distinct words, so a page whose
 * latest write was lost (say, copied by a migration before that write and never again) has at
 * least one stale word. The sum of all versions equals the number of writes: a lost update of the
 * version array itself shows there.
 */
#ifndef WORKLOAD_PAGEVER_H
#define WORKLOAD_PAGEVER_H

#include <stdbool.h>
#include <stdint.h>

#define PAGEVER_WORDS 512

struct pagever {
	volatile uint64_t *base; /* page p at base + p * PAGEVER_WORDS */
	uint32_t *version;
	uint64_t pages, key, writes;
	uint64_t last_page;      /* written last (the corruption self-test uses it) */
};

struct pagever_verdict {
	uint64_t bad_pages;
	uint64_t first_bad, word, got, want; /* the first bad page and its first bad word */
	uint64_t version_sum;
};

/* Take 'pages' pages and their versions from free RAM (mem.h) and write version 0; false if short. */
bool pagever_init(struct pagever *pv, uint64_t pages, uint64_t seed);
/* Bytes pagever_init takes for 'pages' pages. */
uint64_t pagever_footprint(uint64_t pages);
/* Write the next version of 'page' through 'view', a mapping of it (base + page, or an alias). */
void pagever_write(struct pagever *pv, uint64_t page, volatile uint64_t *view);
/* Check 'page' through 'view': true if every word matches its version; else *word is the first bad one. */
bool pagever_check(const struct pagever *pv, uint64_t page, const volatile uint64_t *view, uint64_t *word);
/* Check every page through base; the verdict counts bad pages and sums the versions. */
void pagever_verify(const struct pagever *pv, struct pagever_verdict *v);
/* Verify; print "verified N pages" or report FAILURE naming the first bad page and the count. */
void pagever_verify_or_fail(const struct pagever *pv, uint64_t expected_writes);
/* Self-test of the checker: flip one byte of the word 'page' was last written in. */
void pagever_corrupt(struct pagever *pv, uint64_t page);

#endif
