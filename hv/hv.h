/* What every part of hv uses: types, the console, panics, pages and the direct map. */
#ifndef HV_H
#define HV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/layout.h"

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define STATIC_ASSERT(c, m) _Static_assert(c, m)

/* Set bits in v (without libgcc, which a freestanding image lacks). */
static inline uint64_t popcount64(uint64_t v)
{
	v -= (v >> 1) & 0x5555555555555555ull;
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (v * 0x0101010101010101ull) >> 56;
}

/* Physical memory is reached through the direct map (boot/layout.h). */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(DIRECTMAP_BASE + pa); }
static inline uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;
	return v >= KERNEL_VBASE ? v - KERNEL_VBASE : v - DIRECTMAP_BASE;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t n);
__attribute__((noreturn)) void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Command-line words "key=value" (hv's and a module's): see lib/cmdline.c. */
bool cmdline_str(const char *cmdline, const char *key, char *out, size_t size);
uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t dflt);
bool cmdline_flag(const char *cmdline, const char *key);

#endif
