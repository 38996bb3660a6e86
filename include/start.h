/* start.h: the first milliseconds of `stopplan run`: its clock and signal handlers start before
 * the plan is read, and reading standard input ends at the deadline or a signal. */
#ifndef STOPPLAN_START_H
#define STOPPLAN_START_H

#include <stddef.h>
#include <stdint.h>

struct diag;

/* What start_read_stdin returns besides 0 and -1. */
enum {
	START_DEADLINE = -2,        /* the deadline passed before standard input ended */
	START_SIGNAL = -3,          /* a signal (loop_signal) asked the run to stop */
};

/* Notes the run's start (CLOCK_MONOTONIC ms) and installs the signal handlers; call it first. */
void start_begin(void);
/* The time start_begin noted (0 before it). */
int64_t start_time(void);
/* Reads standard input to its end (at most NODE_MAX_FILE bytes) without waiting past `until`
 * (CLOCK_MONOTONIC ms) or a stopping signal; logs any SIGUSR1. Returns 0 with *buf owned by the
 * caller, -1 after recording an error in d, START_DEADLINE or START_SIGNAL. */
int start_read_stdin(int64_t until, char **buf, size_t *len, struct diag *d);
/* Logs why a run ended before its plan was read (rc: START_DEADLINE or START_SIGNAL; `limit`: the
 * deadline in ms) and a summary line like a run's; returns the exit code (124 or 128 + N). */
int start_stopped(int rc, const char *plan, int64_t limit);

#endif
