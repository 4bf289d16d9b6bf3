/*
 * The trace file's on-disk layout (sim/trace/FORMAT.md, version 1), shared by writer.c and
 * reader.c and by nothing else: offsets of every field, the limits a reader enforces, the
 * little-endian, varint and zigzag codecs, the CRC, and the set of pages seen in a quantum.
 *
 * Every multi-byte integer is little-endian at any alignment, so fields are read and written
 * byte by byte through the helpers below, never by casting a struct onto file bytes.
 */
#ifndef HVSIM_SIM_TRACE_FORMAT_H
#define HVSIM_SIM_TRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim/trace/trace.h"

/* ---- header: FORMAT.md "Header" ---- */
#define HDR_MAGIC "HVSTRACE"
#define HDR_MAGIC_LEN 8
#define HDR_OFF_VERSION 8     /* u16 */
#define HDR_OFF_SIZE 10       /* u16: bytes before the CRC, HDR_FIXED + source_len */
#define HDR_OFF_PAGE_SIZE 12  /* u32 */
#define HDR_OFF_RAM 16        /* u64 */
#define HDR_OFF_QUANTUM 24    /* u64 */
#define HDR_OFF_VCPUS 32      /* u32 */
#define HDR_OFF_FLAGS 36      /* u32, 0: no flags are defined in version 1 */
#define HDR_OFF_SOURCE_LEN 40 /* u16 */
#define HDR_OFF_RESERVED 42   /* u32, 0 */
#define HDR_FIXED 46          /* where the source text starts */
#define HDR_CRC_LEN 4         /* u32 CRC-32 of the header_size bytes before it */
#define HDR_MAX (HDR_FIXED + TRACE_SOURCE_MAX + HDR_CRC_LEN)

/* ---- chunk: FORMAT.md "Chunk" ---- */
#define CHUNK_TAG "CHNK"
#define CHUNK_OFF_EVENTS 4    /* u32 */
#define CHUNK_OFF_RAW 8       /* u32: bytes of event stream the frame decompresses to */
#define CHUNK_OFF_COMP 12     /* u32: bytes of the zstd frame that follows the header */
#define CHUNK_OFF_CRC 16      /* u32 CRC-32 of bytes 0..15, then of the frame */
#define CHUNK_HDR 20
#define CHUNK_EVENTS_MAX 65536u
#define CHUNK_RAW_MAX (1u << 20)
#define CHUNK_ZSTD_LEVEL 3

/* ---- trailer: FORMAT.md "Trailer" ---- */
#define TRAILER_TAG "TEND"
#define TRAILER_OFF_CHUNKS 4    /* u32 */
#define TRAILER_OFF_EVENTS 8    /* u64 */
#define TRAILER_OFF_DURATION 16 /* u64 */
#define TRAILER_OFF_RESERVED 24 /* u32, 0 */
#define TRAILER_OFF_CRC 28      /* u32 CRC-32 of bytes 0..27 */
#define TRAILER_LEN 32

#define TAG_LEN 4

/* ---- event stream: FORMAT.md "Events" ---- */
#define VARINT_MAX 10 /* ceil(64 / 7) bytes hold any 64-bit value */
/* The writer starts a new chunk when an event might not fit: three varints of any size. */
#define EVENT_BYTES_MAX (3 * VARINT_MAX)
/* Low bit of the gfn varint; the zigzag delta sits above it. */
#define EV_PAGING_BIT 1u

_Static_assert(HDR_FIXED + TRACE_SOURCE_MAX <= UINT16_MAX, "header_size is a u16");
_Static_assert(TRACE_SOURCE_MAX <= UINT16_MAX, "source_len is a u16");
/* The page set keys pages by a 32-bit gfn (TRACE_RAM_MAX is 2^24 pages). */
_Static_assert(TRACE_RAM_MAX / TRACE_PAGE_SIZE <= UINT32_MAX, "gfn fits in 32 bits");
_Static_assert(CHUNK_EVENTS_MAX * 16ull <= CHUNK_RAW_MAX * 1ull, "a full chunk fits any v1 event");

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* CRC-32 as in zlib, gzip and Ethernet (reflected 0xEDB88320, init and final xor ~0). */
static inline uint32_t trace_crc32(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

/*
 * A chunk's CRC covers its frame as well as its header: zstd's checksum covers only what a frame
 * decodes to, and some bits of a frame change nothing in that (RFC 8878's Unused_bit, redundant
 * bits of compressed blocks), so without this a damaged file could pass every check.
 */
static inline uint32_t chunk_crc32(const uint8_t *hdr, const uint8_t *frame, size_t n)
{
	return (uint32_t)crc32(trace_crc32(hdr, CHUNK_OFF_CRC), frame, (uInt)n);
}

/* Zigzag maps small deltas of either sign to small unsigned numbers: 0,-1,1,-2 -> 0,1,2,3. */
static inline uint64_t zigzag(int64_t d)
{
	return ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
}

static inline int64_t unzigzag(uint64_t z)
{
	return (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
}

/* Unsigned LEB128 at p (room for VARINT_MAX bytes); returns the byte after it. */
static inline uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/*
 * Decode one varint from [p, end): the byte after it, or NULL if it is not one the format allows
 * (runs past end, longer than VARINT_MAX, bits beyond 64, or not minimal: a multi-byte varint
 * whose last byte is 0). varint_why() explains a NULL; this stays small for the hot path.
 */
static inline const uint8_t *varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	if (__builtin_expect(p < end && *p < 0x80, 1)) {
		*v = *p;
		return p + 1;
	}
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 7 * VARINT_MAX; shift += 7) {
		if (p == end)
			return NULL;
		uint8_t b = *p++;
		if (shift == 63 && b > 1)
			return NULL;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (b == 0 && shift)
				return NULL;
			*v = x;
			return p;
		}
	}
	return NULL;
}

static inline const char *varint_why(const uint8_t *p, const uint8_t *end)
{
	for (unsigned i = 0; i < VARINT_MAX; i++) {
		if (p + i == end)
			return "the chunk's event stream ends inside a varint (truncated event)";
		uint8_t b = p[i];
		if (i == VARINT_MAX - 1 && b > 1)
			return "varint overflows 64 bits";
		if (!(b & 0x80))
			break;
	}
	/* A 10th byte above 1 was caught above, so a varint that got here ended non-minimal. */
	return "varint not in its shortest form (its last byte is 0)";
}

/*
 * The pages seen in the current quantum, for the rule that a page appears at most once per
 * quantum. Open addressing with linear probing; a slot holds (generation << 32 | gfn), and a slot
 * of an older generation counts as empty, so moving to the next quantum is one increment however
 * many pages the last one held. Only inserts happen within a generation, so treating stale slots
 * as empty never breaks a probe chain. The table doubles at half full: it holds at most one entry
 * per guest page, so its size is bounded by the header's (validated) guest RAM.
 */
struct qset {
	uint64_t *slot;
	uint32_t bits;  /* log2 of the slot count */
	uint32_t gen;   /* current generation, >= 1; calloc'd slots (0) are stale */
	size_t count;   /* entries of the current generation */
};

#define QSET_BITS0 10

static inline bool qset_init(struct qset *s)
{
	*s = (struct qset){ .bits = QSET_BITS0, .gen = 1 };
	s->slot = calloc((size_t)1 << s->bits, sizeof *s->slot);
	return s->slot != NULL;
}

static inline void qset_free(struct qset *s)
{
	free(s->slot);
	s->slot = NULL;
}

static inline void qset_clear(struct qset *s)
{
	s->count = 0;
	if (++s->gen == 0) {
		memset(s->slot, 0, sizeof *s->slot << s->bits);
		s->gen = 1;
	}
}

/* Fibonacci hashing: the top bits of gfn * 2^64/phi spread neighbouring pages apart. */
static inline size_t qset_hash(uint64_t gfn, uint32_t bits)
{
	return (size_t)((gfn * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

static inline bool qset_grow(struct qset *s)
{
	uint32_t bits = s->bits + 1;
	size_t mask = ((size_t)1 << bits) - 1;
	uint64_t *slot = calloc(mask + 1, sizeof *slot);

	if (!slot)
		return false;
	for (size_t i = 0; i < (size_t)1 << s->bits; i++) {
		uint64_t v = s->slot[i];
		if (v >> 32 != s->gen)
			continue;
		size_t j = qset_hash((uint32_t)v, bits);
		while (slot[j])
			j = (j + 1) & mask;
		slot[j] = v;
	}
	free(s->slot);
	s->slot = slot;
	s->bits = bits;
	return true;
}

/* Add gfn (< 2^32): 1 if it was new, 0 if it was already there, -1 if out of memory. */
static inline int qset_add(struct qset *s, uint64_t gfn)
{
	if (__builtin_expect(s->count >= (size_t)1 << (s->bits - 1), 0) && !qset_grow(s))
		return -1;
	uint64_t key = (uint64_t)s->gen << 32 | gfn;
	size_t mask = ((size_t)1 << s->bits) - 1, i = qset_hash(gfn, s->bits);
	for (;; i = (i + 1) & mask) {
		uint64_t v = s->slot[i];
		if (v == key)
			return 0;
		if (v >> 32 != s->gen) {
			s->slot[i] = key;
			s->count++;
			return 1;
		}
	}
}

#endif
