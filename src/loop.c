/* loop.c: waits on a self-pipe that signal handlers write to, timers, the file descriptors steps
 * watch, and through its driver (http.c) on libcurl's sockets. Knows nothing of HTTP. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

struct loop {
	int64_t wake;
	struct pollfd *fds;     /* [0]: the signal pipe; then the watched fds of the next wait */
	size_t nfds;
	struct pollfd *ready;   /* the watched fds of the last wait, with revents */
	size_t nready;
	const struct loop_driver *drv;
	void *drv_arg;
};

static int loop_pipe[2] = {-1, -1};
static volatile sig_atomic_t loop_signo;

static void
loop_on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (!loop_signo)
		loop_signo = sig;
	if (loop_pipe[1] >= 0 && write(loop_pipe[1], &c, 1) < 0) {
		/* The pipe is full: a wake-up is already pending. */
	}
	errno = saved;
}

static void
loop_signals(void)
{
	struct sigaction sa;
	int i;

	if (loop_pipe[0] < 0) {
		if (pipe(loop_pipe) < 0)
			fatal("pipe:");
		for (i = 0; i < 2; i++) {
			fcntl(loop_pipe[i], F_SETFL, fcntl(loop_pipe[i], F_GETFL) | O_NONBLOCK);
			fcntl(loop_pipe[i], F_SETFD, FD_CLOEXEC);
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

struct loop *
loop_create(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	loop_signals();
	l->wake = INT64_MAX;
	l->fds = xcalloc(4, sizeof(*l->fds));   /* the capacity xgrow starts from */
	l->nfds = 1;
	return l;
}

void
loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->drv && l->drv->free)
		l->drv->free(l->drv_arg);
	free(l->fds);
	free(l->ready);
	free(l);
}

void *
loop_driver_arg(const struct loop *l, const struct loop_driver *drv)
{
	return l->drv == drv ? l->drv_arg : NULL;
}

void
loop_set_driver(struct loop *l, const struct loop_driver *drv, void *arg)
{
	if (l->drv && l->drv->free)
		l->drv->free(l->drv_arg);
	l->drv = drv;
	l->drv_arg = arg;
}

void
loop_wake_at(struct loop *l, int64_t when)
{
	if (when < l->wake)
		l->wake = when;
}

void
loop_watch_fd(struct loop *l, int fd, short events)
{
	size_t i;

	for (i = 1; i < l->nfds; i++)
		if (l->fds[i].fd == fd) {
			l->fds[i].events |= events;
			return;
		}
	l->fds = xgrow(l->fds, l->nfds, sizeof(*l->fds));
	l->fds[l->nfds++] = (struct pollfd){.fd = fd, .events = events};
}

short
loop_fd_ready(const struct loop *l, int fd)
{
	size_t i;

	for (i = 0; i < l->nready; i++)
		if (l->ready[i].fd == fd)
			return l->ready[i].revents;
	return 0;
}

void
loop_perform(struct loop *l)
{
	if (l->drv && l->drv->perform)
		l->drv->perform(l->drv_arg);
}

/* Keeps the watched fds with their revents for loop_fd_ready, and forgets them for the next wait. */
static void
loop_keep_ready(struct loop *l, bool waited)
{
	size_t i;

	l->nready = 0;
	for (i = 1; i < l->nfds; i++) {
		if (!waited)
			l->fds[i].revents = 0;
		l->ready = xgrow(l->ready, l->nready, sizeof(*l->ready));
		l->ready[l->nready++] = l->fds[i];
	}
	l->nfds = 1;
}

void
loop_wait(struct loop *l, int64_t until)
{
	int64_t now = now_ms(), wait;
	char drain[64];
	int n;

	if (l->wake < until)
		until = l->wake;
	l->wake = INT64_MAX;
	wait = until - now;
	if (loop_signo || wait <= 0) {
		loop_keep_ready(l, false);
		return;
	}
	if (wait > 1000)
		wait = 1000;
	l->fds[0] = (struct pollfd){.fd = loop_pipe[0], .events = POLLIN};
	if (l->drv && l->drv->wait)
		n = l->drv->wait(l->drv_arg, l->fds, l->nfds, (int)wait);
	else
		n = poll(l->fds, l->nfds, (int)wait);
	loop_keep_ready(l, n > 0);
	while (read(loop_pipe[0], drain, sizeof(drain)) > 0)
		;
}

int
loop_signal(const struct loop *l)
{
	(void)l;
	return loop_signo;
}
