/* run.c: the interpreter. Steps run as executions polled by one loop; this file owns when, retry,
 * fail-policy, outcomes, the deadline and signals, and never looks inside a step kind. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "loop.h"
#include "plan.h"
#include "resolve.h"
#include "run.h"
#include "step.h"
#include "util.h"

#define FINALLY_SLACK_MS 10

/* What a finished step means for the sequence it is in. */
enum verdict {
	VERDICT_RUNNING,
	VERDICT_GO_ON,              /* ok, skipped, or failed under continue/warn */
	VERDICT_FAIL_GROUP,         /* failed with no policy of its own: its group fails */
	VERDICT_STOP,               /* the plan stops (abort, exit, deadline, signal): see run->code */
};

/* A sequence of steps run one after another (the plan's steps, finally, and "steps" groups). */
struct seq {
	struct run *run;
	struct step *const *steps;
	size_t n, i;
	struct exec *cur;
	bool failed;                /* a step failed with VERDICT_FAIL_GROUP */
};

/* Steps run side by side (a concurrent group): every one runs to its end. */
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
	enum policy_kind handled;   /* FAILED: POLICY_CONTINUE or POLICY_WARN when the plan went on as its
	                             * author asked (the summary counts it as tolerated or warned) */
	long long attempt;          /* the attempt under way or last made (0: none yet) */
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

static const char *const outcome_names[] = {"not-run", "ok", "failed", "skipped"};

/* ---- outputs ---- */

static void
result_clear(struct result *res)
{
	size_t i;

	for (i = 0; i < res->nouts; i++) {
		free(res->outs[i].field);
		free(res->outs[i].value);
	}
	free(res->outs);
	res->outs = NULL;
	res->nouts = 0;
	res->outcome = OUTCOME_NOT_RUN;
	res->handled = POLICY_NONE;
}

/* Forgets the outcomes and outputs of s and everything nested in it (a new attempt of a group). */
static void
result_reset(struct run *r, const struct step *s)
{
	size_t i;

	result_clear(&r->results[s->id]);
	for (i = 0; i < s->nkids; i++)
		result_reset(r, s->kids[i]);
}

void
exec_output(struct exec *e, const char *field, const char *value, size_t len)
{
	struct result *res = &e->run->results[e->step->id];
	struct output *o;
	size_t i;

	for (i = 0; i < res->nouts; i++)
		if (strcmp(res->outs[i].field, field) == 0)
			break;
	if (i == res->nouts) {
		res->outs = xgrow(res->outs, res->nouts, sizeof(*res->outs));
		res->outs[res->nouts++].field = xstrdup(field);
	} else {
		free(res->outs[i].value);
	}
	o = &res->outs[i];
	o->value = xstrndup(value, len);
	o->len = len;
}

const char *
run_output(struct run *r, const struct step *s, const char *field, size_t *len)
{
	const struct result *res = &r->results[s->id];
	size_t i;

	for (i = 0; i < res->nouts; i++)
		if (strcmp(res->outs[i].field, field) == 0) {
			*len = res->outs[i].len;
			return res->outs[i].value;
		}
	return NULL;
}

enum outcome
run_outcome(const struct run *r, const struct step *s)
{
	return r->results[s->id].outcome;
}

static const char *
tmpl_output(void *arg, const struct step *s, const char *field, size_t *len, const char **err)
{
	struct run *r = arg;
	const char *v = run_output(r, s, field, len);

	if (!v)
		*err = r->results[s->id].outcome == OUTCOME_NOT_RUN ? "is not available: the step has not run" :
		    r->results[s->id].outcome == OUTCOME_SKIPPED ? "is not available: the step was skipped" :
		    "is not available";
	return v;
}

static struct tmpl_env
run_tmpl_env(struct run *r, bool redact)
{
	struct tmpl_env env = {
		.params = (const char *const *)r->params,
		.secret = r->secret,
		.redact = redact,
		.output = tmpl_output,
		.arg = r,
	};
	return env;
}

const struct plan *
run_plan(const struct run *r)
{
	return r->plan;
}

struct loop *
run_loop(const struct run *r)
{
	return r->loop;
}

int64_t
run_started(const struct run *r)
{
	return r->start;
}

const struct step *
run_stopped_at(const struct run *r, const char **why)
{
	*why = r->why;
	return r->where;
}

/* ---- helpers for step kinds ---- */

struct loop *
exec_loop(const struct exec *e)
{
	return e->run->loop;
}

const struct plan *
exec_plan(const struct exec *e)
{
	return e->run->plan;
}

int64_t
exec_deadline(const struct exec *e)
{
	return e->run->deadline;
}

struct tmpl_env
exec_tmpl_env(const struct exec *e, bool redact)
{
	return run_tmpl_env(e->run, redact);
}

int
exec_render(struct exec *e, const struct tmpl *t, struct buf *out)
{
	struct tmpl_env env;
	char *err = NULL;

	if (!t->dynamic) {
		buf_add(out, t->value ? t->value : "", t->value ? t->vlen : 0);
		return 0;
	}
	env = run_tmpl_env(e->run, false);
	if (tmpl_render(t, &env, out, &err) < 0) {
		exec_fail(e, "%s", err);
		free(err);
		return -1;
	}
	return 0;
}

int64_t
exec_clip(struct exec *e, int64_t timeout)
{
	int64_t left = e->run->deadline - now_ms();

	if (left < timeout) {
		e->clipped = true;
		timeout = left;
	}
	return timeout < 1 ? 1 : timeout;
}

/* Replaces *dst with the formatted text (fmt may use the old text). */
static void
set_text(char **dst, const char *fmt, va_list ap)
{
	char *old = *dst;

	*dst = xvasprintf(fmt, ap);
	free(old);
}

int
exec_fail(struct exec *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(&e->error, fmt, ap);
	va_end(ap);
	return EXEC_FAILED;
}

void
exec_detail(struct exec *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(&e->detail, fmt, ap);
	va_end(ap);
}

/* ---- executions ---- */

static void
run_stop(struct run *r, int code, const struct step *where, const char *why)
{
	if (r->code)
		return;
	r->code = code;
	r->where = where;
	r->why = xstrdup(why ? why : "failed");
}

static bool
cond_holds(const struct run *r, const struct cond *c)
{
	const char *v = c->kind >= COND_PARAM_EQUALS ? r->params[c->param] : NULL;

	switch (c->kind) {
	case COND_SUCCEEDED: return r->results[c->step->id].outcome == OUTCOME_OK;
	case COND_FAILED: return r->results[c->step->id].outcome == OUTCOME_FAILED;
	case COND_SKIPPED: return r->results[c->step->id].outcome == OUTCOME_SKIPPED;
	case COND_PARAM_EQUALS: return v && strcmp(v, c->value) == 0;
	case COND_PARAM_NOT_EQUALS: return !v || strcmp(v, c->value) != 0;
	case COND_PARAM_EMPTY: return !v || !*v;
	case COND_PARAM_NOT_EMPTY: return v && *v;
	}
	return false;
}

/* The skipped line: "skipped: offline is failed, not ok", "skipped: param region is 'eu', not 'us'". */
static void
log_skipped(const struct run *r, const struct step *s, const struct cond *c)
{
	static const char *const wanted[] = {"ok", "failed", "skipped"};
	const char *v = c->kind >= COND_PARAM_EQUALS ? r->params[c->param] : NULL;

	switch (c->kind) {
	case COND_SUCCEEDED:
	case COND_FAILED:
	case COND_SKIPPED:
		log_event(s->name, "skipped", NULL, "skipped: %s is %s, not %s", c->name,
		    outcome_names[run_outcome(r, c->step)], wanted[c->kind]);
		break;
	case COND_PARAM_EQUALS:
		log_event(s->name, "skipped", NULL, "skipped: param %s is %s%s%s, not '%s'", c->name, v ? "'" : "",
		    v ? v : "not set", v ? "'" : "", c->value);
		break;
	case COND_PARAM_NOT_EQUALS:
		log_event(s->name, "skipped", NULL, "skipped: param %s is '%s'", c->name, c->value);
		break;
	case COND_PARAM_EMPTY:
		log_event(s->name, "skipped", NULL, "skipped: param %s is not empty", c->name);
		break;
	case COND_PARAM_NOT_EMPTY:
		log_event(s->name, "skipped", NULL, "skipped: param %s is empty", c->name);
		break;
	}
}

static const struct cond *
failing_cond(const struct run *r, const struct step *s)
{
	size_t i;

	for (i = 0; i < s->nconds; i++)
		if (!cond_holds(r, &s->conds[i]))
			return &s->conds[i];
	return NULL;
}

/* A skipped step's nested steps are skipped with it. */
static void
mark_skipped(struct run *r, const struct step *s)
{
	size_t i;

	r->results[s->id].outcome = OUTCOME_SKIPPED;
	for (i = 0; i < s->nkids; i++)
		mark_skipped(r, s->kids[i]);
}

static struct exec *
exec_create(struct run *r, const struct step *s)
{
	struct exec *e = xcalloc(1, sizeof(*e));

	e->run = r;
	e->step = s;
	e->phase = PHASE_IDLE;
	return e;
}

static void
exec_end_attempt(struct exec *e)
{
	if ((e->state || e->phase == PHASE_ATTEMPT) && e->step->kind->cancel)
		e->step->kind->cancel(e);
	e->state = NULL;
}

static void
exec_free(struct exec *e)
{
	if (!e)
		return;
	exec_end_attempt(e);
	free(e->detail);
	free(e->error);
	free(e);
}

/* The JSON members that place an event of e: its attempt and, for a nested step, the attempt of
 * each enclosing group that retries ("group_attempt" of the nearest one). */
static void
attempt_members(const struct exec *e, char *out, size_t size)
{
	const struct step *g;

	snprintf(out, size, "\"attempt\":%lld", e->attempt);
	for (g = e->step->parent; g; g = g->parent) {
		if (g->retry.attempts > 1) {
			snprintf(out + strlen(out), size - strlen(out), ",\"group_attempt\":%lld",
			    e->run->results[g->id].attempt);
			break;
		}
	}
}

/* The first attempt of a step has a start line; a retried step's later attempts do not, so that
 * each attempt writes at most one line (its outcome, with the retry that follows). */
static void
log_start(struct exec *e)
{
	struct tmpl_env env;
	struct buf b = {0};
	char extra[96];

	if (e->attempt > 1)
		return;
	env = run_tmpl_env(e->run, true);
	if (e->step->kind->describe)
		e->step->kind->describe(e->step, &env, &b);
	attempt_members(e, extra, sizeof(extra));
	if (e->step->retry.attempts > 1)
		log_event(e->step->name, "start", extra, "start (attempt 1/%lld): %s", e->step->retry.attempts,
		    b.s ? b.s : "");
	else
		log_event(e->step->name, "start", extra, "start: %s", b.s ? b.s : "");
	buf_free(&b);
}

static int
exec_start_attempt(struct exec *e)
{
	int st;

	free(e->detail);
	free(e->error);
	e->detail = e->error = NULL;
	e->clipped = e->by_deadline = false;
	if (e->attempt > 1 && e->step->nkids)
		result_reset(e->run, e->step);
	e->phase = PHASE_ATTEMPT;
	e->started = now_ms();
	e->run->results[e->step->id].attempt = e->attempt;
	if (!e->step->kind->quiet)
		log_start(e);
	st = e->step->kind->start(e);
	return st;
}

static int64_t
retry_delay(struct exec *e)
{
	const struct retry *rt = &e->step->retry;
	double d = (double)rt->delay;
	long long i;

	for (i = 1; i < e->attempt && d < (double)DURATION_MAX_MS; i++)
		d *= rt->backoff;
	if (rt->max_delay && d > (double)rt->max_delay)
		d = (double)rt->max_delay;
	if (rt->jitter > 0) {
		e->run->rng = e->run->rng * 1103515245u + 12345u;
		d *= 1 - rt->jitter * ((e->run->rng >> 8) & 0xffff) / 65536.0;
	}
	return (int64_t)d;
}

/* The outcome line of an attempt. A retried step says which attempt it was ("(attempt 3/5)") and,
 * when another follows, when: "...: failed: ERROR; retrying in 1s" is the one line of a failed
 * attempt (event "retry" in the JSON log, with "delay_ms"). */
static void
log_outcome(struct exec *e, bool ok, int64_t retry_in)
{
	char extra[192], which[64] = "", then[48] = "", d[32];
	int64_t ms = now_ms() - e->started;
	const char *event = ok ? "ok" : retry_in >= 0 ? "retry" : "failed";

	snprintf(extra, sizeof(extra), "\"outcome\":\"%s\",", ok ? "ok" : "failed");
	attempt_members(e, extra + strlen(extra), sizeof(extra) - strlen(extra));
	snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), ",\"ms\":%lld", (long long)ms);
	if (e->step->retry.attempts > 1 && (!ok || e->attempt > 1))
		snprintf(which, sizeof(which), " (attempt %lld/%lld)", e->attempt, e->step->retry.attempts);
	if (retry_in >= 0) {
		fmt_duration(d, sizeof(d), retry_in);
		snprintf(then, sizeof(then), "; retrying in %s", d);
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), ",\"delay_ms\":%lld",
		    (long long)retry_in);
	}
	if (ok)
		log_event(e->step->name, event, extra, "%s%s", e->detail ? e->detail : "ok", which);
	else if (e->detail)
		log_event(e->step->name, event, extra, "%s: failed: %s%s%s", e->detail, e->error ? e->error : "failed",
		    which, then);
	else
		log_event(e->step->name, event, extra, "failed: %s%s%s", e->error ? e->error : "failed", which, then);
}

static const struct policy *
effective_policy(const struct run *r, const struct step *s)
{
	if (s->policy.kind != POLICY_NONE)
		return &s->policy;
	if (!s->parent)
		return &r->plan->policy;
	return &s->policy;
}

static enum verdict
exec_finish(struct exec *e, enum outcome o)
{
	const struct policy *pol;

	exec_end_attempt(e);
	e->phase = PHASE_DONE;
	e->run->results[e->step->id].outcome = o;
	if (o != OUTCOME_FAILED)
		return VERDICT_GO_ON;
	if (e->run->code)
		return VERDICT_STOP;
	pol = effective_policy(e->run, e->step);
	switch (pol->kind) {
	case POLICY_CONTINUE:
		log_event(e->step->name, "continue", NULL, "continuing (fail-policy continue)");
		e->run->results[e->step->id].handled = POLICY_CONTINUE;
		return VERDICT_GO_ON;
	case POLICY_WARN:
		log_event(e->step->name, "warning", NULL, "warning: %s", pol->message);
		e->run->results[e->step->id].handled = POLICY_WARN;
		return VERDICT_GO_ON;
	case POLICY_ABORT:
		run_stop(e->run, EXIT_FAILED, e->step, e->error);
		return VERDICT_STOP;
	case POLICY_EXIT:
		run_stop(e->run, pol->code, e->step, pol->message ? pol->message : e->error);
		return VERDICT_STOP;
	case POLICY_NONE:
		break;
	}
	return VERDICT_FAIL_GROUP;
}

/* The attempt failed: decide between another attempt and the end of the step. */
static enum verdict
exec_attempt_failed(struct exec *e)
{
	struct run *r = e->run;
	int64_t now = now_ms(), need;

	if (r->code) {
		exec_end_attempt(e);
		e->phase = PHASE_DONE;
		r->results[e->step->id].outcome = OUTCOME_FAILED;
		return VERDICT_STOP;
	}
	if (e->by_deadline || (e->clipped && now >= r->deadline)) {
		char extra[64];

		snprintf(extra, sizeof(extra), "\"ms\":%lld", (long long)(now - e->started));
		log_event(e->step->name, "interrupted", extra, "stopped by the deadline after %lld ms",
		    (long long)(now - e->started));
		run_stop(r, EXIT_DEADLINE, e->step, "deadline exceeded");
		return exec_finish(e, OUTCOME_FAILED);
	}
	if (e->attempt >= e->step->retry.attempts) {
		log_outcome(e, false, -1);
		return exec_finish(e, OUTCOME_FAILED);
	}
	e->delay = retry_delay(e);
	need = step_need(e->step);
	if (now + e->delay + need > r->deadline) {
		log_outcome(e, false, -1);
		exec_end_attempt(e);
		log_event(e->step->name, "retry", NULL, "no time left for attempt %lld/%lld before the deadline",
		    e->attempt + 1, e->step->retry.attempts);
		return exec_finish(e, OUTCOME_FAILED);
	}
	log_outcome(e, false, e->delay);
	exec_end_attempt(e);
	e->phase = PHASE_DELAY;
	e->wake = now + e->delay;
	loop_wake_at(r->loop, e->wake);
	return VERDICT_RUNNING;
}

static enum verdict
exec_step(struct exec *e, int st)
{
	if (st == EXEC_RUNNING)
		return VERDICT_RUNNING;
	if (st == EXEC_OK) {
		if (!e->step->kind->quiet)
			log_outcome(e, true, -1);
		return exec_finish(e, OUTCOME_OK);
	}
	return exec_attempt_failed(e);
}

/* Advances execution e; returns its verdict once the step has ended. */
static enum verdict
exec_poll(struct exec *e)
{
	const struct cond *c;

	switch (e->phase) {
	case PHASE_IDLE:
		if ((c = failing_cond(e->run, e->step))) {
			log_skipped(e->run, e->step, c);
			mark_skipped(e->run, e->step);
			e->phase = PHASE_DONE;
			return VERDICT_GO_ON;
		}
		e->attempt = 1;
		return exec_step(e, exec_start_attempt(e));
	case PHASE_ATTEMPT:
		return exec_step(e, e->step->kind->poll ? e->step->kind->poll(e) : EXEC_OK);
	case PHASE_DELAY:
		if (now_ms() < e->wake) {
			loop_wake_at(e->run->loop, e->wake);
			return VERDICT_RUNNING;
		}
		e->attempt++;
		return exec_step(e, exec_start_attempt(e));
	case PHASE_DONE:
		break;
	}
	return VERDICT_GO_ON;
}

/* Stops e at once (deadline or signal), logging why. */
static void
exec_cancel(struct exec *e)
{
	struct run *r = e->run;

	if (e->phase != PHASE_ATTEMPT && e->phase != PHASE_DELAY)
		return;
	int64_t ms = now_ms() - e->started;
	char extra[64];

	exec_end_attempt(e);
	snprintf(extra, sizeof(extra), "\"ms\":%lld", (long long)ms);
	log_event(e->step->name, "interrupted", extra, "%s after %lld ms%s", r->cancel_why,
	    (long long)ms, e->phase == PHASE_DELAY ? " (waiting to retry)" : "");
	r->results[e->step->id].outcome = OUTCOME_FAILED;
	e->phase = PHASE_DONE;
}

/* ---- sequences ---- */

static void
seq_init(struct seq *q, struct run *r, struct step *const *steps, size_t n)
{
	q->run = r;
	q->steps = steps;
	q->n = n;
	q->i = 0;
	q->cur = NULL;
	q->failed = false;
}

static enum verdict
seq_poll(struct seq *q)
{
	enum verdict v;

	while (q->i < q->n) {
		if (!q->cur)
			q->cur = exec_create(q->run, q->steps[q->i]);
		v = exec_poll(q->cur);
		if (v == VERDICT_RUNNING)
			return v;
		exec_free(q->cur);
		q->cur = NULL;
		q->i++;
		if (v != VERDICT_GO_ON) {
			q->failed = v == VERDICT_FAIL_GROUP;
			return v;
		}
	}
	return VERDICT_GO_ON;
}

static void
seq_cancel(struct seq *q)
{
	if (q->cur) {
		exec_cancel(q->cur);
		exec_free(q->cur);
		q->cur = NULL;
	}
}

/* ---- parallel groups ---- */

static void
par_init(struct par *g, struct run *r, struct step *const *steps, size_t n)
{
	size_t i;

	g->run = r;
	g->n = g->running = n;
	g->execs = xcalloc(n, sizeof(*g->execs));
	for (i = 0; i < n; i++)
		g->execs[i] = exec_create(r, steps[i]);
	g->failed = g->stopped = false;
	g->failed_step = NULL;
}

static void par_cancel(struct par *g);

static enum verdict
par_poll(struct par *g)
{
	enum verdict v;
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (!g->execs[i])
			continue;
		v = exec_poll(g->execs[i]);
		if (v == VERDICT_RUNNING)
			continue;
		if (v == VERDICT_FAIL_GROUP && !g->failed) {
			g->failed = true;
			g->failed_step = g->execs[i]->step;
		}
		exec_free(g->execs[i]);
		g->execs[i] = NULL;
		g->running--;
		if (v == VERDICT_STOP) {
			g->stopped = true;
			break;
		}
	}
	if (g->stopped) {
		g->run->cancel_why = g->run->code == EXIT_DEADLINE ? "stopped by the deadline" :
		    "stopped: the plan is stopping";
		par_cancel(g);
		return VERDICT_STOP;
	}
	if (g->running)
		return VERDICT_RUNNING;
	return g->failed ? VERDICT_FAIL_GROUP : VERDICT_GO_ON;
}

static void
par_cancel(struct par *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (!g->execs[i])
			continue;
		exec_cancel(g->execs[i]);
		exec_free(g->execs[i]);
		g->execs[i] = NULL;
	}
	g->running = 0;
}

/* ---- groups: the start, poll and cancel of group kinds ---- */

/* A group's attempt: its nested steps in a sequence or side by side. */
struct group {
	struct seq q;
	struct par g;
};

int
exec_group_poll(struct exec *e)
{
	struct group *gr = e->state;
	bool concurrent = e->step->kind->concurrent;
	struct seq *q = &gr->q;
	struct par *g = &gr->g;

	switch (concurrent ? par_poll(g) : seq_poll(q)) {
	case VERDICT_RUNNING:
		return EXEC_RUNNING;
	case VERDICT_GO_ON:
		if (concurrent)
			exec_detail(e, "%zu branches done", g->n);
		else
			exec_detail(e, "%zu nested step%s done", q->n, q->n == 1 ? "" : "s");
		return EXEC_OK;
	case VERDICT_FAIL_GROUP:
		if (concurrent)
			return exec_fail(e, "branch %s failed", g->failed_step->name);
		return exec_fail(e, "step %s failed", q->steps[q->i - 1]->name);
	case VERDICT_STOP:
		break;
	}
	if (concurrent)
		return exec_fail(e, "the plan stopped in a branch");
	return exec_fail(e, "the plan stopped in step %s", q->steps[q->i ? q->i - 1 : 0]->name);
}

int
exec_group_start(struct exec *e)
{
	struct group *gr = xcalloc(1, sizeof(*gr));

	if (e->step->kind->concurrent)
		par_init(&gr->g, e->run, e->step->kids, e->step->nkids);
	else
		seq_init(&gr->q, e->run, e->step->kids, e->step->nkids);
	e->state = gr;
	return exec_group_poll(e);
}

void
exec_group_cancel(struct exec *e)
{
	struct group *gr = e->state;

	if (!gr)
		return;
	if (e->step->kind->concurrent)
		par_cancel(&gr->g);
	else
		seq_cancel(&gr->q);
	free(gr->g.execs);
	free(gr);
	e->state = NULL;
}

/* ---- the run ---- */

struct run *
run_create(struct plan *p, char **params, int64_t deadline_ms)
{
	struct run *r = xcalloc(1, sizeof(*r));

	r->plan = p;
	r->params = params;
	r->secret = plan_secret_mask(p);
	r->results = xcalloc(p->nall + 1, sizeof(*r->results));
	r->loop = loop_create();
	r->deadline_ms = deadline_ms;
	r->rng = (unsigned)time(NULL) ^ (unsigned)now_ms();
	return r;
}

void
run_free(struct run *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->plan->nall; i++)
		result_clear(&r->results[i]);
	free(r->results);
	resolve_free_params(r->plan, r->params);
	free(r->secret);
	free(r->why);
	loop_free(r->loop);
	free(r);
}

/* Drives seq until it ends, the phase's deadline passes or a signal arrives. */
static enum verdict
run_drive(struct run *r, struct seq *q)
{
	enum verdict v;
	int sig;
	char why[64];

	for (;;) {
		loop_perform(r->loop);
		if ((sig = loop_signal(r->loop))) {
			snprintf(why, sizeof(why), "interrupted by %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
			r->cancel_why = why;
			seq_cancel(q);
			r->code = 0;
			run_stop(r, EXIT_SIGNAL_BASE + sig, NULL, why);
			return VERDICT_STOP;
		}
		v = seq_poll(q);
		if (v != VERDICT_RUNNING)
			return v;
		if (now_ms() >= r->deadline) {
			r->cancel_why = "stopped by the deadline";
			seq_cancel(q);
			run_stop(r, EXIT_DEADLINE, q->i < q->n ? q->steps[q->i] : NULL, "deadline exceeded");
			return VERDICT_STOP;
		}
		loop_wait(r->loop, r->deadline);
	}
}

/* The summary's counts, in this order. A failure the plan went on from as its author asked
 * (fail-policy continue or warn) is "tolerated" or "warned", never "failed": a run that did what
 * was intended does not read as a failure. */
enum tally {
	TALLY_OK, TALLY_LOGGED, TALLY_FAILED, TALLY_TOLERATED, TALLY_WARNED, TALLY_SKIPPED, TALLY_NOT_RUN, NTALLY
};

static enum tally
tally_of(const struct run *r, const struct step *s)
{
	const struct step *g;

	switch (r->results[s->id].outcome) {
	case OUTCOME_OK: return s->kind->quiet ? TALLY_LOGGED : TALLY_OK;
	case OUTCOME_SKIPPED: return TALLY_SKIPPED;
	case OUTCOME_NOT_RUN: return TALLY_NOT_RUN;
	case OUTCOME_FAILED: break;
	}
	/* A nested failure without a policy of its own failed its group: it counts as the group. */
	for (g = s; g && r->results[g->id].handled == POLICY_NONE && g->policy.kind == POLICY_NONE; g = g->parent)
		;
	if (!g || r->results[g->id].outcome != OUTCOME_FAILED)
		return TALLY_FAILED;
	return r->results[g->id].handled == POLICY_CONTINUE ? TALLY_TOLERATED :
	    r->results[g->id].handled == POLICY_WARN ? TALLY_WARNED : TALLY_FAILED;
}

static void
run_summary(struct run *r, int code)
{
	static const char *const names[NTALLY] = {"ok", "logged", "failed", "tolerated", "warned", "skipped",
	    "not-run"};
	static const char *const keys[NTALLY] = {"ok", "logged", "failed", "tolerated", "warned", "skipped", "not_run"};
	size_t counts[NTALLY] = {0}, i;
	struct buf b = {0}, extra = {0};
	int64_t ms = now_ms() - r->start;

	for (i = 0; i < r->plan->nall; i++)
		counts[tally_of(r, r->plan->all[i])]++;
	buf_printf(&extra, "\"exit\":%d,\"ms\":%lld", code, (long long)ms);
	for (i = 0; i < NTALLY; i++) {
		buf_printf(&extra, ",\"%s\":%zu", keys[i], counts[i]);
		if (counts[i])
			buf_printf(&b, "%s%zu %s", b.len ? ", " : "", counts[i], names[i]);
	}
	if (code == 0)
		log_event(NULL, "summary", extra.s, "plan %s succeeded in %lld ms: %s", r->plan->name, (long long)ms, b.s ? b.s : "");
	else if (r->where)
		log_event(NULL, "summary", extra.s, "plan %s failed at %s: %s (exit %d) in %lld ms: %s", r->plan->name,
		    r->where->name, r->why, code, (long long)ms, b.s ? b.s : "");
	else
		log_event(NULL, "summary", extra.s, "plan %s failed: %s (exit %d) in %lld ms: %s", r->plan->name,
		    r->why, code, (long long)ms, b.s ? b.s : "");
	buf_free(&b);
	buf_free(&extra);
}

int
run_execute(struct run *r)
{
	struct plan *p = r->plan;
	struct seq q;
	int code, fcode;
	char *why;
	const struct step *where;

	r->start = now_ms();
	r->end = r->start + r->deadline_ms;
	r->deadline = r->end - p->worst_finally;
	seq_init(&q, r, p->steps, p->nsteps);
	run_drive(r, &q);
	code = r->code;
	if (code < EXIT_SIGNAL_BASE && p->nfinally) {
		/* finally always runs (but not after a signal), with the whole deadline. */
		why = r->why;
		where = r->where;
		r->why = NULL;
		r->code = 0;
		/* The main steps may have run a few ms past their share: finally keeps its whole time,
		 * with a few ms for the bookkeeping between its steps. */
		r->deadline = now_ms() + p->worst_finally + FINALLY_SLACK_MS;
		if (r->deadline < r->end)
			r->deadline = r->end;
		seq_init(&q, r, p->finally, p->nfinally);
		run_drive(r, &q);
		fcode = r->code;
		if (code || !fcode) {
			free(r->why);
			r->why = why;
			r->where = where;
		} else {
			free(why);
			code = fcode;
		}
		if (fcode == EXIT_DEADLINE && code != EXIT_DEADLINE)
			code = fcode;
		r->code = code;
	}
	run_summary(r, code);
	return code;
}
