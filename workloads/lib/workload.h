/*
 * Guest workloads declare themselves like XTF tests: a title and a main function, and report one
 * of four results with defined meanings:
 *   SUCCESS  the property under test holds
 *   SKIP     the test cannot run here (a CPU feature is absent); not a failure
 *   ERROR    the test itself went wrong (unexpected fault, bad setup); not a verdict
 *   FAILURE  the property under test does not hold
 * The result is printed as "Test result: NAME" on COM1 and written to the debug-exit port.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum workload_result { RESULT_SUCCESS = 0, RESULT_FAILURE = 1, RESULT_ERROR = 3, RESULT_SKIP = 4 };

struct workload {
	const char *title;
	void (*main)(void);
};

#define WORKLOAD(t, fn) const struct workload workload_self = { .title = (t), .main = (fn) }

extern const char *workload_cmdline;
extern uint64_t workload_ram_size;

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);
__attribute__((noreturn)) void workload_report(enum workload_result r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

#endif
