/* step-parallel.c: the parallel group: runs nested steps side by side on the one event loop; every
 * branch runs to its end, and the group fails if any branch failed. */
#include <stdlib.h>

#include "node.h"
#include "plan.h"
#include "run.h"
#include "util.h"

static int parallel_dummy;

static void *
parallel_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	size_t i;

	if (plan_load_steps(lc, s, v) < 0)
		return NULL;
	/* Branches have no "previous step": a scalar expect-regex cannot follow another branch. */
	for (i = 0; i < s->nkids; i++)
		s->kids[i]->prev = NULL;
	return &parallel_dummy;
}

static int64_t
parallel_worst(const struct step *s)
{
	int64_t t = 0, w;
	size_t i;

	for (i = 0; i < s->nkids; i++)
		if ((w = plan_step_worst(s->kids[i])) > t)
			t = w;
	return t;
}

static int64_t
parallel_need(const struct step *s)
{
	int64_t t = 0, w;
	size_t i;

	for (i = 0; i < s->nkids; i++) {
		const struct step *k = s->kids[i];

		if (k->kind && k->kind->need && (w = k->kind->need(k)) > t)
			t = w;
	}
	return t;
}

static void
parallel_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	(void)env;
	buf_printf(out, "%zu branches in parallel", s->nkids);
}

static int
parallel_poll(struct exec *e)
{
	struct par *g = e->state;

	switch (par_poll(g)) {
	case VERDICT_RUNNING:
		return EXEC_RUNNING;
	case VERDICT_GO_ON:
		exec_detail(e, "%zu branches done", g->n);
		return EXEC_OK;
	case VERDICT_FAIL_GROUP:
		return exec_fail(e, "branch %s failed", g->failed_step->name);
	case VERDICT_STOP:
		break;
	}
	return exec_fail(e, "the plan stopped in a branch");
}

static int
parallel_start(struct exec *e)
{
	struct par *g = xcalloc(1, sizeof(*g));

	par_init(g, e->run, e->step->kids, e->step->nkids);
	e->state = g;
	return parallel_poll(e);
}

static void
parallel_cancel(struct exec *e)
{
	struct par *g = e->state;

	if (!g)
		return;
	par_cancel(g);
	free(g->execs);
	free(g);
	e->state = NULL;
}

static void
parallel_free(void *data)
{
	(void)data;
}

const struct step_kind step_parallel_kind = {
	.name = "parallel",
	.concurrent = true,
	.load = parallel_load,
	.worst = parallel_worst,
	.need = parallel_need,
	.describe = parallel_describe,
	.start = parallel_start,
	.poll = parallel_poll,
	.cancel = parallel_cancel,
	.free = parallel_free,
};
