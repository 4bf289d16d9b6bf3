/* The few libc functions hv and the compiler use. */
#include "hv.h"

/* Whole quadwords take REP STOSQ/MOVSQ: an eighth of the iterations (pages are zeroed often). */
void *memset(void *d, int c, size_t n)
{
	void *ret = d;
	if (!(n & 7) && !c) {
		n /= 8;
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(n) : "a"(0ull) : "memory");
	} else {
		__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	}
	return ret;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *ret = d;
	if (!(n & 7)) {
		n /= 8;
		__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	} else {
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	}
	return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}
