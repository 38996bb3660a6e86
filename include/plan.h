/* plan.h: the plan AST: what load builds, check validates, resolve completes and run executes.
 * Every node keeps its FILE:LINE:COL through the YAML node it came from; no phase after load
 * looks anything up in the YAML tree. The step-kind contract is in step.h. */
#ifndef STOPPLAN_PLAN_H
#define STOPPLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "template.h"
#include "value.h"

struct node;
struct regex;
struct step_kind;

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
	COND_PARAM_EQUALS,            /* when: {param: NAME, equals: VALUE} */
	COND_PARAM_NOT_EQUALS,        /* when: {param: NAME, not-equals: VALUE} */
	COND_PARAM_EMPTY,             /* when: {param: NAME, empty: true}: unset or "" */
	COND_PARAM_NOT_EMPTY,         /* when: {param: NAME, empty: false} */
};

struct cond {
	enum cond_kind kind;
	char *name;                   /* the step, or the param for COND_PARAM_* */
	const struct node *node;
	const struct step *step;      /* set by check (step conditions) */
	char *value;                  /* COND_PARAM_EQUALS, COND_PARAM_NOT_EQUALS */
	int param;                    /* COND_PARAM_*: index in plan->params, set by check */
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
	bool loaded;                  /* kind->load succeeded: data (may be NULL) is complete */
	void *data;                   /* the kind's own, owned by the step (kind->free) */
	const struct node *node;      /* the step's mapping */
	const struct node *name_node; /* the value of its "name" key, or NULL */
	const struct node *action;    /* the action's value */
	struct step *parent;          /* NULL at top level and in finally */
	struct step *prev;            /* previous sibling, or NULL (always NULL in a concurrent group) */
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
	const struct node *node, *pattern_node, *def_node;
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
	const struct node *deadline_node, *reserve_node, *finally_node;   /* those keys' values, or NULL */
	int64_t worst_main, worst_finally;   /* set by check, ms */
};

/* Returns the step named NAME, or NULL. */
struct step *plan_find_step(const struct plan *p, const char *name);
/* Returns the param named NAME's index, or -1. */
int plan_param_index(const struct plan *p, const char *name);
/* Worst-case duration of step s with its retries, in ms (0 for a step whose action did not load). */
int64_t plan_step_worst(const struct step *s);
/* Recomputes worst_main and worst_finally (check does; resolve again once params set durations). */
void plan_update_worst(struct plan *p);
/* A newly allocated array (nparams + 1 entries; the caller frees it): true for each secret param. */
bool *plan_secret_mask(const struct plan *p);
/* The top-level key of mapping root that looks like a misspelled "stopplan" header, or NULL. */
const struct node *plan_near_header(const struct node *root);
/* True when the file's first document is a plan (a mapping with a top-level "stopplan" key). */
bool plan_is_plan(const struct node *root);
/* Frees the plan with its steps (through their kinds' free), templates and YAML documents. */
void plan_free(struct plan *p);

#endif
