/*
 * hv's own symbol table, so that reports name functions. rules.mk links hv twice: the table
 * generated from the first link's text symbols goes into .hvsyms, placed after every other
 * loaded section, so the second link moves no code (rules.mk checks that).
 */
#include "trap/trap.h"

struct hv_symbol {
	uint64_t addr;
	const char *name;
};

extern const uint64_t hv_symtab_count;
extern const struct hv_symbol hv_symtab[];

const char *symbol_name(uint64_t addr, uint64_t *offset)
{
	const struct hv_symbol *best = NULL;

	for (uint64_t i = 0; i < hv_symtab_count && hv_symtab[i].addr <= addr; i++)
		best = &hv_symtab[i];
	if (!best)
		return NULL;
	*offset = addr - best->addr;
	return best->name;
}

void print_symbol(uint64_t addr)
{
	uint64_t off;
	const char *name = symbol_name(addr, &off);

	if (name)
		printf("%s+0x%lx", name, off);
	else
		printf("?");
}
