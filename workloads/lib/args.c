#include "args.h"

static const char *const err_names[] = {
	[ARGS_OK] = "ok",
	[ARGS_NOT_KEY_VALUE] = "expected key=value",
	[ARGS_UNKNOWN_KEY] = "unknown option",
	[ARGS_BAD_NUMBER] = "not a number (decimal or 0x hex, optional suffix k, M or G)",
	[ARGS_OUT_OF_RANGE] = "value out of range",
	[ARGS_BAD_CHOICE] = "not one of the allowed words",
};

const char *args_strerror(enum args_err e)
{
	return (unsigned)e < sizeof err_names / sizeof err_names[0] ? err_names[e] : "?";
}

static int digit_value(char c, unsigned base)
{
	int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
	return d < (int)base ? d : -1;
}

static unsigned suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	default: return 0;
	}
}

bool args_number(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10, shift = len ? suffix_shift(s[len - 1]) : 0;
	uint64_t v = 0;

	if (shift)
		len--;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2, len -= 2;
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = digit_value(s[i], base);
		if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	if (shift && v > UINT64_MAX >> shift)
		return false;
	*out = v << shift;
	return true;
}

static bool span_is(const char *s, size_t len, const char *word)
{
	size_t i = 0;
	while (i < len && word[i] == s[i])
		i++;
	return i == len && !word[i];
}

static enum args_err store(const struct arg_spec *spec, const char *v, size_t len)
{
	uint64_t n;

	if (spec->kind == ARG_CHOICE) {
		for (n = 0; spec->choices[n]; n++)
			if (span_is(v, len, spec->choices[n])) {
				*spec->value = n;
				return ARGS_OK;
			}
		return ARGS_BAD_CHOICE;
	}
	if (!args_number(v, len, &n))
		return ARGS_BAD_NUMBER;
	if (n < spec->min || n > spec->max)
		return ARGS_OUT_OF_RANGE;
	*spec->value = n;
	return ARGS_OK;
}

static enum args_err parse_word(const char *w, size_t len, const struct arg_spec *specs, size_t n,
				struct args_where *where)
{
	size_t key_len = 0;

	while (key_len < len && w[key_len] != '=')
		key_len++;
	if (key_len == 0 || key_len == len)
		return ARGS_NOT_KEY_VALUE;
	for (size_t i = 0; i < n; i++)
		if (span_is(w, key_len, specs[i].key)) {
			where->spec = &specs[i];
			return store(&specs[i], w + key_len + 1, len - key_len - 1);
		}
	return ARGS_UNKNOWN_KEY;
}

enum args_err args_parse(const char *cmdline, const struct arg_spec *specs, size_t n,
			 struct args_where *where)
{
	const char *p = cmdline ? cmdline : "";

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return ARGS_OK;
		size_t len = 0;
		while (p[len] && p[len] != ' ' && p[len] != '\t')
			len++;
		*where = (struct args_where){ .word = p, .len = len };
		enum args_err e = parse_word(p, len, specs, n, where);
		if (e != ARGS_OK)
			return e;
		p += len;
	}
}
