#include "pagever.h"

#include "mem.h"
#include "prng.h"
#include "workload.h"

#define WORD_STEP 0x9e3779b97f4a7c15ull /* odd: w * WORD_STEP differs for every word */

static uint64_t word_value(const struct pagever *pv, uint64_t page, uint64_t version, uint64_t w)
{
	return mix64(pv->key + (page << 32 | version)) + w * WORD_STEP;
}

/* The version that last wrote word w of a page at version v. */
static uint64_t word_version(uint64_t v, uint64_t w)
{
	if (v < w + 1)
		return 0;
	return w + 1 + (v - w - 1) / PAGEVER_WORDS * PAGEVER_WORDS;
}

static uint64_t word_slot(uint64_t v)
{
	return (v - 1) % PAGEVER_WORDS;
}

uint64_t pagever_footprint(uint64_t pages)
{
	uint64_t versions = (pages * sizeof(uint32_t) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	return pages * PAGE_SIZE + versions;
}

bool pagever_init(struct pagever *pv, uint64_t pages, uint64_t seed)
{
	if (pagever_footprint(pages) > mem_free_bytes())
		return false;
	*pv = (struct pagever){ .base = mem_alloc_pages(pages * PAGE_SIZE),
				.version = mem_alloc_pages(pages * sizeof(uint32_t)),
				.pages = pages, .key = mix64(seed) };
	for (uint64_t p = 0; p < pages; p++) {
		volatile uint64_t *page = pv->base + p * PAGEVER_WORDS;
		uint64_t v0 = word_value(pv, p, 0, 0);
		for (uint64_t w = 0; w < PAGEVER_WORDS; w++)
			page[w] = v0 + w * WORD_STEP;
		pv->version[p] = 0;
	}
	return true;
}

void pagever_write(struct pagever *pv, uint64_t page, volatile uint64_t *view)
{
	uint64_t v = ++pv->version[page];
	view[word_slot(v)] = word_value(pv, page, v, word_slot(v));
	pv->writes++;
	pv->last_page = page;
}

static uint64_t expected(const struct pagever *pv, uint64_t page, uint64_t w)
{
	return word_value(pv, page, word_version(pv->version[page], w), w);
}

bool pagever_check(const struct pagever *pv, uint64_t page, const volatile uint64_t *view, uint64_t *word)
{
	for (uint64_t w = 0; w < PAGEVER_WORDS; w++)
		if (view[w] != expected(pv, page, w)) {
			*word = w;
			return false;
		}
	return true;
}

void pagever_verify(const struct pagever *pv, struct pagever_verdict *v)
{
	*v = (struct pagever_verdict){ 0 };
	for (uint64_t p = 0; p < pv->pages; p++) {
		const volatile uint64_t *page = pv->base + p * PAGEVER_WORDS;
		uint64_t w;
		v->version_sum += pv->version[p];
		if (pagever_check(pv, p, page, &w))
			continue;
		if (v->bad_pages++)
			continue;
		v->first_bad = p;
		v->word = w;
		v->got = page[w];
		v->want = expected(pv, p, w);
	}
}

void pagever_verify_or_fail(const struct pagever *pv, uint64_t expected_writes)
{
	struct pagever_verdict v;

	pagever_verify(pv, &v);
	if (v.bad_pages)
		workload_report(RESULT_FAILURE, "%lu of %lu pages bad, first bad page %lu (word %lu: %#lx, expected %#lx)",
				v.bad_pages, pv->pages, v.first_bad, v.word, v.got, v.want);
	if (v.version_sum != expected_writes)
		workload_report(RESULT_FAILURE, "page versions add up to %lu, but %lu writes were made",
				v.version_sum, expected_writes);
	printk("verified %lu pages\n", pv->pages);
}

void pagever_corrupt(struct pagever *pv, uint64_t page)
{
	uint64_t v = pv->version[page];
	volatile uint8_t *byte = (volatile uint8_t *)(pv->base + page * PAGEVER_WORDS + (v ? word_slot(v) : 0));
	*byte ^= 0xff;
}
