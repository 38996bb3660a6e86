/* run.h: the interpreter: runs a resolved plan on one event loop within its deadline. */
#ifndef STOPPLAN_RUN_H
#define STOPPLAN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct plan;
struct run;
struct step;

/* Exit codes of stopplan, as listed in stopplan(1). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,             /* usage error or invalid plan */
	EXIT_DEADLINE = 124,
	EXIT_SIGNAL_BASE = 128,     /* + the signal number */
};

enum outcome {
	OUTCOME_NOT_RUN,
	OUTCOME_OK,
	OUTCOME_FAILED,
	OUTCOME_SKIPPED,
};

/* Creates a run of plan p with params resolved by resolve_params (ownership passes to the run). */
struct run *run_create(struct plan *p, char **params, int64_t deadline_ms);
/* Runs the plan to its end; returns the exit code and writes the summary line. */
int run_execute(struct run *r);
void run_free(struct run *r);

/* Returns an output of step s (len bytes, NUL-terminated), or NULL. */
const char *run_output(struct run *r, const struct step *s, const char *field, size_t *len);
/* The outcome of step s so far. */
enum outcome run_outcome(const struct run *r, const struct step *s);
/* For the reports written after run_execute (the JUnit report, the Kubernetes Event): the plan
 * r ran, its loop (alive until run_free), when it started (now_ms clock), and the step it stopped
 * at (NULL: none) with why (*why: NULL, or owned by r). */
const struct plan *run_plan(const struct run *r);
struct loop *run_loop(const struct run *r);
int64_t run_started(const struct run *r);
const struct step *run_stopped_at(const struct run *r, const char **why);

#endif
