/* Command lines are words; options are "key=value" or a bare "key". */
#include "hv.h"

/* The value of the first word "key=..." (or "" for a bare "key"); NULL if absent. */
static const char *find(const char *s, const char *key, size_t *len)
{
	size_t klen = strlen(key);

	while (s && *s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		if ((size_t)(s - w) >= klen && !strncmp(w, key, klen) && (w[klen] == '=' || w + klen == s)) {
			const char *v = w + klen + (w[klen] == '=');
			*len = (size_t)(s - v);
			return v;
		}
	}
	return NULL;
}

bool cmdline_str(const char *cmdline, const char *key, char *out, size_t size)
{
	size_t len;
	const char *v = find(cmdline, key, &len);

	if (!v || len >= size)
		return false;
	memcpy(out, v, len);
	out[len] = 0;
	return true;
}

/* Decimal or 0x hex, with an optional K/M/G suffix (powers of 1024). */
uint64_t cmdline_u64(const char *cmdline, const char *key, uint64_t dflt)
{
	size_t len;
	const char *v = find(cmdline, key, &len);
	uint64_t n = 0, base = 10;

	if (!v || !len)
		return dflt;
	if (len > 2 && v[0] == '0' && v[1] == 'x') {
		base = 16;
		v += 2;
		len -= 2;
	}
	for (; len; v++, len--) {
		unsigned d = *v >= '0' && *v <= '9' ? (unsigned)(*v - '0')
			   : *v >= 'a' && *v <= 'f' ? (unsigned)(*v - 'a' + 10) : 99;
		if (d < base) {
			n = n * base + d;
			continue;
		}
		unsigned shift = *v == 'K' || *v == 'k' ? 10 : *v == 'M' ? 20 : *v == 'G' ? 30 : 0;
		return shift && len == 1 ? n << shift : dflt;
	}
	return n;
}

bool cmdline_flag(const char *cmdline, const char *key)
{
	size_t len;
	const char *v = find(cmdline, key, &len);
	return v && (len == 0 || (len == 1 && *v == '1'));
}
