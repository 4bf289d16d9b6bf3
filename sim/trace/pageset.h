/*
 * A set of guest pages, emptied often: a bitmap over guest RAM (2 MiB for the largest RAM a trace
 * may describe) and a list of its members, so that emptying costs the members, not the RAM. The
 * list holds at most one member per 64 pages; past that, emptying clears the bitmap whole, which
 * then costs about as much as walking the list would. Both are allocated once: adding never fails.
 */
#ifndef HVSIM_SIM_TRACE_PAGESET_H
#define HVSIM_SIM_TRACE_PAGESET_H

#include <stdbool.h>
#include <stdint.h>

struct pageset {
	uint64_t pages;   /* gfns 0..pages-1 */
	uint64_t members;
	uint64_t *bits;
	uint64_t *list;   /* the first min(members, cap) members */
	uint64_t cap;
};

/* False if out of memory. */
bool pageset_init(struct pageset *s, uint64_t pages);
/* Add gfn (< pages); true if it was not a member. */
bool pageset_add(struct pageset *s, uint64_t gfn);
void pageset_clear(struct pageset *s);
void pageset_free(struct pageset *s);

#endif
