/* Formatted output: the subset of C's printf hv uses (%c %s %d %i %u %x %p, l/ll, width, 0, -). */
#include "hv.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, char pad, bool left)
{
	for (int i = (int)n; !left && i < width; i++)
		put(o, pad);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	for (int i = (int)n; left && i < width; i++)
		put(o, ' ');
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool neg, int width, char pad, bool left)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[sizeof tmp - 1 - n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg) {
		if (pad == '0') {
			put(o, '-');
			width--;
		} else {
			tmp[sizeof tmp - 1 - n++] = '-';
		}
	}
	put_padded(o, tmp + sizeof tmp - n, n, width, pad, left);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		bool left = false, lng = false;
		char pad = ' ';
		int width = 0;
		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++)
			*fmt == '-' ? (left = true) : (pad = '0');
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng = true;
		switch (*fmt) {
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_padded(&o, &c, 1, width, ' ', left);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			s = s ? s : "(null)";
			put_padded(&o, s, strlen(s), width, ' ', left);
			break;
		}
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad, left);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad, left);
			break;
		}
		case 'p':
			put_num(&o, (uint64_t)va_arg(ap, void *), 16, false, 16, '0', false);
			break;
		case '%':
			put(&o, '%');
			break;
		default: /* an unknown conversion is shown, not skipped */
			put(&o, '%');
			if (!*fmt)
				goto done;
			put(&o, *fmt);
		}
	}
done:
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	console_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}
