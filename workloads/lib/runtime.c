/* Workload runtime: entry, result reporting, and the few libc functions the compiler may call. */
#include "workload.h"

#define DEBUG_EXIT_PORT 0xf4

extern const struct workload workload_self;
const char *workload_cmdline;
uint64_t workload_ram_size;

static const char *const result_names[] = {
	[RESULT_SUCCESS] = "SUCCESS", [RESULT_FAILURE] = "FAILURE",
	[RESULT_ERROR] = "ERROR", [RESULT_SKIP] = "SKIP",
};

void workload_report(enum workload_result r, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vprintk(fmt, ap);
		va_end(ap);
		printk("\n");
	}
	printk("Test result: %s\n", result_names[r]);
	outl(DEBUG_EXIT_PORT, r);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void workload_entry(uint64_t ram_size, const char *cmdline);
void workload_entry(uint64_t ram_size, const char *cmdline)
{
	workload_ram_size = ram_size;
	workload_cmdline = cmdline;
	printk("--- workload: %s ---\n", workload_self.title);
	workload_self.main();
	workload_report(RESULT_SUCCESS, NULL);
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}
