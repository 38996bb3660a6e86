/* util.c: allocation, buffers, clocks and string helpers shared by every module. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

void
fatal(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(fmt);

	fflush(stdout);
	fputs("stopplan: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(errno));
	fputc('\n', stderr);
	exit(70);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		fatal("out of memory");
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		fatal("out of memory");
	p = realloc(p, nmemb && size ? nmemb * size : 1);
	if (!p)
		fatal("out of memory");
	return p;
}

void *
xgrow(void *p, size_t n, size_t size)
{
	/* Capacity is 4, then each power of two: grow when n reaches it. */
	if (n == 0)
		return xreallocarray(p, 4, size);
	if (n >= 4 && (n & (n - 1)) == 0)
		return xreallocarray(p, n * 2, size);
	return p;
}

uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	char *s;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		fatal("vsnprintf:");
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

static void
buf_grow(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 64;

	if (b->len + n + 1 <= b->cap)
		return;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->s = xreallocarray(b->s, cap, 1);
	b->cap = cap;
}

void
buf_add(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_adds(b, s);
	free(s);
}

char *
buf_take(struct buf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
fmt_duration(char *out, size_t size, int64_t ms)
{
	if (ms % 3600000 == 0 && ms >= 3600000)
		snprintf(out, size, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0 && ms >= 60000)
		snprintf(out, size, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(out, size, "%llds", (long long)(ms / 1000));
	else if (ms > 1000 && ms % 100 == 0)
		snprintf(out, size, "%lld.%llds", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
	else if (ms > 1000 && ms % 10 == 0)
		snprintf(out, size, "%lld.%02llds", (long long)(ms / 1000), (long long)(ms % 1000 / 10));
	else if (ms > 1000)
		snprintf(out, size, "%lld.%03llds", (long long)(ms / 1000), (long long)(ms % 1000));
	else
		snprintf(out, size, "%lldms", (long long)ms);
}

int
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int row[64], prev, tmp;

	if (la >= LEN(row) || lb >= LEN(row))
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb] > 99 ? 99 : row[lb];
}

size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned min;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t
utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* True for code points that break or hide lines in logs and terminals: C1 controls and the Unicode
 * line and paragraph separators (the C0 ones are escaped by their byte). */
static bool
breaks_line(const unsigned char *s, size_t len)
{
	return (len == 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) ||
	    (len == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9));
}

/* The code point of the 2- or 3-byte sequence s (for breaks_line sequences). */
static unsigned
code_point(const unsigned char *s, size_t len)
{
	return len == 2 ? ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu) :
	    ((s[0] & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
}

void
json_escape(struct buf *b, const char *s, size_t n)
{
	size_t i, len;

	buf_addc(b, '"');
	for (i = 0; i < n; i += len) {
		const unsigned char *u = (const unsigned char *)s + i;

		len = utf8_len(u, n - i);
		if (len == 0) {
			buf_adds(b, "\\ufffd");
			len = 1;
			continue;
		}
		switch (u[0]) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default:
			if (u[0] < 0x20 || u[0] == 0x7f)
				buf_printf(b, "\\u%04x", u[0]);
			else if (breaks_line(u, len))
				buf_printf(b, "\\u%04x", code_point(u, len));
			else
				buf_add(b, s + i, len);
		}
	}
	buf_addc(b, '"');
}

void
text_escape(struct buf *b, const char *s)
{
	size_t n = strlen(s), i, len;

	for (i = 0; i < n; i += len) {
		const unsigned char *u = (const unsigned char *)s + i;

		len = utf8_len(u, n - i);
		if (len == 0) {
			buf_printf(b, "\\x%02x", u[0]);
			len = 1;
		} else if (u[0] == '\n') {
			buf_adds(b, "\\n");
		} else if (u[0] == '\r') {
			buf_adds(b, "\\r");
		} else if (u[0] < 0x20 || u[0] == 0x7f) {
			buf_printf(b, "\\x%02x", u[0]);
		} else if (breaks_line(u, len)) {
			buf_printf(b, "\\u%04x", code_point(u, len));
		} else {
			buf_add(b, s + i, len);
		}
	}
}
