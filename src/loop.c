/* loop.c: waits on libcurl's sockets, timers and a self-pipe that signal handlers write to. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "loop.h"
#include "util.h"

#define LOOP_POOL 8

struct loop {
	CURLM *multi;           /* holds the cache of keep-alive connections, shared by every transfer */
	size_t ntransfers;      /* easy handles added to multi */
	int64_t wake;
	CURL *pool[LOOP_POOL];
	int npool;
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

static CURLM *
loop_multi_create(void)
{
	CURLM *m = curl_multi_init();

	if (!m)
		fatal("cannot create a libcurl multi handle");
	return m;
}

struct loop *
loop_create(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	loop_signals();
	l->multi = loop_multi_create();
	l->wake = INT64_MAX;
	return l;
}

void
loop_free(struct loop *l)
{
	int i;

	if (!l)
		return;
	for (i = 0; i < l->npool; i++)
		curl_easy_cleanup(l->pool[i]);
	curl_multi_cleanup(l->multi);
	free(l);
}

const char *
loop_add_handle(struct loop *l, void *easy)
{
	CURLMcode mc = curl_multi_add_handle(l->multi, easy);

	if (mc != CURLM_OK)
		return curl_multi_strerror(mc);
	l->ntransfers++;
	return NULL;
}

void
loop_remove_handle(struct loop *l, void *easy)
{
	if (curl_multi_remove_handle(l->multi, easy) == CURLM_OK && l->ntransfers)
		l->ntransfers--;
}

int
loop_close_idle(struct loop *l)
{
	if (l->ntransfers)
		return -1;
	/* libcurl has no call that closes cached connections: the cache belongs to the multi
	 * handle, and cleaning that up closes them all. No easy handle is attached to it now, and
	 * the pooled ones keep nothing that points into it. */
	curl_multi_cleanup(l->multi);
	l->multi = loop_multi_create();
	return 0;
}

void
loop_wake_at(struct loop *l, int64_t when)
{
	if (when < l->wake)
		l->wake = when;
}

void
loop_perform(struct loop *l)
{
	CURLMsg *m;
	int running, left;

	curl_multi_perform(l->multi, &running);
	while ((m = curl_multi_info_read(l->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			http_finished(m->easy_handle, (int)m->data.result);
}

void
loop_wait(struct loop *l, int64_t until)
{
	struct curl_waitfd fd = {.fd = loop_pipe[0], .events = CURL_WAIT_POLLIN};
	int64_t now = now_ms(), wait;
	char drain[64];

	if (l->wake < until)
		until = l->wake;
	l->wake = INT64_MAX;
	if (loop_signo)
		return;
	wait = until - now;
	if (wait <= 0)
		return;
	if (wait > 1000)
		wait = 1000;
	curl_multi_poll(l->multi, &fd, 1, (int)wait, NULL);
	while (read(loop_pipe[0], drain, sizeof(drain)) > 0)
		;
}

int
loop_signal(const struct loop *l)
{
	(void)l;
	return loop_signo;
}

void *
loop_take_handle(struct loop *l)
{
	return l->npool ? l->pool[--l->npool] : NULL;
}

void
loop_give_handle(struct loop *l, void *easy)
{
	if (l->npool < LOOP_POOL) {
		curl_easy_reset(easy);
		l->pool[l->npool++] = easy;
	} else {
		curl_easy_cleanup(easy);
	}
}
