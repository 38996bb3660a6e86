/* log.c: one place that writes run log lines, so masking and formats cannot be bypassed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static enum log_format log_format = LOG_TEXT;
static char **log_secrets;
static size_t log_nsecrets;

void
log_set_format(enum log_format f)
{
	log_format = f;
}

void
log_add_secret(const char *s)
{
	if (!s || !*s)
		return;
	log_secrets = xreallocarray(log_secrets, log_nsecrets + 1, sizeof(*log_secrets));
	log_secrets[log_nsecrets++] = xstrdup(s);
}

char *
log_redact(const char *s)
{
	struct buf b = {0};
	size_t i, best;
	const char *p, *hit;

	buf_adds(&b, s);
	for (i = 0; i < log_nsecrets; i++) {
		struct buf out = {0};

		p = b.s;
		best = strlen(log_secrets[i]);
		while ((hit = strstr(p, log_secrets[i]))) {
			buf_add(&out, p, (size_t)(hit - p));
			buf_adds(&out, "***");
			p = hit + best;
		}
		buf_adds(&out, p);
		buf_free(&b);
		b = out;
	}
	return buf_take(&b);
}

static void
log_json(const char *step, const char *event, const char *extra, const char *msg)
{
	struct buf b = {0};
	struct timespec ts;
	struct tm tm;
	char when[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(&b, "{\"time\":\"%s.%03ldZ\",", when, ts.tv_nsec / 1000000);
	if (step) {
		buf_adds(&b, "\"step\":");
		json_escape(&b, step, strlen(step));
		buf_addc(&b, ',');
	}
	buf_printf(&b, "\"event\":\"%s\",\"message\":", event);
	json_escape(&b, msg, strlen(msg));
	if (extra && *extra)
		buf_printf(&b, ",%s", extra);
	buf_adds(&b, "}\n");
	fputs(b.s, stderr);
	buf_free(&b);
}

void
log_event(const char *step, const char *event, const char *extra, const char *fmt, ...)
{
	va_list ap;
	char *raw, *msg, *xtra = NULL;

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	msg = log_redact(raw);
	if (log_format == LOG_JSON) {
		if (extra)
			xtra = log_redact(extra);
		log_json(step, event, xtra, msg);
	} else {
		struct buf line = {0};

		buf_adds(&line, "stopplan: ");
		if (step)
			buf_printf(&line, "%s: ", step);
		text_escape(&line, msg);
		buf_addc(&line, '\n');
		fputs(line.s, stderr);
		buf_free(&line);
	}
	fflush(stderr);
	free(xtra);
	free(raw);
	free(msg);
}

void
log_free(void)
{
	size_t i;

	for (i = 0; i < log_nsecrets; i++)
		free(log_secrets[i]);
	free(log_secrets);
	log_secrets = NULL;
	log_nsecrets = 0;
}
