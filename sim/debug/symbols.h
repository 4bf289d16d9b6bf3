/* Symbols of the ELF images a machine runs (hv and its guests), for breakpoints and listings. */
#ifndef HVSIM_SIM_DEBUG_SYMBOLS_H
#define HVSIM_SIM_DEBUG_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symtab;

struct symtab *symtab_new(void);
void symtab_free(struct symtab *s);
/*
 * Add the function and object symbols of an ELF64 file's .symtab, tagged with 'image' (a short
 * name such as "hv" or "smap-demo"). False with a one-line reason in err on a bad file.
 */
bool symtab_load_elf(struct symtab *s, const char *path, const char *image, char *err, size_t n);
/* "name" or "image:name"; false if unknown. */
bool symtab_lookup(const struct symtab *s, const char *name, uint64_t *addr);
/* The symbol containing addr ("name", offset), or NULL. */
const char *symtab_find(const struct symtab *s, uint64_t addr, uint64_t *offset);
/* The same, with the image it comes from in *image (either out-pointer may be NULL). */
const char *symtab_find_in(const struct symtab *s, uint64_t addr, uint64_t *offset,
			   const char **image);
/* How many symbols are loaded (functions, objects and assembly labels of every image). */
size_t symtab_count(const struct symtab *s);
/* "name+0x12" or "0x..." into buf; returns buf. */
const char *symtab_format(const struct symtab *s, uint64_t addr, char *buf, size_t n);

#endif
