/*
 * smap-demo: HC_UNSAFE_READ, which hv implements only in an HV_UNSAFE_DEMO build, and there on
 * purpose without its copy helpers: it reads the guest's buffer directly. The guest passes a
 * buffer of its own memory and checks that the byte sum hv returns is the sum it computes itself.
 * Under hv with SMAP on, hv's direct read of a user page faults and hv kills the guest: that is
 * the demonstration, and hv's to report, not this program's.
 *   SUCCESS  the sum is right (hv read the buffer: no SMAP fault)
 *   FAILURE  a wrong sum, or an error for a good buffer
 *   SKIP     no hv, or an hv built without the demo (-HV_ENOSYS)
 */
#include "hypercall.h"
#include "workload.h"

#define BUF_BYTES (4096 + 123) /* crosses a page boundary, odd length */

static uint8_t buf[BUF_BYTES] __attribute__((aligned(4096)));

static void smap_demo_main(void)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < BUF_BYTES; i++) {
		buf[i] = (uint8_t)(i * 7 + 3);
		sum += buf[i];
	}
	long got = hv_call(HC_UNSAFE_READ, (uint64_t)buf, BUF_BYTES, 0, 0);
	if (got == -HV_ENOSYS)
		workload_report(RESULT_SKIP, "HC_UNSAFE_READ is not available (%s guest: %s)", hv_guest_name(),
				hv_present() ? "hv was built without HV_UNSAFE_DEMO" : "no hypervisor");
	if (got < 0)
		workload_report(RESULT_FAILURE, "HC_UNSAFE_READ of a good %u-byte buffer returned %ld",
				BUF_BYTES, got);
	if ((uint64_t)got != sum)
		workload_report(RESULT_FAILURE, "HC_UNSAFE_READ returned byte sum %ld, expected %lu", got, sum);
	printk("HC_UNSAFE_READ summed %u bytes correctly: %lu\n", BUF_BYTES, sum);
}

WORKLOAD("smap-demo: hv reads guest memory without its copy helpers", smap_demo_main);
