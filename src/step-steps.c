/* step-steps.c: the steps group: runs nested steps in order; a nested failure without a policy of
 * its own fails the group. */
#include <stdlib.h>

#include "node.h"
#include "plan.h"
#include "run.h"
#include "util.h"

static int steps_dummy;

static void *
steps_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	if (plan_load_steps(lc, s, v) < 0)
		return NULL;
	return &steps_dummy;
}

static int64_t
steps_worst(const struct step *s)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; i < s->nkids; i++)
		t += plan_step_worst(s->kids[i]);
	return t;
}

static int64_t
steps_need(const struct step *s)
{
	const struct step *first = s->kids[0];

	return first->kind && first->kind->need ? first->kind->need(first) : 0;
}

static void
steps_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	(void)env;
	buf_printf(out, "%zu nested step%s", s->nkids, s->nkids == 1 ? "" : "s");
}

static int
steps_poll(struct exec *e)
{
	struct seq *q = e->state;

	switch (seq_poll(q)) {
	case VERDICT_RUNNING:
		return EXEC_RUNNING;
	case VERDICT_GO_ON:
		exec_detail(e, "%zu nested step%s done", q->n, q->n == 1 ? "" : "s");
		return EXEC_OK;
	case VERDICT_FAIL_GROUP:
		return exec_fail(e, "step %s failed", q->steps[q->i - 1]->name);
	case VERDICT_STOP:
		break;
	}
	return exec_fail(e, "the plan stopped in step %s", q->steps[q->i ? q->i - 1 : 0]->name);
}

static int
steps_start(struct exec *e)
{
	struct seq *q = xcalloc(1, sizeof(*q));

	seq_init(q, e->run, e->step->kids, e->step->nkids);
	e->state = q;
	return steps_poll(e);
}

static void
steps_cancel(struct exec *e)
{
	struct seq *q = e->state;

	if (!q)
		return;
	seq_cancel(q, e->run->cancel_why);
	free(q);
	e->state = NULL;
}

static void
steps_free(void *data)
{
	(void)data;
}

const struct step_kind step_steps_kind = {
	.name = "steps",
	.load = steps_load,
	.worst = steps_worst,
	.need = steps_need,
	.describe = steps_describe,
	.start = steps_start,
	.poll = steps_poll,
	.cancel = steps_cancel,
	.free = steps_free,
};
