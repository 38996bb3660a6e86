/* loop.h: the one event loop of a run: a libcurl multi handle, timers and the signal pipe. */
#ifndef STOPPLAN_LOOP_H
#define STOPPLAN_LOOP_H

#include <stdint.h>

struct loop;

/* Creates the loop and installs the SIGTERM/SIGINT handlers (SIGPIPE is ignored). */
struct loop *loop_create(void);
/* Frees the loop; every transfer must have been freed before. */
void loop_free(struct loop *l);
/* Starts driving the libcurl easy handle `easy` (CURL *); for http.c only. Returns NULL, or a
 * static libcurl message when the handle cannot be added. */
const char *loop_add_handle(struct loop *l, void *easy);
/* Stops driving `easy` (a transfer still running is abandoned); for http.c only. */
void loop_remove_handle(struct loop *l, void *easy);
/* Closes the connections that libcurl keeps open for reuse (keep-alive) once their transfers
 * have ended, so that a local count of established connections never sees stopplan's own.
 * While a transfer runs (another branch of a parallel group), libcurl cannot tell its idle
 * connections apart: then nothing is closed and -1 is returned; else 0. */
int loop_close_idle(struct loop *l);
/* Asks the next loop_wait to return no later than `when` (CLOCK_MONOTONIC ms). */
void loop_wake_at(struct loop *l, int64_t when);
/* Drives every transfer and marks the finished ones (see http.c). */
void loop_perform(struct loop *l);
/* Waits for network activity, a timer (loop_wake_at) or a signal, at most until `until`. */
void loop_wait(struct loop *l, int64_t until);
/* The signal that asked the run to stop (SIGTERM or SIGINT), or 0. */
int loop_signal(const struct loop *l);
/* Returns an idle easy handle to reuse, or NULL; and gives one back (for http.c only). */
void *loop_take_handle(struct loop *l);
void loop_give_handle(struct loop *l, void *easy);

#endif
