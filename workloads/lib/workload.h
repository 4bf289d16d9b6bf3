/*
 * Guest workloads declare themselves like XTF tests: a title and a main function, and report one
 * of four results with defined meanings:
 *   SUCCESS  the property under test holds
 *   SKIP     the test cannot run here (a CPU feature is absent); not a failure
 *   ERROR    the test itself went wrong (unexpected fault, bad setup); not a verdict
 *   FAILURE  the property under test does not hold
 * The result is printed as "Test result: NAME" on the console and written to the debug-exit port
 * (bare, hvsim run) or passed to hv with HC_REPORT (under hv, hv/include/hv_abi.h).
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86.h" /* port I/O and the other instructions: shared with hv/ */

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
/* printk into buf (at most size - 1 characters and a NUL); returns the length untruncated. */
size_t snprintk(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t vsnprintk(char *buf, size_t size, const char *fmt, va_list ap);
/* The console: COM1, or HC_CONSOLE_WRITE a line at a time (PV guests). */
void console_init(bool use_hypercalls);
void console_flush(void);

/* SUCCESS, FAILURE, ERROR or SKIP, with a message (fmt may be NULL); under hv via HC_REPORT. */
__attribute__((noreturn)) void workload_report(enum workload_result r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Options from workload_cmdline (args.h); a bad word reports ERROR, listing the options. */
struct arg_spec;
void workload_parse_args(const struct arg_spec *specs, size_t n);


void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

#endif
