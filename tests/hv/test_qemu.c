/*
 * The same build/hv/hv.elf boots under QEMU (qemu-system-x86_64 -cpu Broadwell -kernel, TCG:
 * no VMX) and runs the PV and SMAP scenarios with the same serial output and exit status as in
 * hvsim. QEMU loads hv by its Multiboot header's address fields (it refuses ELF64 otherwise).
 * Skipped, with a message, where QEMU is not installed.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/lib/harness.h"

static bool have_qemu(void)
{
	return system("command -v qemu-system-x86_64 >/dev/null 2>&1") == 0;
}

static char *read_all(FILE *f)
{
	size_t cap = 4096, len = 0, n;
	char *buf = malloc(cap);
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0)
		if ((len += n) + 1 == cap)
			buf = realloc(buf, cap *= 2);
	buf[len] = 0;
	return buf;
}

/* QEMU's isa-debug-exit turns a value v into exit status (v << 1) | 1, as hvsim --exit-code qemu. */
static char *run_qemu(const char *hv, const char *cmdline, const char *module, int *status)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "timeout 120 qemu-system-x86_64 -machine pc -cpu Broadwell -m 256M -display none "
		 "-vga none -monitor none -serial stdio -no-reboot "
		 "-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel '%s' -append '%s' -initrd '%s' "
		 "2>/dev/null </dev/null",
		 build_path(hv), cmdline, module);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char *out = read_all(p);
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

static const struct {
	const char *hv, *cmdline, *workload;
	int status; /* QEMU-style: (v << 1) | 1 */
} scenarios[] = {
	{ "hv/hv.elf", "guest=pv", "workloads/hello.elf", 1 },
	{ "hv/hv.elf", "guest=pv", "workloads/hypercalls.elf", 1 },
	{ "hv/hv-unsafe-demo.elf", "guest=pv", "workloads/smap-demo.elf", 3 },
	{ "hv/hv-unsafe-demo.elf", "guest=pv nosmap", "workloads/smap-demo.elf", 1 },
};

START_TEST(same_serial_output_as_hvsim)
{
	char module[512];
	int qstatus;
	struct run_result r;

	if (!have_qemu()) {
		printf("qemu: skipped, qemu-system-x86_64 is not installed (Debian: qemu-system-x86)\n");
		return;
	}
	snprintf(module, sizeof module, "%s", build_path(scenarios[_i].workload));
	char *qout = run_qemu(scenarios[_i].hv, scenarios[_i].cmdline, module, &qstatus);
	const char *const args[] = { "run", "--mem", "256M", "--exit-code", "qemu", "--cmdline",
				     scenarios[_i].cmdline, "--module", module,
				     build_path(scenarios[_i].hv), NULL };
	run_hvsim(&r, args);
	ck_assert_msg(strstr(qout, "hv: done"), "QEMU run did not finish:\n%s", qout);
	ck_assert_str_eq(qout, r.out);
	ck_assert_int_eq(qstatus, scenarios[_i].status);
	ck_assert_int_eq(r.exit_code, scenarios[_i].status);
	free(qout);
	run_result_free(&r);
}
END_TEST

Suite *suite_qemu(void)
{
	Suite *s = suite_create("qemu");
	TCase *tc = tcase_create("pv");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, same_serial_output_as_hvsim, 0, sizeof scenarios / sizeof scenarios[0]);
	suite_add_tcase(s, tc);
	return s;
}
