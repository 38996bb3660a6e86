/* once.c: run-once. kubelet may deliver a preStop hook more than once; with --once-file the second
 * delivery waits for the first (flock) and replays its exit code.
 *
 * The file holds one line:
 *   stopplan-once 1 id=<16 hex digits> exit=<code> at=<UTC time the run ended> plan=<plan name>
 * id is once_identity(): the same plan text with the same resolved params is the same run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "once.h"
#include "plan.h"
#include "util.h"

#define ONCE_MAX_RECORD 4096

struct once {
	int fd;
	uint64_t id;
};

uint64_t
once_identity(const char *text, size_t len, const struct plan *p, char *const *params)
{
	uint64_t h = FNV1A_INIT;
	size_t i;

	h = fnv1a(h, "stopplan-once 1", 16);
	h = fnv1a(h, text, len);
	for (i = 0; i < p->nparams; i++) {
		const char *v = params[i] ? params[i] : "";

		/* Name and value, each with its NUL: "a=bc" and "ab=c" differ. */
		h = fnv1a(h, p->params[i].name, strlen(p->params[i].name) + 1);
		h = fnv1a(h, v, strlen(v) + 1);
	}
	return h;
}

struct once *
once_open(const char *path, uint64_t id)
{
	struct once *o;
	int fd;

	/* O_NOFOLLOW: in a shared /tmp, a symlink planted there cannot redirect the write. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return NULL;
	o = xcalloc(1, sizeof(*o));
	o->fd = fd;
	o->id = id;
	return o;
}

int
once_lock(struct once *o, bool wait, int64_t until)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	/* Polling rather than a blocking flock: the wait must end at `until`. */
	while (flock(o->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (!wait || now_ms() >= until)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

bool
once_recorded(struct once *o, int *code, char **when)
{
	char buf[ONCE_MAX_RECORD], at[64];
	unsigned long long rid;
	ssize_t n;
	int version, c;

	n = pread(o->fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (sscanf(buf, "stopplan-once %d id=%16llx exit=%d at=%63s", &version, &rid, &c, at) != 4 ||
	    version != 1 || rid != o->id || c < 0 || c > 255)
		return false;
	*code = c;
	*when = xstrdup(at);
	return true;
}

void
once_free(struct once *o)
{
	if (!o)
		return;
	close(o->fd);
	free(o);
}

int
once_finish(struct once *o, int code, const char *plan_name)
{
	char at[64], *line = NULL;
	struct tm tm;
	time_t t = time(NULL);
	size_t i;
	int rc = 0, e = 0;

	if (!o)
		return 0;
	if (code >= 0 && code < 128) {
		gmtime_r(&t, &tm);
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		line = xasprintf("stopplan-once 1 id=%016llx exit=%d at=%s plan=%s\n", (unsigned long long)o->id,
		    code, at, plan_name);
		/* One line: a plan name cannot hold a line break, but be sure. */
		for (i = 0; line[i + 1]; i++)
			if (line[i] == '\n' || line[i] == '\r')
				line[i] = ' ';
		if (ftruncate(o->fd, 0) < 0 || pwrite(o->fd, line, strlen(line), 0) != (ssize_t)strlen(line)) {
			e = errno;
			rc = -1;
		}
		free(line);
	}
	once_free(o);
	errno = e;
	return rc;
}
