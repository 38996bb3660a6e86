/* util.h: allocation that never fails, growable buffers, clocks, small string helpers. */
#ifndef STOPPLAN_UTIL_H
#define STOPPLAN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Prints "stopplan: MESSAGE" (with strerror when it ends in ':') and exits 70. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc family that calls fatal() when memory runs out; the caller owns the result. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* Makes room in array p (of n elements) for element n, growing it geometrically; returns p. */
void *xgrow(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A growable byte buffer, always NUL-terminated once anything was added; s owned by the buffer. */
struct buf {
	char *s;
	size_t len;
	size_t cap;
};

void buf_add(struct buf *b, const char *s, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string and leaves the buffer empty; the caller owns the result (never NULL). */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);

/* FNV-1a 64: returns hash h continued over the n bytes at p; start from FNV1A_INIT. */
#define FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t fnv1a(uint64_t h, const void *p, size_t n);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t now_ms(void);

/* Formats a millisecond count the way durations are written in plans ("250ms", "1.5s", "2m"). */
void fmt_duration(char *out, size_t size, int64_t ms);

/* Levenshtein distance between two short strings (capped at 99). */
int edit_distance(const char *a, const char *b);

/* Appends s to b as a JSON string literal (with quotes); invalid UTF-8 becomes U+FFFD. */
void json_escape(struct buf *b, const char *s, size_t n);
/* Appends s to b as one log line: line breaks, control characters and bytes that are not UTF-8
 * escaped (\n, \r, \xNN), and C1 controls and U+2028/U+2029 as \uNNNN. */
void text_escape(struct buf *b, const char *s);
/* Length of the valid UTF-8 sequence at s (at most n bytes, n >= 1), or 0 when it is not valid
 * (overlong, a surrogate, above U+10FFFF, cut short). */
size_t utf8_len(const unsigned char *s, size_t n);
/* The length of s (n bytes) cut to at most max bytes without splitting a UTF-8 sequence. */
size_t utf8_cut(const char *s, size_t n, size_t max);

#endif
