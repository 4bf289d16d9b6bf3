/*
 * hv's C entry: console, descriptor tables, memory, SMAP/SMEP, then each boot module runs as a
 * guest, one after another. The run ends through the platform's exit with 0 when every guest
 * reported SUCCESS or SKIP.
 *
 * Command line (words): guest=pv|vmx (default vmx where the CPU has VMX, else pv),
 * guest_mem=SIZE (default 32M), nosmap, nosmep, and the migration options of migrate.h.
 */
#include "arch/x86.h"
#include "domain.h"
#include "migrate.h"
#include "mm/mm.h"
#include "platform.h"
#include "pv.h"
#include "trap/trap.h"
#include "vmx/vm.h"

bool hv_smap_insns; /* STAC/CLAC exist (lib/asm.h) */

void hv_start(uint32_t magic, uint32_t info);

static struct boot_params bp;

static void features_init(const char *cmdline)
{
	uint32_t a, b, c, d;
	uint64_t cr4 = read_cr4();

	cpuid(0, 0, &a, &b, &c, &d);
	if (a >= 7)
		cpuid(7, 0, &a, &b, &c, &d);
	else
		b = 0;
	hv_smap_insns = b & CPUID_7_EBX_SMAP;
	if ((b & CPUID_7_EBX_SMEP) && !cmdline_flag(cmdline, "nosmep"))
		cr4 |= CR4_SMEP;
	if ((b & CPUID_7_EBX_SMAP) && !cmdline_flag(cmdline, "nosmap"))
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
	printf("hv: SMEP %s, SMAP %s\n", cr4 & CR4_SMEP ? "on" : "off", cr4 & CR4_SMAP ? "on" : "off");
}

/* "dir/name.elf args" -> name "name", cmdline "args". */
static void module_split(const struct boot_module *mod, struct domain *d)
{
	const char *s = mod->cmdline, *end = s, *base = s;

	while (*end && *end != ' ')
		end++;
	for (const char *p = s; p < end; p++)
		if (*p == '/')
			base = p + 1;
	size_t n = (size_t)(end - base);
	if (n > 4 && !strncmp(end - 4, ".elf", 4))
		n -= 4;
	n = n < sizeof d->name - 1 ? n : sizeof d->name - 1;
	memcpy(d->name, base, n);
	d->name[n] = 0;
	while (*end == ' ')
		end++;
	size_t m = strlen(end);
	m = m < sizeof d->cmdline - 1 ? m : sizeof d->cmdline - 1;
	memcpy(d->cmdline, end, m);
	d->cmdline[m] = 0;
}

static int run_module(const struct boot_module *mod, enum domain_type type)
{
	static struct domain d;
	const void *elf = phys_to_virt(mod->start);
	uint64_t len = mod->end - mod->start;

	memset(&d, 0, sizeof d);
	module_split(mod, &d);
	d.type = type;
	d.ram_bytes = ALIGN_UP(cmdline_u64(bp.cmdline, "guest_mem", 32ull << 20), 2ull << 20);
	printf("hv: starting %s guest %s\n", type == DOMAIN_PV ? "PV" : "VMX", d.name);
	int r = type == DOMAIN_PV ? pv_run(&d, elf, len) : vm_run_domain(&d, elf, len, bp.cmdline);
	printf("hv: guest %s: %s\n", d.name, domain_result_name(r));
	return r;
}

void hv_start(uint32_t magic, uint32_t info)
{
	char mode[8] = "";
	bool ok = true;

	platform_console_init();
	if (!boot_params_read(magic, info, &bp))
		panic("not started by a Multiboot loader (EAX = 0x%x)", magic);
	printf("hv: the portable hypervisor core\n");
	cpu_tables_init();
	page_alloc_init(&bp);
	paging_init(&bp);
	features_init(bp.cmdline);
	pv_init();
	cmdline_str(bp.cmdline, "guest", mode, sizeof mode);
	enum domain_type type = !strcmp(mode, "pv") ? DOMAIN_PV
			      : !strcmp(mode, "vmx") ? DOMAIN_VMX
			      : vmx_available() ? DOMAIN_VMX : DOMAIN_PV;
	if (type == DOMAIN_VMX && !vmx_init())
		panic("guest=vmx, but VMX cannot be turned on");
	if (!bp.nmod)
		printf("hv: no guests (boot modules) given\n");
	for (unsigned i = 0; i < bp.nmod; i++) {
		int r = run_module(&bp.mod[i], type);
		ok &= r == HV_RESULT_SUCCESS || r == HV_RESULT_SKIP;
	}
	printf("hv: done, %s\n", ok ? "all guests passed" : "a guest failed");
	platform_exit(ok ? 0 : 1);
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	printf("hv: PANIC: %s\n", buf);
	platform_exit(2);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		platform_console_putc(s[i]);
}
