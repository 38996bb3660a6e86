/* step.h: the step-kind contract (struct step_kind, the table of kinds) and the helpers kinds use at
 * load, check and run time. A kind includes this header (and node.h, util.h); nothing else of the
 * core. See doc/HACKING.md, "Adding a step kind". */
#ifndef STOPPLAN_STEP_H
#define STOPPLAN_STEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "plan.h"
#include "schema.h"
#include "template.h"
#include "util.h"
#include "value.h"

struct exec;
struct loop;
struct node;
struct regex;
struct run;

/* ---- load ---- */

/* Given to a kind's load callback. */
struct load_ctx {
	struct plan *plan;
	struct diag *d;
};

/* A step kind: one per src/step-KIND.c, listed in step_kinds[]. A NULL callback means "nothing to
 * do" (the default is given with each). */
struct step_kind {
	const char *name;
	bool concurrent;              /* runs its nested steps side by side (they cannot refer to each
	                               * other, and have no previous sibling) */
	bool quiet;                   /* writes its own log line: no start and ok lines, and its
	                               * successes are counted as "logged" in the summary */
	/* The keys of the action's value when it is a mapping (checked with schema_check by load, and
	 * against doc/stopplan.schema.json by tests/schema-keys.test). NULL: the value is not a map. */
	const struct schema_key *keys;
	/* Loads the action's value v: sets s->data (owned by the step, freed with free) as it goes.
	 * Returns 0, or -1 after recording errors in lc->d (free is called on what s->data holds).
	 * Group kinds use step_load_kids. Required. */
	int (*load)(struct step *s, const struct node *v, struct load_ctx *lc);
	/* Static checks that need the whole plan (regexes, siblings). NULL: none. */
	void (*check)(struct step *s, struct plan *p, struct diag *d);
	/* Worst-case duration of one attempt, in ms. NULL: 0 (the step does not wait). */
	int64_t (*worst)(const struct step *s);
	/* Time an attempt needs to be worth starting (a connect timeout), in ms. NULL: 0. */
	int64_t (*need)(const struct step *s);
	/* True when the step has output FIELD, for "${steps.NAME.FIELD}". NULL: no outputs. */
	bool (*has_field)(const struct step *s, const char *field);
	/* Puts the names of the step's outputs (at most max) in names, for "did you mean" hints;
	 * returns how many. NULL: no hints. */
	size_t (*fields)(const struct step *s, const char **names, size_t max);
	/* Appends a one-line description ("GET URL") rendered with env, for explain and logs. NULL:
	 * nothing. */
	void (*describe)(const struct step *s, const struct tmpl_env *env, struct buf *out);
	/* Appends lines ("NAME: VALUE\n") that explain and --dry-run show under the step: what the
	 * describe line leaves out, such as a request's headers and body. NULL: none. */
	void (*details)(const struct step *s, const struct tmpl_env *env, struct buf *out);
	/* Starts an attempt (may set e->state); returns EXEC_RUNNING, EXEC_OK or EXEC_FAILED. Required. */
	int (*start)(struct exec *e);
	/* Advances a running attempt; returns EXEC_RUNNING, EXEC_OK or EXEC_FAILED. NULL: start never
	 * returns EXEC_RUNNING. */
	int (*poll)(struct exec *e);
	/* Stops the attempt at once and frees e->state (called after every attempt that set e->state or
	 * returned EXEC_RUNNING, even one that ended). NULL: nothing to stop or free. */
	void (*cancel)(struct exec *e);
	/* Frees s->data. NULL: the kind keeps no data. */
	void (*free)(void *data);
};

/* The NULL-terminated table of step kinds (src/step-kinds.c). */
extern const struct step_kind *const step_kinds[];

/* Parses scalar n as a template of the given type and registers it with the plan (which owns it);
 * NULL after an error in lc->d. Resolve renders the static ones before the run. */
struct tmpl *plan_tmpl(struct load_ctx *lc, struct step *owner, const struct node *n, enum tmpl_type type);
/* The load callback of group kinds: loads the sequence v as the nested steps of s (s->kids).
 * Returns 0, or -1 after errors. */
int step_load_kids(struct step *s, const struct node *v, struct load_ctx *lc);

/* ---- check and timing ---- */

/* Compiles pattern, the value of node n, for a matching kind's check. Returns the regex, or NULL
 * after recording "bad regex: ..." at the offending character in d. */
struct regex *step_regex(const char *pattern, const struct node *n, struct diag *d);

/* kind->need of s, or 0. */
int64_t step_need(const struct step *s);
/* worst and need for group kinds: the sum (in order) or the maximum (concurrent) over s->kids;
 * need is the first step's, or the largest when concurrent. */
int64_t step_group_worst(const struct step *s);
int64_t step_group_need(const struct step *s);

/* ---- run ---- */

/* What a step kind's start and poll return. */
enum exec_status {
	EXEC_RUNNING,
	EXEC_OK,
	EXEC_FAILED,
};

enum exec_phase {
	PHASE_IDLE,
	PHASE_ATTEMPT,
	PHASE_DELAY,
	PHASE_DONE,
};

/* One execution of a step, with its retries. Kinds use step, state and the exec_* helpers; the
 * rest is the interpreter's. */
struct exec {
	const struct step *step;
	void *state;                /* the kind's state for the current attempt */
	struct run *run;            /* opaque to kinds */
	char *detail;               /* what the attempt did, for the outcome line; owned */
	char *error;                /* why the attempt failed; owned */
	bool clipped;               /* a timeout was cut to the time left before the deadline */
	bool by_deadline;           /* the deadline, not the step's own timeout, ended the attempt */
	enum exec_phase phase;
	long long attempt;
	int64_t started, wake, delay;
};

/* The run's event loop: for timers (loop_wake_at), file descriptors (loop_watch_fd) and HTTP. */
struct loop *exec_loop(const struct exec *e);
/* The plan being run (for a kind that looks at the steps around it). */
const struct plan *exec_plan(const struct exec *e);
/* When the current phase (steps or finally) must end, in CLOCK_MONOTONIC ms. */
int64_t exec_deadline(const struct exec *e);
/* Renders template t (static ones are already resolved). Returns 0, or -1 with e->error set. */
int exec_render(struct exec *e, const struct tmpl *t, struct buf *out);
/* The environment that renders templates with the run's values and outputs (redact: secrets as ***). */
struct tmpl_env exec_tmpl_env(const struct exec *e, bool redact);
/* Limits a timeout to the time left before the deadline (never below 1 ms). */
int64_t exec_clip(struct exec *e, int64_t timeout);
/* Sets e->error (and fails the attempt when returned from start or poll). */
int exec_fail(struct exec *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets e->detail, the text of the outcome line. */
void exec_detail(struct exec *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records an output of the step (value copied). */
void exec_output(struct exec *e, const char *field, const char *value, size_t len);

/* start, poll and cancel of group kinds: run s->kids in order (a failure without a policy of its
 * own fails the group) or, for a concurrent kind, side by side, every branch to its end. */
int exec_group_start(struct exec *e);
int exec_group_poll(struct exec *e);
void exec_group_cancel(struct exec *e);

/* ---- the subject of matching kinds (expect-regex, expect-json) ---- */

/* What a matching kind matches: the rendered `subject:` template t or, without one (t NULL), the
 * reply body of the previous sibling step. */
struct subject {
	const char *bytes;          /* NUL-terminated; len bytes */
	size_t len;
	char *label;                /* "subject" or "body of NAME", for the outcome line; NULL when the
	                             * template failed to render */
	struct buf buf;
};

/* Check time: without t, the previous sibling must have a "body" output; records an error
 * naming s's kind otherwise. */
void step_subject_check(const struct step *s, const struct tmpl *t, struct diag *d);
/* Appends "'RENDERED'" or "body of NAME" for describe. */
void step_subject_describe(const struct step *s, const struct tmpl *t, const struct tmpl_env *env,
    struct buf *out);
/* Run time: fills sub (free it with subject_free, also after a failure). Returns 0, or -1 with
 * e->error set (the template failed, or the previous step has no body). */
int exec_subject(struct exec *e, const struct tmpl *t, struct subject *sub);
void subject_free(struct subject *sub);

/* ---- ports of kinds that watch local ports (port-check, drain) ---- */

#define STEP_PORTS_MAX 64

/* `port: N`, `port: "${param}"` or `ports: [...]`. A templated port may use params and the
 * environment only (check refuses step outputs in it): resolve gives it its value before the run. */
struct step_ports {
	int lit[STEP_PORTS_MAX];            /* a literal port, or 0 */
	struct tmpl *tmpl[STEP_PORTS_MAX];  /* a templated port (owned by the plan), or NULL */
	size_t n;
};

/* Loads n, one port or a sequence of them, into p (at most max, <= STEP_PORTS_MAX); what names
 * the kind in messages. Returns 0, or -1 after errors in lc->d. */
int step_ports_load(struct step *s, const struct node *n, struct step_ports *p, size_t max, const char *what,
    struct load_ctx *lc);
/* The resolved ports, in order, into out (p->n entries). */
void step_ports_values(const struct step_ports *p, int *out);
/* Appends "port 8080" or "ports 12200, 12201", rendering templates that are not resolved with env. */
void step_ports_describe(const struct step_ports *p, const struct tmpl_env *env, struct buf *out);

#endif
