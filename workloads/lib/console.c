/* COM1 console and a small printk (%s %c %d %u %x %lx %llx %p, with 0-padding and width). */
#include "workload.h"

#define COM1 0x3f8
#define LSR_THRE 0x20

static void putc_com1(char c)
{
	while (!(inb(COM1 + 5) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

static void put_num(uint64_t v, unsigned base, int width, char pad, bool neg)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (width-- > n)
		putc_com1(pad);
	while (n)
		putc_com1(buf[--n]);
}

void vprintk(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc_com1(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, longs = 0;
		bool alt = false;
		if (*++fmt == '#')
			alt = true, fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			longs++, fmt++;
		switch (*fmt) {
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				putc_com1(*s);
			break;
		case 'c':
			putc_com1((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			put_num(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad, false);
			break;
		case 'x':
			if (alt)
				putc_com1('0'), putc_com1('x');
			put_num(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, false);
			break;
		case 'p':
			putc_com1('0'), putc_com1('x');
			put_num((uintptr_t)va_arg(ap, void *), 16, width, pad, false);
			break;
		case '%':
			putc_com1('%');
			break;
		default:
			putc_com1('?');
		}
	}
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}
