/* start.c: the first milliseconds of `stopplan run`. The deadline's clock and the signal handlers
 * start before the plan is read, so that loading counts against the deadline and a SIGTERM that
 * comes at once is logged; standard input is read through the loop, never past the deadline. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "log.h"
#include "loop.h"
#include "node.h"
#include "run.h"
#include "start.h"
#include "util.h"

static int64_t start_ms;

void
start_begin(void)
{
	start_ms = now_ms();
	loop_install_signals();
}

int64_t
start_time(void)
{
	return start_ms;
}

static void
start_log_usr1(void)
{
	if (loop_take_usr1())
		log_event(NULL, "signal", NULL, "SIGUSR1 ignored: SIGTERM, SIGINT, SIGHUP and SIGQUIT stop a run");
}

int
start_read_stdin(int64_t until, char **bufp, size_t *lenp, struct diag *d)
{
	struct loop *l = loop_create();
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;
	int rc = 0;

	for (;;) {
		start_log_usr1();
		if (loop_signal(l)) {
			rc = START_SIGNAL;
			break;
		}
		if (now_ms() >= until) {
			rc = START_DEADLINE;
			break;
		}
		loop_watch_fd(l, 0, POLLIN);
		loop_wait(l, until);
		if (!loop_fd_ready(l, 0))
			continue;
		n = read(0, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			diag_error(d, 0, 0, "cannot read standard input: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		buf_add(&b, chunk, (size_t)n);
		if (b.len > NODE_MAX_FILE) {
			diag_error(d, 0, 0, "plan is larger than %d bytes", NODE_MAX_FILE);
			rc = -1;
			break;
		}
	}
	loop_free(l);
	if (rc < 0) {
		buf_free(&b);
		return rc;
	}
	*lenp = b.len;
	*bufp = buf_take(&b);
	return 0;
}

int
start_stopped(int rc, const char *plan, int64_t limit)
{
	int sig = loop_signal(NULL), code = rc == START_SIGNAL ? EXIT_SIGNAL_BASE + sig : EXIT_DEADLINE;
	long long ms = (long long)(now_ms() - start_ms);
	char why[64], d[32], extra[128];

	fmt_duration(d, sizeof(d), limit);
	if (rc == START_SIGNAL) {
		snprintf(why, sizeof(why), "interrupted by %s", loop_signal_name(sig));
		log_event(NULL, "interrupted", NULL, "%s while reading the plan from standard input", why);
	} else {
		snprintf(why, sizeof(why), "deadline exceeded");
		log_event(NULL, "interrupted", NULL, "standard input did not end before the %s deadline", d);
	}
	snprintf(extra, sizeof(extra), "\"exit\":%d,\"ms\":%lld,\"ok\":0,\"failed\":0,\"skipped\":0,\"not_run\":0",
	    code, ms);
	log_event(NULL, "summary", extra, "plan %s failed: %s (exit %d) in %lld ms: nothing run", plan, why, code, ms);
	return code;
}
