/* plan.c: the plan AST's own helpers: lookups, worst-case timing, and freeing. */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "plan.h"
#include "regex.h"
#include "step.h"
#include "util.h"

struct step *
plan_find_step(const struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nall; i++)
		if (p->all[i]->named && strcmp(p->all[i]->name, name) == 0)
			return p->all[i];
	return NULL;
}

int
plan_param_index(const struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nparams; i++)
		if (strcmp(p->params[i].name, name) == 0)
			return (int)i;
	return -1;
}

int64_t
plan_step_worst(const struct step *s)
{
	int64_t one = s->kind && s->loaded && s->kind->worst ? s->kind->worst(s) : 0, total, delay = s->retry.delay;
	long long i;

	total = one;
	for (i = 1; i < s->retry.attempts; i++) {
		int64_t dl = delay;

		if (s->retry.max_delay && dl > s->retry.max_delay)
			dl = s->retry.max_delay;
		total += dl + one;
		if ((double)delay * s->retry.backoff < (double)DURATION_MAX_MS * 100)
			delay = (int64_t)((double)delay * s->retry.backoff);
	}
	return total;
}

static int64_t
worst_list(struct step **v, size_t n)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; i < n; i++)
		t += plan_step_worst(v[i]);
	return t;
}

void
plan_update_worst(struct plan *p)
{
	p->worst_main = worst_list(p->steps, p->nsteps);
	p->worst_finally = worst_list(p->finally, p->nfinally);
}

bool *
plan_secret_mask(const struct plan *p)
{
	bool *secret = xcalloc(p->nparams + 1, sizeof(*secret));
	size_t i;

	for (i = 0; i < p->nparams; i++)
		secret[i] = p->params[i].secret;
	return secret;
}

bool
plan_is_plan(const struct node *root)
{
	return root && root->type == NODE_MAP && node_get(root, "stopplan");
}

static void
step_free(struct step *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nkids; i++)
		step_free(s->kids[i]);
	free(s->kids);
	if (s->data && s->kind && s->kind->free)
		s->kind->free(s->data);
	for (i = 0; i < s->nconds; i++) {
		free(s->conds[i].name);
		free(s->conds[i].value);
	}
	free(s->conds);
	free(s->policy.message);
	free(s->name);
	free(s);
}

void
plan_free(struct plan *p)
{
	struct tmpl *t, *next;
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsteps; i++)
		step_free(p->steps[i]);
	for (i = 0; i < p->nfinally; i++)
		step_free(p->finally[i]);
	free(p->steps);
	free(p->finally);
	free(p->all);
	for (i = 0; i < p->nparams; i++) {
		free(p->params[i].name);
		free(p->params[i].env);
		free(p->params[i].def);
		free(p->params[i].pattern);
		regex_free(p->params[i].re);
	}
	free(p->params);
	for (t = p->tmpls; t; t = next) {
		next = t->next;
		tmpl_free(t);
	}
	free(p->policy.message);
	free(p->name);
	free(p->description);
	free(p->file);
	node_free_docs(p->docs, p->ndocs);
	free(p);
}
