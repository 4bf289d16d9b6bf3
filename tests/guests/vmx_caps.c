/*
 * What a CPU profile reports about VMX: CPUID.1:ECX.VMX, the VMX capability MSRs (SDM Vol. 3,
 * Appendix A) and which VMCS field encodings VMREAD accepts (Appendix B). Only reports; the
 * consistency rules live in tests/vmx/test_vmx_insn.c. Output:
 *
 *   cpuid-vmx=B
 *   msr 0xNNN=0xVALUE   or   msr 0xNNN=#GP
 *   field 0xEEEE        for every encoding (bit 12 and bits 31:15 clear) VMREAD succeeds on
 */
#include "traps.h"
#include "vmx.h"
#include "workload.h"

static struct vmx_vcpu vcpu;

uint32_t probe_msr_index;
uint64_t probe_msr_value;
extern char s_rdmsr[];
__asm__(".text\n"
	"s_rdmsr: mov probe_msr_index(%rip), %ecx\n"
	"  rdmsr\n"
	"  shl $32, %rdx; or %rdx, %rax; mov %rax, probe_msr_value(%rip)\n"
	"  ret\n");

static void vmx_caps_main(void)
{
	uint32_t a, b, c, d;

	traps_init();
	cpuid(1, 0, &a, &b, &c, &d);
	printk("cpuid-vmx=%u\n", c >> 5 & 1);
	for (uint32_t msr = 0x480; msr <= 0x493; msr++) {
		probe_msr_index = msr;
		if (probe_call(s_rdmsr) && last_trap.vector == 13)
			printk("msr %#x=#GP\n", msr);
		else if (last_trap.count && last_trap.vector != 13)
			printk("msr %#x=vector %lu\n", msr, last_trap.vector);
		else
			printk("msr %#x=%#lx\n", msr, probe_msr_value);
	}
	if (vmx_start(&vcpu) != VMX_OK)
		workload_report(RESULT_ERROR, "cannot enter VMX operation");
	/* Encoding bits (25.11.2): 0 access type, 9:1 index, 11:10 type, 14:13 width. */
	for (uint32_t width = 0; width < 4; width++)
		for (uint32_t type = 0; type < 4; type++)
			for (uint32_t index = 0; index < 512; index++)
				for (uint32_t high = 0; high < 2; high++) {
					uint32_t enc = width << 13 | type << 10 | index << 1 | high;
					uint64_t v;
					if (vmread(enc, &v) == VMX_OK)
						printk("field 0x%04x\n", enc);
				}
	vmxoff();
	printk("done\n");
}

WORKLOAD("vmx: capability MSRs and supported VMCS fields", vmx_caps_main);
