/* log.h: the run's log lines on stderr, as text or one JSON object a line, with secrets masked. */
#ifndef STOPPLAN_LOG_H
#define STOPPLAN_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_format {
	LOG_TEXT,
	LOG_JSON,
};

/* Chooses the format (LOG_TEXT until called). */
void log_set_format(enum log_format f);
/* Every later line shows s as "***" (s copied; empty strings are ignored). */
void log_add_secret(const char *s);
/* Replaces every secret in s by "***"; returns a newly allocated string. */
char *log_redact(const char *s);
/* Writes one line: "stopplan: STEP: MESSAGE" (STEP may be NULL), or a JSON object with "step",
 * "event" and "message", plus EXTRA (already-encoded JSON members, e.g. "\"exit\":9", may be NULL). */
void log_event(const char *step, const char *event, const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Frees the secrets. */
void log_free(void);

#endif
