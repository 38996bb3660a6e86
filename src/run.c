/* run.c: the interpreter. Steps run as executions polled by one loop; this file owns when, retry,
 * fail-policy, outcomes, the deadline and signals, and never looks inside a step kind. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "loop.h"
#include "node.h"
#include "regex.h"
#include "run.h"
#include "util.h"

#define FINALLY_SLACK_MS 10

static const char *const outcome_names[] = {"not-run", "ok", "failed", "skipped"};

/* ---- params and static templates ---- */

static const char *
find_set(const char *name, char *const *sets, size_t nsets)
{
	size_t i, n = strlen(name);

	for (i = nsets; i-- > 0;)
		if (strncmp(sets[i], name, n) == 0 && sets[i][n] == '=')
			return sets[i] + n + 1;
	return NULL;
}

static void
resolve_param(struct plan *p, size_t i, char *const *sets, size_t nsets, bool lenient, char **out, struct diag *d)
{
	struct param *par = &p->params[i];
	const char *v = find_set(par->name, sets, nsets);

	if (!v && par->env)
		v = getenv(par->env);
	if (!v)
		v = par->def;
	if (!v) {
		if (par->required && !lenient)
			diag_at(d, par->node, "required param '%s' is not set%s%s%s", par->name,
			    par->env ? " (environment variable " : " (use -p)", par->env ? par->env : "", par->env ? " or -p)" : "");
		else if (!par->required)
			out[i] = xstrdup("");
		return;
	}
	if (par->re && regex_match(par->re, v, strlen(v)) != REGEX_MATCH) {
		diag_at(d, par->node, "param '%s': value '%s' does not match the pattern '%s'", par->name,
		    par->secret ? "***" : v, par->pattern);
		return;
	}
	out[i] = xstrdup(v);
}

static void
resolve_tmpl(struct plan *p, struct tmpl *t, char **params, bool lenient, struct diag *d)
{
	struct tmpl_env env = {.params = (const char *const *)params, .keep_unknown = lenient};
	struct buf b = {0};
	char *err = NULL;
	const char *why;
	bool *secret = xcalloc(p->nparams, sizeof(*secret));
	size_t i;

	for (i = 0; i < p->nparams; i++)
		secret[i] = p->params[i].secret;
	env.secret = secret;
	if (tmpl_render(t, &env, &b, &err) < 0) {
		diag_at(d, t->node, "%s", err);
	} else if (!lenient || !strstr(b.s, "${")) {
		if ((why = tmpl_check_value(t, b.s, b.len))) {
			env.redact = true;
			struct buf shown = {0};
			tmpl_render(t, &env, &shown, &err);
			diag_at(d, t->node, "'%s': %s", shown.s ? shown.s : "", why);
			buf_free(&shown);
		}
	}
	free(t->value);
	t->vlen = b.len;
	t->value = buf_take(&b);
	free(err);
	free(secret);
}

char **
run_resolve(struct plan *p, char *const *sets, size_t nsets, bool lenient, struct diag *d)
{
	char **params = xcalloc(p->nparams + 1, sizeof(*params));
	size_t before = d->n, i;
	struct tmpl *t;

	for (i = 0; i < nsets; i++) {
		const char *eq = strchr(sets[i], '=');
		char *name = eq ? xstrndup(sets[i], (size_t)(eq - sets[i])) : NULL;

		if (!name || plan_param_index(p, name) < 0)
			diag_error(d, 0, 0, "-p %s: %s", sets[i], name ? "the plan declares no such param" : "expected NAME=VALUE");
		free(name);
	}
	for (i = 0; i < p->nparams; i++)
		resolve_param(p, i, sets, nsets, lenient, params, d);
	if (d->n == before)
		for (t = p->tmpls; t; t = t->next)
			if (!t->dynamic && !tmpl_is_literal(t))
				resolve_tmpl(p, t, params, lenient, d);
	plan_update_worst(p);
	if (d->n > before) {
		run_free_params(p, params);
		return NULL;
	}
	return params;
}

void
run_free_params(struct plan *p, char **params)
{
	size_t i;

	if (!params)
		return;
	for (i = 0; i < p->nparams; i++)
		free(params[i]);
	free(params);
}

void
run_register_secrets(struct plan *p, char **params)
{
	size_t i;

	for (i = 0; i < p->nparams; i++) {
		struct buf b = {0};
		const char *v = params[i];

		if (!p->params[i].secret || !v || !*v)
			continue;
		log_add_secret(v);
		tmpl_urlencode(&b, v, strlen(v));
		log_add_secret(b.s);
		b.len = 0;
		tmpl_base64(&b, v, strlen(v));
		log_add_secret(b.s);
		b.len = 0;
		json_escape(&b, v, strlen(v));
		b.s[b.len - 1] = '\0';
		log_add_secret(b.s + 1);
		buf_free(&b);
	}
}

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

struct tmpl_env
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

/* ---- helpers for step kinds ---- */

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

int
exec_fail(struct exec *e, const char *fmt, ...)
{
	va_list ap;

	free(e->error);
	va_start(ap, fmt);
	e->error = xvasprintf(fmt, ap);
	va_end(ap);
	return EXEC_FAILED;
}

void
exec_detail(struct exec *e, const char *fmt, ...)
{
	va_list ap;

	free(e->detail);
	va_start(ap, fmt);
	e->detail = xvasprintf(fmt, ap);
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
	enum outcome o = r->results[c->step->id].outcome;

	switch (c->kind) {
	case COND_SUCCEEDED: return o == OUTCOME_OK;
	case COND_FAILED: return o == OUTCOME_FAILED;
	case COND_SKIPPED: return o == OUTCOME_SKIPPED;
	}
	return false;
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
	if (e->state || e->phase == PHASE_ATTEMPT)
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

static void
log_start(struct exec *e)
{
	struct tmpl_env env = run_tmpl_env(e->run, true);
	struct buf b = {0};
	char extra[64];

	e->step->kind->describe(e->step, &env, &b);
	snprintf(extra, sizeof(extra), "\"attempt\":%lld", e->attempt);
	if (e->step->retry.attempts > 1)
		log_event(e->step->name, "start", extra, "start (attempt %lld/%lld): %s", e->attempt,
		    e->step->retry.attempts, b.s ? b.s : "");
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

static void
log_outcome(struct exec *e, bool ok)
{
	char extra[128];
	int64_t ms = now_ms() - e->started;

	snprintf(extra, sizeof(extra), "\"outcome\":\"%s\",\"attempt\":%lld,\"ms\":%lld", ok ? "ok" : "failed",
	    e->attempt, (long long)ms);
	if (ok)
		log_event(e->step->name, "ok", extra, "%s", e->detail ? e->detail : "ok");
	else if (e->detail)
		log_event(e->step->name, "failed", extra, "%s: failed: %s", e->detail, e->error ? e->error : "failed");
	else
		log_event(e->step->name, "failed", extra, "failed: %s", e->error ? e->error : "failed");
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
	char extra[32];

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
		return VERDICT_GO_ON;
	case POLICY_WARN:
		log_event(e->step->name, "warning", NULL, "warning: %s", pol->message);
		return VERDICT_GO_ON;
	case POLICY_ABORT:
		run_stop(e->run, EXIT_FAILED, e->step, e->error);
		return VERDICT_STOP;
	case POLICY_EXIT:
		snprintf(extra, sizeof(extra), "\"exit\":%d", pol->code);
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
	char d[32];

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
	log_outcome(e, false);
	if (e->attempt >= e->step->retry.attempts)
		return exec_finish(e, OUTCOME_FAILED);
	exec_end_attempt(e);
	e->delay = retry_delay(e);
	need = e->step->kind->need ? e->step->kind->need(e->step) : 0;
	if (now + e->delay + need > r->deadline) {
		log_event(e->step->name, "retry", NULL, "no time left for attempt %lld/%lld before the deadline",
		    e->attempt + 1, e->step->retry.attempts);
		return exec_finish(e, OUTCOME_FAILED);
	}
	fmt_duration(d, sizeof(d), e->delay);
	log_event(e->step->name, "retry", NULL, "retrying in %s", d);
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
		log_outcome(e, true);
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
			log_event(e->step->name, "skipped", NULL, "skipped: %s is %s, not %s", c->name,
			    outcome_names[run_outcome(e->run, c->step)],
			    c->kind == COND_SUCCEEDED ? "ok" : c->kind == COND_FAILED ? "failed" : "skipped");
			mark_skipped(e->run, e->step);
			e->phase = PHASE_DONE;
			return VERDICT_GO_ON;
		}
		e->attempt = 1;
		return exec_step(e, exec_start_attempt(e));
	case PHASE_ATTEMPT:
		return exec_step(e, e->step->kind->poll(e));
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

void
seq_init(struct seq *q, struct run *r, struct step *const *steps, size_t n)
{
	q->run = r;
	q->steps = steps;
	q->n = n;
	q->i = 0;
	q->cur = NULL;
	q->failed = false;
}

enum verdict
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

void
seq_cancel(struct seq *q, const char *why)
{
	(void)why;
	if (q->cur) {
		exec_cancel(q->cur);
		exec_free(q->cur);
		q->cur = NULL;
	}
}

/* ---- parallel groups ---- */

void
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

enum verdict
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

void
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

/* ---- the run ---- */

struct run *
run_create(struct plan *p, char **params, int64_t deadline_ms)
{
	struct run *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->plan = p;
	r->params = params;
	r->secret = xcalloc(p->nparams + 1, sizeof(*r->secret));
	for (i = 0; i < p->nparams; i++)
		r->secret[i] = p->params[i].secret;
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
	run_free_params(r->plan, r->params);
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
			seq_cancel(q, why);
			r->code = 0;
			run_stop(r, EXIT_SIGNAL_BASE + sig, NULL, why);
			return VERDICT_STOP;
		}
		v = seq_poll(q);
		if (v != VERDICT_RUNNING)
			return v;
		if (now_ms() >= r->deadline) {
			r->cancel_why = "stopped by the deadline";
			seq_cancel(q, r->cancel_why);
			run_stop(r, EXIT_DEADLINE, q->i < q->n ? q->steps[q->i] : NULL, "deadline exceeded");
			return VERDICT_STOP;
		}
		loop_wait(r->loop, r->deadline);
	}
}

static void
run_summary(struct run *r, int code)
{
	size_t counts[4] = {0}, i;
	struct buf b = {0}, extra = {0};
	int64_t ms = now_ms() - r->start;
	bool first = true;

	for (i = 0; i < r->plan->nall; i++)
		counts[r->results[i].outcome]++;
	for (i = 1; i <= 3; i++) {
		static const size_t order[] = {0, OUTCOME_OK, OUTCOME_FAILED, OUTCOME_SKIPPED};

		if (!counts[order[i]])
			continue;
		buf_printf(&b, "%s%zu %s", first ? "" : ", ", counts[order[i]], outcome_names[order[i]]);
		first = false;
	}
	if (counts[OUTCOME_NOT_RUN])
		buf_printf(&b, "%s%zu not-run", first ? "" : ", ", counts[OUTCOME_NOT_RUN]);
	buf_printf(&extra, "\"exit\":%d,\"ms\":%lld,\"ok\":%zu,\"failed\":%zu,\"skipped\":%zu,\"not_run\":%zu",
	    code, (long long)ms, counts[OUTCOME_OK], counts[OUTCOME_FAILED], counts[OUTCOME_SKIPPED],
	    counts[OUTCOME_NOT_RUN]);
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
