/*
 * Workload options. A command line is words "key=value" separated by blanks. A value is a number
 * (decimal, or hex after 0x, with an optional suffix k/K = 2^10, M/m = 2^20, G/g = 2^30) or one
 * word of a list. Options absent from the command line keep the defaults the caller stored.
 * Pure code (no I/O, no libc), so the host tests compile it as it is.
 */
#ifndef WORKLOAD_ARGS_H
#define WORKLOAD_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum arg_kind { ARG_NUM, ARG_CHOICE };

struct arg_spec {
	const char *key;
	enum arg_kind kind;
	uint64_t *value;            /* ARG_NUM: the number; ARG_CHOICE: the index of the word */
	uint64_t min, max;          /* ARG_NUM: the allowed range, inclusive */
	const char *const *choices; /* ARG_CHOICE: the words, NULL-terminated */
	const char *help;
};

enum args_err {
	ARGS_OK,
	ARGS_NOT_KEY_VALUE, /* a word without '=' or with an empty key */
	ARGS_UNKNOWN_KEY,
	ARGS_BAD_NUMBER,    /* not a number, or above 2^64 - 1 */
	ARGS_OUT_OF_RANGE,
	ARGS_BAD_CHOICE,    /* not one of the words */
};

/* Where parsing stopped: the offending word (not NUL-terminated) and its spec, if known. */
struct args_where {
	const char *word;
	size_t len;
	const struct arg_spec *spec;
};

const char *args_strerror(enum args_err e);
/* Store every option of 'cmdline' (NULL: none); stops at the first bad word. */
enum args_err args_parse(const char *cmdline, const struct arg_spec *specs, size_t n,
			 struct args_where *where);
/* One number, as above, in s[0..len). */
bool args_number(const char *s, size_t len, uint64_t *out);

#endif
