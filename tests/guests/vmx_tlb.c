/*
 * VM entries and VM exits invalidate cached translations when "enable VPID" is 0 (SDM Vol. 3,
 * 27.3.2.5 and 28.5.5; 29.4.3.1: they invalidate linear and combined mappings of VPID 0000H).
 * Host and guest share one address space here (no EPT, the same CR3); one of them changes a
 * PTE without INVLPG, then a VM entry or exit happens, and the other must see the new
 * translation: for data (a read) and for code (executing the page again, whose old
 * instructions a simulator may still hold as translated code).
 */
#include "traps.h"
#include "vmx.h"
#include "workload.h"

/* Paging-entry bits (SDM Vol. 3, Table 4-19): named here so as not to depend on a header's. */
#define PG_PRESENT 1ull
#define PG_WRITE 2ull
#define PG_SIZE 0x80ull

#define SLOTS 0x40000000ull /* PDPT[1] -> pd, PD[0] -> pt: 4K pages */
#define VA_DATA (SLOTS + 0x0000)
#define VA_GCODE (SLOTS + 0x1000) /* guest code */
#define VA_HCODE (SLOTS + 0x2000) /* host code */

#define MARK_A 0xaaaaaaaaaaaaaaaaull
#define MARK_B 0xbbbbbbbbbbbbbbbbull
#define MARK_C 0xccccccccccccccccull

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint64_t page_a[512] __attribute__((aligned(4096)));
static uint64_t page_b[512] __attribute__((aligned(4096)));
static uint64_t page_c[512] __attribute__((aligned(4096)));
static uint8_t code[4][4096] __attribute__((aligned(4096)));

static struct vmx_vcpu vcpu;
static uint8_t guest_stack[8192] __attribute__((aligned(16)));
static unsigned failures, checks;

/*
 * The guest, at 'guest_data': read VA_DATA into RBX; read one word of each of the R8 pages from
 * 'other_pages' on (so that many more translations are cached); store RCX at [RDX] (the host
 * passes a PTE's address and value, or RDX = 0 for none); VMCALL; and again.
 */
#define OTHER_PAGES 32
static uint8_t other_pages[OTHER_PAGES][4096] __attribute__((aligned(4096), used));
extern char guest_data[];
__asm__(".text\n"
	"guest_data:\n"
	"  mov 0x40000000, %rbx\n"
	"  mov %r8, %r9\n"
	"  lea other_pages(%rip), %r10\n"
	"1: test %r9, %r9\n"
	"  jz 2f\n"
	"  mov (%r10), %r11\n"
	"  add $4096, %r10\n"
	"  dec %r9\n"
	"  jmp 1b\n"
	"2: test %rdx, %rdx\n"
	"  jz 3f\n"
	"  mov %rcx, (%rdx)\n"
	"3: vmcall\n"
	"  jmp guest_data\n");

static void expect_eq(const char *what, uint64_t got, uint64_t want)
{
	checks++;
	if (got == want) {
		printk("PASS %s\n", what);
		return;
	}
	failures++;
	printk("FAIL %s: got %#lx, expected %#lx\n", what, got, want);
}

static uint64_t pte(const void *page)
{
	return (uint64_t)page | PG_PRESENT | PG_WRITE;
}

static uint64_t *pte_of(uint64_t va)
{
	return &pt[(va - SLOTS) >> 12];
}

static uint64_t peek(uint64_t va)
{
	return *(volatile uint64_t *)va;
}

/* 'page' as code: mov $value, %eax; then VMCALL; jmp back (guest), or ret (host). */
static void write_code(uint8_t *page, uint32_t value, bool guest)
{
	static const uint8_t guest_tail[] = { 0x0f, 0x01, 0xc1, 0xeb, 0xf6 }; /* vmcall; jmp -10 */
	page[0] = 0xb8;
	for (int i = 0; i < 4; i++)
		page[1 + i] = (uint8_t)(value >> (8 * i));
	if (guest) {
		for (unsigned i = 0; i < sizeof guest_tail; i++)
			page[5 + i] = guest_tail[i];
	} else {
		page[5] = 0xc3;
	}
}

static void setup_paging(void)
{
	page_a[0] = MARK_A;
	page_b[0] = MARK_B;
	page_c[0] = MARK_C;
	write_code(code[0], 0x11, true);
	write_code(code[1], 0x22, true);
	write_code(code[2], 0x33, false);
	write_code(code[3], 0x44, false);
	pml4[0] = pte(pdpt);
	pdpt[0] = 0 | PG_PRESENT | PG_WRITE | PG_SIZE; /* identity map of 1 GiB */
	pdpt[1] = pte(pd);
	pd[0] = pte(pt);
	*pte_of(VA_DATA) = pte(page_a);
	*pte_of(VA_GCODE) = pte(code[0]);
	*pte_of(VA_HCODE) = pte(code[2]);
	write_cr3((uint64_t)pml4);
}

/* Run the guest until its next VMCALL; false (reported) if anything else happens. */
static bool run_to_vmcall(void)
{
	enum vmx_status s;
	uint32_t reason = vmx_run(&vcpu, &s);

	if (reason != 18) {
		failures++;
		printk("FAIL guest stopped with exit reason %#x (status %d, error %lu)\n", reason, s,
		       vmreadz(VM_INSTRUCTION_ERROR));
		return false;
	}
	vmx_skip_instruction();
	return true;
}

static uint64_t call_host_code(void)
{
	return ((uint64_t(*)(void))VA_HCODE)() & 0xffffffffu;
}

/*
 * The guest reads through a translation the host changed; the host through one the guest
 * changed. The guest touches 'pages' other pages each time, so that hvsim's TLB holds few or
 * many translations at each VMX transition.
 */
static bool data(unsigned pages)
{
	printk("-- the guest touches %u other pages each run\n", pages);
	*pte_of(VA_DATA) = pte(page_a);
	vcpu.gprs.r8 = pages;
	vcpu.gprs.rdx = 0;
	if (!run_to_vmcall())
		return false;
	expect_eq("host changed the PTE to A: after VM entry the guest reads A", vcpu.gprs.rbx, MARK_A);
	*pte_of(VA_DATA) = pte(page_b);
	if (!run_to_vmcall())
		return false;
	expect_eq("host changed the PTE to B: after VM entry the guest reads B", vcpu.gprs.rbx, MARK_B);

	expect_eq("host reads B", peek(VA_DATA), MARK_B);
	vcpu.gprs.rdx = (uint64_t)pte_of(VA_DATA);
	vcpu.gprs.rcx = pte(page_c);
	if (!run_to_vmcall())
		return false;
	expect_eq("guest changed the PTE to C: after VM exit the host reads C", peek(VA_DATA), MARK_C);
	return true;
}

/* The same for code: each side runs a page again after the other side remapped it. */
static bool code_pages(void)
{
	vcpu.gprs.r8 = 0;
	vcpu.gprs.rdx = 0;
	vmwrite(GUEST_RIP, VA_GCODE);
	if (!run_to_vmcall())
		return false;
	expect_eq("guest runs the first code page", vcpu.gprs.rax & 0xffffffffu, 0x11);
	*pte_of(VA_GCODE) = pte(code[1]);
	vmwrite(GUEST_RIP, VA_GCODE);
	if (!run_to_vmcall())
		return false;
	expect_eq("host remapped the guest's code: after VM entry it runs the new page",
		  vcpu.gprs.rax & 0xffffffffu, 0x22);

	expect_eq("host runs its first code page", call_host_code(), 0x33);
	vmwrite(GUEST_RIP, (uint64_t)guest_data);
	vcpu.gprs.rdx = (uint64_t)pte_of(VA_HCODE);
	vcpu.gprs.rcx = pte(code[3]);
	if (!run_to_vmcall())
		return false;
	expect_eq("guest remapped the host's code: after VM exit the host runs the new page",
		  call_host_code(), 0x44);
	return true;
}

static void main_fn(void)
{
	traps_init();
	setup_paging();
	if (vmx_start(&vcpu) != VMX_OK)
		workload_report(RESULT_ERROR, "cannot enter VMX operation");
	vmx_setup_vmcs((uint64_t)guest_data, (uint64_t)(guest_stack + sizeof guest_stack));
	if (data(0) && data(OTHER_PAGES))
		code_pages();
	vmxoff();
	if (failures || checks != 12)
		workload_report(RESULT_FAILURE, "%u of %u checks failed", failures, checks);
}

WORKLOAD("vmx: VM entries and exits invalidate translations (VPID off)", main_fn);
