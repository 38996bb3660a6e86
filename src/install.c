/* install.c: `stopplan install DIR` copies the running executable into DIR, so an init container
 * holding only the static binary can hand it to the application container over an emptyDir
 * volume without a shell or cp. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"
#include "util.h"

static int
install_error(char *err, size_t err_size, const char *path, int e)
{
	snprintf(err, err_size, "%s: %s", path, strerror(e));
	return -1;
}

/* Writes all n bytes of p to fd; returns 0 or -1 with errno set. */
static int
install_write(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
install_self(const char *dir, char *err, size_t err_size)
{
	static const char self[] = "/proc/self/exe";
	char buf[65536];
	char *tmp = xasprintf("%s/.stopplan.XXXXXX", dir);
	char *dest = xasprintf("%s/stopplan", dir);
	int in = -1, out = -1, ret = -1, created = 0, e;
	ssize_t n;

	in = open(self, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		install_error(err, err_size, self, errno);
		goto out;
	}
	out = mkstemp(tmp);
	if (out < 0) {
		install_error(err, err_size, dir, errno);
		goto out;
	}
	created = 1;
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			install_error(err, err_size, self, errno);
			goto out;
		}
		if (n == 0)
			break;
		if (install_write(out, buf, (size_t)n) < 0) {
			install_error(err, err_size, tmp, errno);
			goto out;
		}
	}
	if (fchmod(out, 0755) < 0 || fsync(out) < 0) {
		install_error(err, err_size, tmp, errno);
		goto out;
	}
	e = close(out);
	out = -1;
	if (e < 0) {
		install_error(err, err_size, tmp, errno);
		goto out;
	}
	if (rename(tmp, dest) < 0) {
		install_error(err, err_size, dest, errno);
		goto out;
	}
	ret = 0;
out:
	if (out >= 0)
		close(out);
	if (ret < 0 && created)
		unlink(tmp);
	if (in >= 0)
		close(in);
	free(tmp);
	free(dest);
	return ret;
}
