/* run.h: the interpreter: executions of steps, their outcomes and outputs, and the run itself. */
#ifndef STOPPLAN_RUN_H
#define STOPPLAN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct buf;
struct loop;

/* Exit codes of stopplan, as listed in stopplan(1). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,             /* usage error or invalid plan */
	EXIT_DEADLINE = 124,
	EXIT_SIGNAL_BASE = 128,     /* + the signal number */
};

/* What a step kind's start and poll return. */
enum exec_status {
	EXEC_RUNNING,
	EXEC_OK,
	EXEC_FAILED,
};

enum outcome {
	OUTCOME_NOT_RUN,
	OUTCOME_OK,
	OUTCOME_FAILED,
	OUTCOME_SKIPPED,
};

/* What a finished step means for the sequence it is in. */
enum verdict {
	VERDICT_RUNNING,
	VERDICT_GO_ON,              /* ok, skipped, or failed under continue/warn */
	VERDICT_FAIL_GROUP,         /* failed with no policy of its own: its group fails */
	VERDICT_STOP,               /* the plan stops (abort, exit, deadline, signal): see run->code */
};

enum exec_phase {
	PHASE_IDLE,
	PHASE_ATTEMPT,
	PHASE_DELAY,
	PHASE_DONE,
};

/* One execution of a step, with its retries. Kinds see e->state, e->run, e->step and the helpers. */
struct exec {
	struct run *run;
	const struct step *step;
	void *state;                /* the kind's state for the current attempt */
	char *detail;               /* what the attempt did, for the outcome line; owned */
	char *error;                /* why the attempt failed; owned */
	bool clipped;               /* a timeout was cut to the time left before the deadline */
	bool by_deadline;           /* the deadline, not the step's own timeout, ended the attempt */
	enum exec_phase phase;
	long long attempt;
	int64_t started, wake, delay;
	enum verdict verdict;
};

/* A sequence of steps run one after another (the plan's steps, finally, and "steps" groups). */
struct seq {
	struct run *run;
	struct step *const *steps;
	size_t n, i;
	struct exec *cur;
	bool failed;                /* a step failed with VERDICT_FAIL_GROUP */
};

/* Steps run side by side (the parallel group): every one runs to its end. */
struct par {
	struct run *run;
	struct exec **execs;        /* one per step; NULL once it ended */
	size_t n, running;
	bool failed;                /* a step failed with VERDICT_FAIL_GROUP */
	const struct step *failed_step;
	bool stopped;               /* a step stopped the plan */
};

struct output {
	char *field;
	char *value;
	size_t len;
};

struct result {
	enum outcome outcome;
	struct output *outs;
	size_t nouts;
};

struct run {
	struct plan *plan;
	struct loop *loop;
	char **params;              /* resolved values, by param index */
	bool *secret;
	struct result *results;     /* by step id */
	int64_t start, end;         /* end: start + the run's deadline */
	int64_t deadline;           /* what the current phase (steps or finally) must end by */
	int64_t deadline_ms;        /* the run's deadline, as a duration */
	int code;                   /* exit code once the plan stops; 0 while it goes on */
	char *why;                  /* why it stopped; owned */
	const struct step *where;   /* the step it stopped at */
	const char *cancel_why;     /* while cancelling: "interrupted by SIGTERM", ... */
	unsigned rng;
};

/* Creates a run of plan p with resolved params (ownership of params passes to the run). */
struct run *run_create(struct plan *p, char **params, int64_t deadline_ms);
/* Runs the plan to its end; returns the exit code and writes the summary line. */
int run_execute(struct run *r);
void run_free(struct run *r);

/* Resolves params from -p values (NAME=VALUE strings), the environment and defaults, then renders
 * and type-checks every static template. Returns the values (one per param; owned by the caller),
 * or NULL after printing errors as FILE:LINE:COL diagnostics into d. With lenient, missing params
 * stay NULL and templates that use them are left unresolved. */
char **run_resolve(struct plan *p, char *const *sets, size_t nsets, bool lenient, struct diag *d);
/* Frees params from run_resolve. */
void run_free_params(struct plan *p, char **params);
/* Registers the secret params' values (and their encoded forms) with the log. */
void run_register_secrets(struct plan *p, char **params);
/* The environment that renders templates with the run's values and outputs. */
struct tmpl_env run_tmpl_env(struct run *r, bool redact);

/* For step kinds: */
/* Renders template t (static ones are already resolved). Returns 0, or -1 with e->error set. */
int exec_render(struct exec *e, const struct tmpl *t, struct buf *out);
/* Limits a timeout to the time left before the deadline (never below 1 ms). */
int64_t exec_clip(struct exec *e, int64_t timeout);
/* Sets e->error (and fails the attempt when returned from start or poll). */
int exec_fail(struct exec *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets e->detail, the text of the outcome line. */
void exec_detail(struct exec *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records an output of the step (value copied). */
void exec_output(struct exec *e, const char *field, const char *value, size_t len);
/* Returns an output of step s, or NULL. */
const char *run_output(struct run *r, const struct step *s, const char *field, size_t *len);
/* The outcome of step s so far. */
enum outcome run_outcome(const struct run *r, const struct step *s);

/* Sequences, for group kinds. */
void seq_init(struct seq *q, struct run *r, struct step *const *steps, size_t n);
/* Advances the sequence; returns VERDICT_RUNNING, VERDICT_GO_ON (done), VERDICT_FAIL_GROUP or VERDICT_STOP. */
enum verdict seq_poll(struct seq *q);
/* Stops the running step, if any, and frees what the sequence holds. */
void seq_cancel(struct seq *q, const char *why);

/* Parallel groups, for group kinds. */
void par_init(struct par *g, struct run *r, struct step *const *steps, size_t n);
/* Advances every step; returns VERDICT_RUNNING until all have ended, then VERDICT_GO_ON,
 * VERDICT_FAIL_GROUP (some step failed) or VERDICT_STOP (the plan stops: the rest are cancelled). */
enum verdict par_poll(struct par *g);
/* Stops the steps still running and frees what the group holds. */
void par_cancel(struct par *g);

#endif
