/* journal.h: what a run's log lines said about each step, kept for the reports written after the run
 * (the Kubernetes Event, the probe's one line, the JUnit report). */
#ifndef STOPPLAN_JOURNAL_H
#define STOPPLAN_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

/* One step as its log lines told it. */
struct journal_step {
	char *name;
	char *failure;              /* the last failure line ("GET ... -> 503: failed: ..."), or NULL */
	int64_t started, ended;     /* CLOCK_MONOTONIC ms of its first start and last outcome; 0: none */
};

struct journal {
	struct journal_step *steps;
	size_t n;
	char *fail_step;            /* the step of the last failure line, or NULL */
	char *fail_line;            /* that line */
	char *summary;              /* the summary line */
};

/* Starts recording every log line into j (through log_set_hook). */
void journal_start(struct journal *j);
/* Stops recording and frees what j holds. */
void journal_free(struct journal *j);
/* The record of step NAME, or NULL when no line named it. */
const struct journal_step *journal_find(const struct journal *j, const char *name);

#endif
