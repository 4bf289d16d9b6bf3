/*
 * MOV to CR4 accepts exactly the bits of the features CPUID reports: "attempting to set any
 * reserved bits in CR4 results in a general-protection exception, #GP(0)", and a bit is reserved
 * when the processor does not support its feature (SDM Vol. 3, 2.5 "Control Registers";
 * Vol. 2B, MOV--Move to/from Control Registers, Protected Mode Exceptions). The expectation for
 * each bit is derived here from CPUID, so the guest passes on every CPU profile: under
 * broadwell-ep-nosmap, whose CPUID hides SMAP, setting CR4.SMAP must be #GP(0).
 * Also from the MOV CR4 exceptions: clearing CR4.PAE in IA-32e mode is #GP(0).
 */
#include "traps.h"
#include "workload.h"

#define V_GP 13
#define CR3_PWT (1ull << 3)

enum reg { EAX, EBX, ECX, EDX };

/* CR4 bits whose feature CPUID may or may not report (SDM Vol. 3, 2.5; Vol. 2A, CPUID). */
static const struct {
	const char *name;
	unsigned bit;
	uint32_t leaf, subleaf;
	enum reg reg;
	unsigned feature; /* bit of that CPUID register */
	const char *flag;
} features[] = {
	{ "CR4.UMIP", 11, 7, 0, ECX, 2, "CPUID.7.0:ECX[2]" },
	{ "CR4.LA57", 12, 7, 0, ECX, 16, "CPUID.7.0:ECX[16]" },
	{ "CR4.VMXE", 13, 1, 0, ECX, 5, "CPUID.1:ECX[5]" },
	{ "CR4.SMXE", 14, 1, 0, ECX, 6, "CPUID.1:ECX[6]" },
	{ "CR4.FSGSBASE", 16, 7, 0, EBX, 0, "CPUID.7.0:EBX[0]" },
	{ "CR4.PCIDE", 17, 1, 0, ECX, 17, "CPUID.1:ECX[17]" },
	{ "CR4.OSXSAVE", 18, 1, 0, ECX, 26, "CPUID.1:ECX[26]" },
	{ "CR4.KL", 19, 7, 0, ECX, 23, "CPUID.7.0:ECX[23]" },
	{ "CR4.SMEP", 20, 7, 0, EBX, 7, "CPUID.7.0:EBX[7]" },
	{ "CR4.SMAP", 21, 7, 0, EBX, 20, "CPUID.7.0:EBX[20]" },
	{ "CR4.PKE", 22, 7, 0, ECX, 3, "CPUID.7.0:ECX[3]" },
	{ "CR4.CET", 23, 7, 0, ECX, 7, "CPUID.7.0:ECX[7]" },
	{ "CR4.PKS", 24, 7, 0, ECX, 31, "CPUID.7.0:ECX[31]" },
	{ "CR4.UINTR", 25, 7, 0, EDX, 5, "CPUID.7.0:EDX[5]" },
};

/* Bits that are reserved on the CPUs hvsim's profiles describe (Haswell-EP, Broadwell-EP). */
static const unsigned reserved_bits[] = { 15, 26, 29, 31, 32, 63 };

static unsigned failures, checks;

/* "PASS CR4.SMAP (CPUID.7.0:EBX[20] = 0): #GP(0)"; 'flag' NULL: the name says it all. */
static void verdict(bool ok, const char *name, const char *flag, bool supported, const char *what)
{
	checks++;
	failures += !ok;
	if (flag)
		printk("%s %s (%s = %u): %s\n", ok ? "PASS" : "FAIL", name, flag, supported, what);
	else
		printk("%s %s: %s\n", ok ? "PASS" : "FAIL", name, what);
}

static void pass(const char *name, const char *flag, bool supported, const char *what)
{
	verdict(true, name, flag, supported, what);
}

static void fail(const char *name, const char *flag, bool supported, const char *what)
{
	verdict(false, name, flag, supported, what);
}

/* Set one bit: supported means it sticks; otherwise #GP(0) and CR4 unchanged. */
static void try_bit(const char *name, const char *flag, unsigned bit, bool supported)
{
	uint64_t old = read_cr4(), want = old | (1ull << bit);
	bool trapped = probe_mov_cr4(want);
	uint64_t now = read_cr4();

	if (supported) {
		if (trapped)
			fail(name, flag, supported, "setting it raised an exception");
		else if (now != want)
			fail(name, flag, supported, "setting it did not stick");
		else
			pass(name, flag, supported, "set");
		write_cr4(old);
		return;
	}
	if (!trapped)
		fail(name, flag, supported, "setting it did not raise #GP");
	else if (last_trap.vector != V_GP || last_trap.error != 0)
		fail(name, flag, supported, "setting it raised something other than #GP(0)");
	else if (now != old)
		fail(name, flag, supported, "#GP(0), but CR4 changed");
	else
		pass(name, flag, supported, "#GP(0)");
	if (now != old)
		write_cr4(old);
}

static bool reported(uint32_t leaf, uint32_t subleaf, enum reg reg, unsigned bit)
{
	uint32_t r[4], max, unused;

	cpuid(leaf & 0x80000000u, 0, &max, &unused, &unused, &unused);
	if (leaf > max)
		return false;
	cpuid(leaf, subleaf, &r[EAX], &r[EBX], &r[ECX], &r[EDX]);
	return (r[reg] >> bit) & 1;
}

static void cr4_main(void)
{
	char name[32] = "CR4 bit NN (reserved)";

	traps_init();
	for (unsigned i = 0; i < sizeof features / sizeof features[0]; i++)
		try_bit(features[i].name, features[i].flag, features[i].bit,
			reported(features[i].leaf, features[i].subleaf, features[i].reg,
				 features[i].feature));
	for (unsigned i = 0; i < sizeof reserved_bits / sizeof reserved_bits[0]; i++) {
		name[8] = (char)('0' + reserved_bits[i] / 10);
		name[9] = (char)('0' + reserved_bits[i] % 10);
		try_bit(name, NULL, reserved_bits[i], false);
	}

	/* "#GP(0) if an attempt is made to change CR4.PCIDE from 0 to 1 while CR3[11:0] != 000H" */
	if (reported(1, 0, ECX, 17)) {
		uint64_t cr3 = read_cr3();
		write_cr3(cr3 | CR3_PWT);
		try_bit("CR4.PCIDE while CR3[11:0] = 0x8", NULL, 17, false);
		write_cr3(cr3);
	}

	uint64_t cr4 = read_cr4();
	checks++;
	if (probe_mov_cr4(cr4 & ~CR4_PAE) && last_trap.vector == V_GP && last_trap.error == 0 &&
	    read_cr4() == cr4) {
		printk("PASS clearing CR4.PAE in IA-32e mode: #GP(0)\n");
	} else {
		failures++;
		printk("FAIL clearing CR4.PAE in IA-32e mode: no #GP(0)\n");
		write_cr4(cr4);
	}
	if (failures)
		workload_report(RESULT_FAILURE, "%u of %u checks failed", failures, checks);
	printk("%u checks passed\n", checks);
}

WORKLOAD("MOV to CR4: bits of features CPUID does not report are #GP(0)", cr4_main);
