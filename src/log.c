/* log.c: one place that writes run log lines, so masking and formats cannot be bypassed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static enum log_format log_format = LOG_TEXT;
static char **log_secrets;
static size_t log_nsecrets;
static void (*log_hook)(void *, const char *, const char *, const char *);
static void *log_hook_arg;
static bool log_quiet;

/* An extra log (--log-file). */
struct log_file {
	char *path;
	int fd;
	bool atomic;            /* a pipe or FIFO: lines over PIPE_BUF are cut so that each write is whole */
	unsigned long dropped;  /* lines not written */
};
static struct log_file *log_files;
static size_t log_nfiles;

int
log_add_file(const char *path)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: neither opening a FIFO nor writing to a full pipe may hold the run. */
	fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_CREAT, 0644);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	log_files = xreallocarray(log_files, log_nfiles + 1, sizeof(*log_files));
	log_files[log_nfiles].path = xstrdup(path);
	log_files[log_nfiles].fd = fd;
	log_files[log_nfiles].atomic = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
	log_files[log_nfiles].dropped = 0;
	log_nfiles++;
	return 0;
}

/* Writes one line to one extra log, or drops it. Never waits: the fd is non-blocking. */
static void
file_write(struct log_file *f, const char *s, size_t n)
{
	char cut[PIPE_BUF];
	ssize_t w;

	if (f->atomic && n > PIPE_BUF) {
		static const char mark[] = " [cut]\n";
		size_t keep = PIPE_BUF - (sizeof(mark) - 1);

		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
		memcpy(cut, s, keep);
		memcpy(cut + keep, mark, sizeof(mark) - 1);
		s = cut;
		n = keep + sizeof(mark) - 1;
	}
	do
		w = write(f->fd, s, n);
	while (w < 0 && errno == EINTR);
	if (w < 0 || (size_t)w != n)
		f->dropped++;
}

void
log_copy(const char *text)
{
	const char *nl;
	size_t i;

	for (; *text; text = nl + 1) {
		nl = strchr(text, '\n');
		if (!nl)
			nl = text + strlen(text) - 1;
		for (i = 0; i < log_nfiles; i++)
			file_write(&log_files[i], text, (size_t)(nl - text + 1));
	}
}

void
log_set_format(enum log_format f)
{
	log_format = f;
}

void
log_set_hook(void (*fn)(void *arg, const char *step, const char *event, const char *msg), void *arg)
{
	log_hook = fn;
	log_hook_arg = arg;
}

void
log_set_quiet(bool quiet)
{
	log_quiet = quiet;
}

void
log_add_secret(const char *s)
{
	size_t i, n;

	if (!s || !*s)
		return;
	/* Longest first: masking a secret that is a prefix of another must not leave the other's tail. */
	n = strlen(s);
	for (i = 0; i < log_nsecrets && strlen(log_secrets[i]) >= n; i++)
		if (strcmp(log_secrets[i], s) == 0)
			return;
	log_secrets = xreallocarray(log_secrets, log_nsecrets + 1, sizeof(*log_secrets));
	memmove(log_secrets + i + 1, log_secrets + i, (log_nsecrets - i) * sizeof(*log_secrets));
	log_secrets[i] = xstrdup(s);
	log_nsecrets++;
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

/* Length of the longest secret (0 without secrets). */
static size_t
longest_secret(void)
{
	size_t i, n = 0;

	for (i = 0; i < log_nsecrets; i++)
		if (strlen(log_secrets[i]) > n)
			n = strlen(log_secrets[i]);
	return n;
}

void
log_excerpt(struct buf *out, const char *s, size_t n, size_t max)
{
	/* Mask over max + the longest secret, so that a secret that starts before the cut is whole. */
	size_t window = n < max + longest_secret() ? n : max + longest_secret(), i;
	struct buf raw = {0};
	char *masked;

	for (i = 0; i < window; i++) {
		if (s[i] == '\0')
			buf_adds(&raw, "\\x00");
		else
			buf_addc(&raw, s[i]);
	}
	masked = log_redact(raw.s ? raw.s : "");
	buf_free(&raw);
	buf_adds(&raw, masked);
	free(masked);
	if (n > max) {
		raw.len = utf8_cut(raw.s, raw.len, max);
		raw.s[raw.len] = '\0';
		buf_printf(&raw, "... (%zu bytes)", n);
	}
	buf_adds(out, raw.s ? raw.s : "");
	buf_free(&raw);
}

/* Appends the JSON form of a line to b. */
static void
log_json(struct buf *b, const char *step, const char *event, const char *extra, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char when[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(b, "{\"time\":\"%s.%03ldZ\",", when, ts.tv_nsec / 1000000);
	if (step) {
		buf_adds(b, "\"step\":");
		json_escape(b, step, strlen(step));
		buf_addc(b, ',');
	}
	buf_printf(b, "\"event\":\"%s\",\"message\":", event);
	json_escape(b, msg, strlen(msg));
	if (extra && *extra)
		buf_printf(b, ",%s", extra);
	buf_adds(b, "}\n");
}

/* Appends the text form of a line to b. */
static void
log_text(struct buf *b, const char *step, const char *msg)
{
	buf_adds(b, "stopplan: ");
	if (step)
		buf_printf(b, "%s: ", step);
	text_escape(b, msg);
	buf_addc(b, '\n');
}

/* raw with secrets masked, cut to LOG_MESSAGE_MAX bytes: no line may grow with a reply's size. */
static char *
capped_redact(const char *raw)
{
	size_t n = strlen(raw);
	struct buf b = {0};

	if (n <= LOG_MESSAGE_MAX)
		return log_redact(raw);
	log_excerpt(&b, raw, n, LOG_MESSAGE_MAX);
	return buf_take(&b);
}

void
log_event(const char *step, const char *event, const char *extra, const char *fmt, ...)
{
	va_list ap;
	char *raw, *msg, *xtra = NULL;
	struct buf line = {0};

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	msg = capped_redact(raw);
	if (log_hook)
		log_hook(log_hook_arg, step, event, msg);
	if (log_quiet)
		goto out;
	if (log_format == LOG_JSON) {
		if (extra)
			xtra = log_redact(extra);
		log_json(&line, step, event, xtra, msg);
	} else {
		log_text(&line, step, msg);
	}
	fputs(line.s, stderr);
	fflush(stderr);
	log_copy(line.s);
out:
	buf_free(&line);
	free(xtra);
	free(raw);
	free(msg);
}

void
log_free(void)
{
	struct log_file *files = log_files;
	size_t nfiles = log_nfiles, i;

	/* Close the extra logs first: the report of what they dropped goes to stderr only. */
	log_files = NULL;
	log_nfiles = 0;
	for (i = 0; i < nfiles; i++) {
		close(files[i].fd);
		if (files[i].dropped)
			log_event(NULL, "log-file", NULL, "--log-file %s: %lu line%s dropped (full pipe or write error)",
			    files[i].path, files[i].dropped, files[i].dropped == 1 ? "" : "s");
		free(files[i].path);
	}
	free(files);
	for (i = 0; i < log_nsecrets; i++)
		free(log_secrets[i]);
	free(log_secrets);
	log_secrets = NULL;
	log_nsecrets = 0;
}
