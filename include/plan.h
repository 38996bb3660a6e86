/* plan.h: the plan AST shared by load, check and run, and the table of step kinds. */
#ifndef STOPPLAN_PLAN_H
#define STOPPLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "template.h"
#include "value.h"

struct buf;
struct exec;
struct node;
struct regex;

#define PLAN_DEFAULT_DEADLINE_MS 25000

enum policy_kind {
	POLICY_NONE,        /* not set: a nested step then fails its group */
	POLICY_ABORT,
	POLICY_CONTINUE,
	POLICY_WARN,
	POLICY_EXIT,
};

struct policy {
	enum policy_kind kind;
	int code;           /* EXIT */
	char *message;      /* WARN, EXIT (may be NULL) */
};

enum cond_kind {
	COND_SUCCEEDED,
	COND_FAILED,
	COND_SKIPPED,
};

struct cond {
	enum cond_kind kind;
	char *name;
	const struct node *node;
	const struct step *step;      /* set by check */
};

struct retry {
	long long attempts;           /* including the first try; 1 without retry */
	int64_t delay, max_delay;     /* ms; max_delay 0: no cap */
	double backoff, jitter;
};

struct step {
	char *name;                   /* the user's name, or a generated one with dots ("offline-hsf.1") */
	bool named;                   /* the user gave the name */
	size_t id;                    /* index in plan->all (document order) */
	const struct step_kind *kind;
	void *data;                   /* the kind's own, owned by the step (kind->free) */
	const struct node *node;      /* the step's mapping */
	const struct node *action;    /* the action's value */
	struct step *parent;          /* NULL at top level and in finally */
	struct step *prev;            /* previous sibling, or NULL */
	struct step **kids;           /* nested steps (group kinds only) */
	size_t nkids;
	bool in_finally;
	struct retry retry;
	struct policy policy;
	struct cond *conds;
	size_t nconds;
};

struct param {
	char *name;
	char *env;                    /* NULL: not read from the environment */
	char *def;                    /* NULL: no default */
	char *pattern;
	bool required, secret;
	const struct node *node, *pattern_node;
	struct regex *re;             /* compiled pattern, set by check */
};

struct plan {
	char *file;
	char *name, *description;
	struct param *params;
	size_t nparams;
	int64_t deadline;             /* ms */
	int64_t grace_period, reserve;   /* ms, from the keys grace-period and reserve; 0: not declared */
	struct policy policy;         /* default for top-level and finally steps */
	struct step **steps, **finally;
	size_t nsteps, nfinally;
	struct step **all;            /* every step in document order */
	size_t nall;
	struct tmpl *tmpls;           /* every template of the plan, linked through next */
	struct node **docs;           /* the YAML the plan came from */
	size_t ndocs;
	const struct node *root;
	int64_t worst_main, worst_finally;   /* set by check, ms */
};

/* Given to a kind's load callback. */
struct load_ctx {
	struct plan *plan;
	struct diag *d;
};

/* A step kind: one per src/step-KIND.c, listed in step_kinds[]. Callbacks may be NULL where noted. */
struct step_kind {
	const char *name;
	bool concurrent;              /* runs its nested steps side by side (they cannot refer to each other) */
	/* Builds the kind's data from the action's value; returns NULL after recording errors in lc->d.
	 * Group kinds create s->kids with plan_load_steps(). */
	void *(*load)(struct step *s, const struct node *v, struct load_ctx *lc);
	/* Static checks that need the whole plan (regexes, siblings). May be NULL. */
	void (*check)(struct step *s, struct plan *p, struct diag *d);
	/* Worst-case duration of one attempt, in ms. */
	int64_t (*worst)(const struct step *s);
	/* Time an attempt needs to be worth starting (a connect timeout), in ms. May be NULL (0). */
	int64_t (*need)(const struct step *s);
	/* True when the step has output FIELD, for "${steps.NAME.FIELD}". May be NULL (no outputs). */
	bool (*has_field)(const struct step *s, const char *field);
	/* Appends a one-line description ("GET URL") rendered with env, for explain and logs. */
	void (*describe)(const struct step *s, const struct tmpl_env *env, struct buf *out);
	/* Starts an attempt: sets e->state; returns EXEC_RUNNING, EXEC_OK or EXEC_FAILED. */
	int (*start)(struct exec *e);
	/* Advances a running attempt; returns EXEC_RUNNING, EXEC_OK or EXEC_FAILED. */
	int (*poll)(struct exec *e);
	/* Stops a running attempt at once and frees e->state; also called after it ended. */
	void (*cancel)(struct exec *e);
	/* Frees s->data. */
	void (*free)(void *data);
};

/* The NULL-terminated table of step kinds. */
extern const struct step_kind *const step_kinds[];

/* Loads and checks the plan in FILE ("-": standard input). Returns NULL with errors in d.
 * The caller owns the plan (plan_free). */
struct plan *plan_load_file(const char *file, struct diag *d);
/* Builds a plan from YAML documents already parsed (takes ownership of docs, even on failure). */
struct plan *plan_from_docs(const char *file, struct node **docs, size_t ndocs, struct diag *d);
/* Loads the sequence v as the children of parent (for group kinds). Returns -1 on errors. */
int plan_load_steps(struct load_ctx *lc, struct step *parent, const struct node *v);
/* Parses scalar n as a template of the given type and registers it with the plan; NULL on error. */
struct tmpl *plan_tmpl(struct load_ctx *lc, struct step *owner, const struct node *n, enum tmpl_type type);
/* Runs the static checks; returns 0 or -1 with errors in d. */
int plan_check(struct plan *p, struct diag *d);
/* Returns the step named NAME, or NULL. */
struct step *plan_find_step(const struct plan *p, const char *name);
/* Recomputes worst_main and worst_finally (after params resolved durations). */
void plan_update_worst(struct plan *p);
/* Worst-case duration of step s with its retries, in ms. */
int64_t plan_step_worst(const struct step *s);
/* Returns the param named NAME's index, or -1. */
int plan_param_index(const struct plan *p, const char *name);
/* The top-level key of mapping root that looks like a misspelled "stopplan" header, or NULL. */
const struct node *plan_near_header(const struct node *root);
/* True when the file's first document is a plan (a mapping with a top-level "stopplan" key). */
bool plan_is_plan(const struct node *root);
void plan_free(struct plan *p);

#endif
