/*
 * The console and a small printk (%s %c %d %u %x %lx %llx %p, with 0-padding and width).
 *
 * One formatter writes into a sink. printk's sink is COM1 (bare, and in a VMX guest, where hv traps
 * the port) or, in a PV guest (ring 3, no port I/O), a line buffer that goes out through
 * HC_CONSOLE_WRITE at each '\n' or when full: the bytes are the same either way. snprintk's sink
 * is a string.
 *
 * Self-contained on purpose: the Multiboot test kernels link this file alone.
 */
#include "hypercall.h"
#include "workload.h"

#define COM1 0x3f8
#define LSR_THRE 0x20
#define LINE_MAX 256

struct sink {
	void (*put)(struct sink *s, char c);
	char *buf;
	size_t len, cap;
};

static bool console_pv;
static char line[LINE_MAX];
static size_t line_len;

static void putc_com1(char c)
{
	while (!(inb(COM1 + 5) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void console_flush(void)
{
	size_t done = 0;
	while (done < line_len) {
		long n = hv_syscall(HC_CONSOLE_WRITE, (uint64_t)(line + done), line_len - done, 0, 0);
		if (n <= 0)
			break; /* nowhere left to say so: the rest of the line is lost */
		done += (size_t)n;
	}
	line_len = 0;
}

static void put_console(struct sink *s, char c)
{
	(void)s;
	if (!console_pv) {
		putc_com1(c);
		return;
	}
	line[line_len++] = c;
	if (c == '\n' || line_len == LINE_MAX)
		console_flush();
}

void console_init(bool use_hypercalls)
{
	console_pv = use_hypercalls;
	line_len = 0;
}

/* Keeps the first cap - 1 characters and counts them all, like snprintf. */
static void put_string(struct sink *s, char c)
{
	if (s->len + 1 < s->cap)
		s->buf[s->len] = c;
	s->len++;
}

static void put_num(struct sink *s, uint64_t v, unsigned base, int width, char pad, bool neg)
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
		s->put(s, pad);
	while (n)
		s->put(s, buf[--n]);
}

static void vformat(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			s->put(s, *fmt);
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
			for (const char *str = va_arg(ap, const char *); *str; str++)
				s->put(s, *str);
			break;
		case 'c':
			s->put(s, (char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(s, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			put_num(s, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad, false);
			break;
		case 'x':
			if (alt)
				s->put(s, '0'), s->put(s, 'x');
			put_num(s, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad, false);
			break;
		case 'p':
			s->put(s, '0'), s->put(s, 'x');
			put_num(s, (uintptr_t)va_arg(ap, void *), 16, width, pad, false);
			break;
		case '%':
			s->put(s, '%');
			break;
		default:
			s->put(s, '?');
		}
	}
}

void vprintk(const char *fmt, va_list ap)
{
	struct sink s = { .put = put_console };
	vformat(&s, fmt, ap);
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

size_t vsnprintk(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .put = put_string, .buf = buf, .cap = size };
	vformat(&s, fmt, ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = 0;
	return s.len;
}

size_t snprintk(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = vsnprintk(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
