/* Sets of guest pages (pageset.h). */
#include "sim/trace/pageset.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static uint64_t words(uint64_t pages)
{
	return (pages + 63) / 64;
}

bool pageset_init(struct pageset *s, uint64_t pages)
{
	*s = (struct pageset){ .pages = pages, .cap = words(pages) };
	s->bits = calloc(words(pages) ? words(pages) : 1, sizeof *s->bits);
	s->list = malloc((s->cap ? s->cap : 1) * sizeof *s->list);
	if (s->bits && s->list)
		return true;
	pageset_free(s);
	return false;
}

bool pageset_add(struct pageset *s, uint64_t gfn)
{
	uint64_t bit = 1ull << (gfn % 64);

	assert(gfn < s->pages);
	if (s->bits[gfn / 64] & bit)
		return false;
	s->bits[gfn / 64] |= bit;
	if (s->members < s->cap)
		s->list[s->members] = gfn;
	s->members++;
	return true;
}

void pageset_clear(struct pageset *s)
{
	if (s->members > s->cap)
		memset(s->bits, 0, words(s->pages) * sizeof *s->bits);
	else
		for (uint64_t i = 0; i < s->members; i++)
			s->bits[s->list[i] / 64] = 0;
	s->members = 0;
}

void pageset_free(struct pageset *s)
{
	free(s->bits);
	free(s->list);
	*s = (struct pageset){ 0 };
}
