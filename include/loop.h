/* loop.h: the one event loop of a run: it owns waiting (signals, timers, file descriptors). */
#ifndef STOPPLAN_LOOP_H
#define STOPPLAN_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct pollfd;

/* A module that multiplexes file descriptors of its own (http.c and its libcurl multi handle)
 * drives the loop's waits through one of these; the loop frees it with `free`. */
struct loop_driver {
	/* Does the work that is ready (called once per turn of the run, before the steps poll). */
	void (*perform)(void *arg);
	/* Waits at most timeout ms for the driver's own descriptors or any of fds (poll(2) style,
	 * filling revents). Returns like poll(2). */
	int (*wait)(void *arg, struct pollfd *fds, size_t nfds, int timeout);
	void (*free)(void *arg);
};

/* Creates the loop and installs the SIGTERM/SIGINT handlers (SIGPIPE is ignored). */
struct loop *loop_create(void);
/* Frees the loop and its driver's state. */
void loop_free(struct loop *l);
/* Returns the state registered with driver drv, or NULL. */
void *loop_driver_arg(const struct loop *l, const struct loop_driver *drv);
/* Registers drv with state arg (one driver per loop; the loop frees arg with drv->free). */
void loop_set_driver(struct loop *l, const struct loop_driver *drv, void *arg);
/* Asks the next loop_wait to return no later than `when` (CLOCK_MONOTONIC ms). */
void loop_wake_at(struct loop *l, int64_t when);
/* Asks the next loop_wait to also return when fd has any of events (POLLIN, POLLOUT). Holds for
 * that one wait: a step re-registers from its poll callback while it still waits. */
void loop_watch_fd(struct loop *l, int fd, short events);
/* The events fd had in the last wait (0: none, or not watched). */
short loop_fd_ready(const struct loop *l, int fd);
/* Does the driver's ready work (see struct loop_driver). */
void loop_perform(struct loop *l);
/* Waits for a watched fd, the driver, a timer (loop_wake_at) or a signal, at most until `until`. */
void loop_wait(struct loop *l, int64_t until);
/* The signal that asked the run to stop (SIGTERM or SIGINT), or 0. */
int loop_signal(const struct loop *l);

#endif
