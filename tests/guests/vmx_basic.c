/*
 * A first VM: VMXON, a VMCS for a 64-bit guest sharing the host's address space, VMLAUNCH, and
 * the unconditional exits CPUID (reason 10) and VMCALL (18) plus HLT (12) with "HLT exiting"
 * (SDM Vol. 3, 26.1.2, 26.1.3), each with its instruction length; then VMRESUME after each.
 */
#include "traps.h"
#include "vmx.h"
#include "workload.h"

static struct vmx_vcpu vcpu;
static uint8_t guest_stack[8192] __attribute__((aligned(16)));
static unsigned failures;

extern char guest_code[];
__asm__(".text\n"
	"guest_code:\n"
	"  mov $0x1234, %rbx\n"
	"  cpuid\n"
	"  vmcall\n"
	"  hlt\n"
	"  jmp guest_code\n");

static void expect(const char *what, uint64_t got, uint64_t want)
{
	if (got == want) {
		printk("PASS %s\n", what);
		return;
	}
	failures++;
	printk("FAIL %s: got %#lx, expected %#lx\n", what, got, want);
}


static void clear_vmxe(void)
{
	write_cr4(read_cr4() & ~CR4_VMXE);
}

static void main_fn(void)
{
	enum vmx_status s;

	traps_init();
	s = vmx_start(&vcpu);
	expect("vmxon+vmclear+vmptrld succeed", s, VMX_OK);
	if (s != VMX_OK)
		workload_report(RESULT_FAILURE, "cannot enter VMX operation");
	/* SDM Vol. 3, 24.8: in VMX operation, clearing a CR4 bit fixed to 1 (VMXE) is #GP(0). */
	expect("MOV to CR4 clearing VMXE in VMX operation traps", probe_call(clear_vmxe), 1);
	expect("  with #GP", last_trap.vector, 13);
	vmx_setup_vmcs((uint64_t)guest_code, (uint64_t)(guest_stack + sizeof guest_stack));
	vmwrite(PROC_CONTROLS, vmx_adjust(MSR_VMX_TRUE_PROC, PROC_HLT_EXITING));

	static const struct { const char *name; uint32_t reason, len; } exits[] = {
		{ "CPUID exit", 10, 2 }, { "VMCALL exit", 18, 3 }, { "HLT exit", 12, 1 },
	};
	for (unsigned i = 0; i < sizeof exits / sizeof exits[0]; i++) {
		uint32_t reason = vmx_run(&vcpu, &s);
		expect(exits[i].name, reason, exits[i].reason);
		if (reason == 0xffffffffu) {
			printk("entry failed: status %d error %lu\n", s, vmreadz(VM_INSTRUCTION_ERROR));
			break;
		}
		expect("  instruction length", vmreadz(EXIT_INSN_LEN), exits[i].len);
		vmx_skip_instruction();
	}
	expect("guest RBX survives exits", vcpu.gprs.rbx, 0x1234);
	expect("vmxoff", vmxoff(), VMX_OK);
	if (failures)
		workload_report(RESULT_FAILURE, "%u checks failed", failures);
}

WORKLOAD("vmx: first VM entry and unconditional exits", main_fn);
