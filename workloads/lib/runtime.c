/*
 * Workload runtime: entry, options, result reporting, and the few libc functions the compiler may
 * call. Under hv (RDX at entry, hv/include/hv_abi.h) the result goes out through HC_REPORT and a PV
 * guest's console through HC_CONSOLE_WRITE; bare, through port 0xf4 and COM1.
 */
#include "args.h"
#include "hypercall.h"
#include "mem.h"
#include "workload.h"

#define DEBUG_EXIT_PORT 0xf4
#define REPORT_MSG_MAX 256

#define SAME_RESULT(name) ((int)RESULT_##name == (int)HV_RESULT_##name)
_Static_assert(SAME_RESULT(SUCCESS) && SAME_RESULT(FAILURE) && SAME_RESULT(ERROR) && SAME_RESULT(SKIP),
	       "workload results are hv's results");

extern const struct workload workload_self;
const char *workload_cmdline;
uint64_t workload_ram_size;

static const char *const result_names[] = {
	[RESULT_SUCCESS] = "SUCCESS", [RESULT_FAILURE] = "FAILURE",
	[RESULT_ERROR] = "ERROR", [RESULT_SKIP] = "SKIP",
};

static __attribute__((noreturn)) void report_to_port(enum workload_result r)
{
	outl(DEBUG_EXIT_PORT, r);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static __attribute__((noreturn)) void report_to_hv(enum workload_result r, const char *msg)
{
	hv_call(HC_REPORT, r, (uint64_t)msg, 0, 0);
	/* HC_REPORT does not return: if it did, a VMX guest still has the port, a PV guest nothing. */
	if (hv_guest_type() == HV_BOOT_PV)
		for (;;)
			__asm__ volatile("ud2");
	report_to_port(r);
}

void workload_report(enum workload_result r, const char *fmt, ...)
{
	char msg[REPORT_MSG_MAX] = "";

	if (fmt) {
		va_list ap, ap2;
		va_start(ap, fmt);
		va_copy(ap2, ap);
		vprintk(fmt, ap);
		vsnprintk(msg, sizeof msg, fmt, ap2);
		va_end(ap2);
		va_end(ap);
		printk("\n");
	}
	printk("Test result: %s\n", result_names[r]);
	console_flush();
	if (hv_present())
		report_to_hv(r, msg);
	report_to_port(r);
}

void workload_parse_args(const struct arg_spec *specs, size_t n)
{
	struct args_where where = { 0 };
	enum args_err e = args_parse(workload_cmdline, specs, n, &where);
	char word[64];

	if (e == ARGS_OK)
		return;
	size_t len = where.len < sizeof word - 1 ? where.len : sizeof word - 1;
	memcpy(word, where.word, len);
	word[len] = 0;
	printk("options:");
	for (size_t i = 0; i < n; i++)
		printk(" %s=", specs[i].key);
	printk("\n");
	if (where.spec)
		printk("  %s: %s\n", where.spec->key, where.spec->help);
	if (e == ARGS_OUT_OF_RANGE)
		printk("  allowed: %lu..%lu\n", where.spec->min, where.spec->max);
	if (e == ARGS_BAD_CHOICE)
		for (const char *const *c = where.spec->choices; *c; c++)
			printk("  allowed: %s\n", *c);
	workload_report(RESULT_ERROR, "command line word '%s': %s", word, args_strerror(e));
}

void workload_entry(uint64_t ram_size, const char *cmdline, uint64_t boot_rdx, uint64_t boot_rsp);
void workload_entry(uint64_t ram_size, const char *cmdline, uint64_t boot_rdx, uint64_t boot_rsp)
{
	hv_init(boot_rdx);
	console_init(hv_guest_type() == HV_BOOT_PV);
	mem_init(ram_size, boot_rsp);
	workload_ram_size = ram_size;
	workload_cmdline = cmdline ? cmdline : "";
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
