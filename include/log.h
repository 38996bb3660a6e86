/* log.h: the run's log lines on stderr, as text or one JSON object a line, with secrets masked. */
#ifndef STOPPLAN_LOG_H
#define STOPPLAN_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_format {
	LOG_TEXT,
	LOG_JSON,
};

/* Adds PATH as an extra log (--log-file): every later line goes there as well as to stderr. PATH is
 * opened write-only, append, non-blocking and close-on-exec, and created (mode 0644) when it does not
 * exist. A line that cannot be written at once (a full pipe, a write error) is dropped for that file.
 * Returns 0, or -1 with errno set when PATH cannot be opened (e.g. ENXIO: a FIFO without a reader). */
int log_add_file(const char *path);
/* Writes text (whole lines, as printed on stderr) to the extra logs only, e.g. diagnostics. */
void log_copy(const char *text);
/* Chooses the format (LOG_TEXT until called). */
void log_set_format(enum log_format f);
/* Every later line shows s as "***" (s copied; empty strings are ignored). */
void log_add_secret(const char *s);
/* Replaces every secret in s by "***"; returns a newly allocated string. */
char *log_redact(const char *s);
/* The most bytes of one message (before escaping); a longer one is cut and ends "... (N bytes)". */
#define LOG_MESSAGE_MAX 4096
/* The most bytes of a subject, a reply body or a value quoted inside a message. */
#define LOG_EXCERPT_MAX 200

struct buf;

/* Appends to out at most max bytes of s (n bytes, any content: NULs are shown as \x00) with the
 * secrets masked, and "... (N bytes)" when s is longer. */
void log_excerpt(struct buf *out, const char *s, size_t n, size_t max);
/* Writes one line: "stopplan: STEP: MESSAGE" (STEP may be NULL), or a JSON object with "step",
 * "event" and "message", plus EXTRA (already-encoded JSON members, e.g. "\"exit\":9", may be NULL). */
void log_event(const char *step, const char *event, const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Calls fn(arg, step, event, message) for every later line, after masking, even when quiet (step may
 * be NULL; the strings live only during the call). One hook at a time; NULL removes it. */
void log_set_hook(void (*fn)(void *arg, const char *step, const char *event, const char *msg), void *arg);
/* Quiet: lines go to the hook only, not to stderr or the extra logs (run --probe). */
void log_set_quiet(bool quiet);
/* Frees the secrets and closes the extra logs, saying on stderr how many lines each one dropped. */
void log_free(void);

#endif
