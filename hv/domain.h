/*
 * Guests. A domain is one guest: a PV guest (ring 3 in an address space of its own) or a VMX guest
 * (non-root with EPT). It runs until it reports a result, crashes, or halts; hv then reports that
 * and goes on. Guest memory is only touched through the copy helpers (uaccess.h).
 */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include "hv.h"
#include "hv_abi.h"
#include "lib/jmp.h"

struct vm;

enum domain_type { DOMAIN_PV, DOMAIN_VMX };

/* How a domain ended: a guest-reported hv_result, or one of these. */
#define DOMAIN_CRASHED 100
#define DOMAIN_HALTED 101

struct domain {
	enum domain_type type;
	char name[32];
	char cmdline[256];
	uint64_t ram_bytes;
	uint64_t migrations;
	int result;      /* hv_result, DOMAIN_CRASHED or DOMAIN_HALTED once it has ended */
	struct jmp ended; /* where domain_end continues */
	struct pv *pv;    /* DOMAIN_PV */
	struct vm *vm;    /* DOMAIN_VMX */
	char conbuf[256]; /* console output not yet ended by a newline */
	size_t conlen;
};

struct domain *current_domain(void);
void domain_set_current(struct domain *d);
/* Leave the domain for good: longjmp to d->ended with the result recorded. */
__attribute__((noreturn)) void domain_end(struct domain *d, int result);
__attribute__((noreturn)) void domain_crash(struct domain *d, const char *why);
const char *domain_result_name(int result);
/* Guest console output: hv prints it line by line, as the guest wrote it. */
void domain_console(struct domain *d, const char *s, size_t n);

#endif
