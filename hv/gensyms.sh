#!/bin/sh
# Emit hv's symbol table (trap/symbols.c) as assembly: the text symbols of ELF $1, by address.
# With no argument, an empty table (the first link).
set -e
echo '	.section .hvsyms, "a"'
echo '	.globl hv_symtab_count, hv_symtab'
echo '	.align 8'
if [ -z "$1" ]; then
	echo 'hv_symtab_count: .quad 0'
	echo 'hv_symtab:'
	exit 0
fi
nm -n --defined-only "$1" | awk '$2 ~ /^[tT]$/ { n++; addr[n] = $1; name[n] = $3 }
END {
	printf "hv_symtab_count: .quad %d\nhv_symtab:\n", n
	for (i = 1; i <= n; i++) printf "\t.quad 0x%s, .Lname%d\n", addr[i], i
	for (i = 1; i <= n; i++) printf ".Lname%d: .asciz \"%s\"\n", i, name[i]
}'
