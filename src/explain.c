/* explain.c: the explain command and --dry-run: the plan as it would run, with worst cases. */
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "explain.h"
#include "log.h"
#include "plan.h"
#include "step.h"
#include "util.h"

static void
put(FILE *f, const char *s)
{
	char *r = log_redact(s);

	fputs(r, f);
	free(r);
}

static void
describe_policy(const struct policy *pol, struct buf *b)
{
	switch (pol->kind) {
	case POLICY_NONE: break;
	case POLICY_ABORT: buf_adds(b, "; on failure: abort"); break;
	case POLICY_CONTINUE: buf_adds(b, "; on failure: continue"); break;
	case POLICY_WARN: buf_printf(b, "; on failure: warn \"%s\"", pol->message); break;
	case POLICY_EXIT: buf_printf(b, "; on failure: exit %d", pol->code); break;
	}
}

static void
describe_when(const struct step *s, struct buf *b)
{
	static const char *const kinds[] = {"succeeded", "failed", "skipped"};
	size_t i;

	for (i = 0; i < s->nconds; i++) {
		const struct cond *c = &s->conds[i];

		buf_adds(b, i ? ", " : "; when ");
		switch (c->kind) {
		case COND_SUCCEEDED:
		case COND_FAILED:
		case COND_SKIPPED:
			buf_printf(b, "%s %s", c->name, kinds[c->kind]);
			break;
		case COND_PARAM_EQUALS:
		case COND_PARAM_NOT_EQUALS:
			buf_printf(b, "param %s %s '%s'", c->name, c->kind == COND_PARAM_EQUALS ? "==" : "!=", c->value);
			break;
		case COND_PARAM_EMPTY:
		case COND_PARAM_NOT_EMPTY:
			buf_printf(b, "param %s %s", c->name, c->kind == COND_PARAM_EMPTY ? "empty" : "not empty");
			break;
		}
	}
}

/* Prints the details lines of a step, indented under it. */
static void
explain_details(FILE *f, const char *lines, int depth)
{
	struct buf b = {0};
	const char *nl;

	for (; lines && *lines; lines = nl + 1) {
		nl = strchr(lines, '\n');
		if (!nl)
			nl = lines + strlen(lines) - 1;
		b.len = 0;
		buf_printf(&b, "%*s%.*s\n", 2 * depth + 23, "", (int)(nl - lines + (*nl != '\n')), lines);
		put(f, b.s);
	}
	buf_free(&b);
}

static void
explain_step(FILE *f, const struct step *s, const struct tmpl_env *env, int depth)
{
	struct buf b = {0};
	char w[32], d[32];
	size_t i;

	buf_printf(&b, "%*s%-*s %-12s ", 2 * depth, "", 22 - 2 * depth, s->name, s->kind->name);
	if (s->kind->describe)
		s->kind->describe(s, env, &b);
	fmt_duration(w, sizeof(w), plan_step_worst(s));
	buf_printf(&b, "  [worst %s", w);
	if (s->retry.attempts > 1) {
		fmt_duration(d, sizeof(d), s->retry.delay);
		buf_printf(&b, "; %lld attempts, delay %s", s->retry.attempts, d);
		if (s->retry.backoff != 1)
			buf_printf(&b, " x%g", s->retry.backoff);
	}
	describe_when(s, &b);
	describe_policy(&s->policy, &b);
	buf_adds(&b, "]\n");
	put(f, b.s);
	b.len = 0;
	if (s->kind->details)
		s->kind->details(s, env, &b);
	explain_details(f, b.len ? b.s : NULL, depth);
	buf_free(&b);
	for (i = 0; i < s->nkids; i++)
		explain_step(f, s->kids[i], env, depth + 1);
}

static void
explain_params(FILE *f, const struct plan *p, char **params)
{
	size_t i;
	struct buf b = {0};

	for (i = 0; i < p->nparams; i++) {
		const struct param *par = &p->params[i];

		b.len = 0;
		buf_printf(&b, "param %s = ", par->name);
		if (par->secret && params && params[i])
			buf_adds(&b, "***");
		else if (params && params[i])
			buf_printf(&b, "'%s'", params[i]);
		else
			buf_adds(&b, "(not set)");
		if (par->env)
			buf_printf(&b, "  [env %s]", par->env);
		buf_adds(&b, "\n");
		put(f, b.s);
	}
	buf_free(&b);
}

/* "grace period 30s - reserve 5s = budget 25s: worst case 12s fits (13s to spare)". */
static void
explain_budget(FILE *f, const struct plan *p, const struct budget *b)
{
	char g[32], r[32], left[32], w[32], d[32];
	int64_t budget = b->grace - b->reserve;
	struct buf dom = {0};

	fmt_duration(g, sizeof(g), b->grace);
	fmt_duration(r, sizeof(r), b->reserve);
	fmt_duration(left, sizeof(left), budget > 0 ? budget : 0);
	fmt_duration(w, sizeof(w), b->worst);
	fprintf(f, "grace period %s - reserve %s = budget %s: ", g, r, left);
	if (budget <= 0) {
		fputs("the reserve leaves no time for the plan\n", f);
		return;
	}
	if (b->worst <= budget) {
		fmt_duration(d, sizeof(d), budget - b->worst);
		fprintf(f, "worst case %s fits (%s to spare)\n", w, d);
		return;
	}
	fmt_duration(d, sizeof(d), b->worst - budget);
	budget_dominant(p, b->worst - budget, &dom);
	fprintf(f, "worst case %s does not fit (%s over); the steps that dominate: %s\n", w, d, dom.s ? dom.s : "");
	buf_free(&dom);
}

void
explain_print(FILE *f, const struct plan *p, char **params, int64_t deadline_ms, const struct budget *bud,
    bool dry_run)
{
	bool *secret = plan_secret_mask(p);
	struct tmpl_env env = {.params = (const char *const *)params, .secret = secret, .redact = true,
	    .keep_unknown = true};
	int64_t worst = p->worst_main + p->worst_finally;
	char a[32], b[32], c[32];
	size_t i;
	fprintf(f, "plan %s%s%s\n", p->name, p->description ? ": " : "", p->description ? p->description : "");
	if (dry_run)
		fputs("dry run: nothing is sent, no port is checked, no sleep is taken\n", f);
	explain_params(f, p, params);
	fputs("steps:\n", f);
	for (i = 0; i < p->nsteps; i++)
		explain_step(f, p->steps[i], &env, 1);
	if (p->nfinally)
		fputs("finally:\n", f);
	for (i = 0; i < p->nfinally; i++)
		explain_step(f, p->finally[i], &env, 1);
	fmt_duration(a, sizeof(a), worst);
	fmt_duration(b, sizeof(b), deadline_ms);
	fmt_duration(c, sizeof(c), p->worst_finally);
	fprintf(f, "worst case %s (finally %s); deadline %s: %s\n", a, c, b,
	    worst <= deadline_ms ? "fits" : "does not fit, the deadline would stop the run");
	if (bud && bud->grace > 0)
		explain_budget(f, p, bud);
	free(secret);
}
