/* step-sleep.c: the sleep step: waits for a duration, cut short by the deadline or a signal. */
#include <stdlib.h>

#include "loop.h"
#include "node.h"
#include "step.h"
#include "util.h"

struct sleep_step {
	struct tmpl *duration;
};

struct sleep_state {
	int64_t until;
};

static int
sleep_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	struct tmpl *t = plan_tmpl(lc, s, v, TTYPE_DURATION);
	struct sleep_step *sl;

	if (!t)
		return -1;
	sl = s->data = xcalloc(1, sizeof(*sl));
	sl->duration = t;
	return 0;
}

static int64_t
sleep_worst(const struct step *s)
{
	const struct sleep_step *sl = s->data;

	return tmpl_ms(sl->duration, 0);
}

static void
sleep_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct sleep_step *sl = s->data;
	char *err = NULL;

	buf_adds(out, "sleep ");
	if (tmpl_render(sl->duration, env, out, &err) < 0)
		free(err);
}

static int
sleep_poll(struct exec *e)
{
	struct sleep_state *st = e->state;

	if (now_ms() >= st->until)
		return EXEC_OK;
	loop_wake_at(exec_loop(e), st->until);
	return EXEC_RUNNING;
}

static int
sleep_start(struct exec *e)
{
	const struct sleep_step *sl = e->step->data;
	struct sleep_state *st = xcalloc(1, sizeof(*st));
	char d[32];

	e->state = st;
	st->until = now_ms() + tmpl_ms(sl->duration, 0);
	fmt_duration(d, sizeof(d), tmpl_ms(sl->duration, 0));
	exec_detail(e, "slept %s", d);
	return sleep_poll(e);
}

static void
sleep_cancel(struct exec *e)
{
	free(e->state);
	e->state = NULL;
}

static void
sleep_free(void *data)
{
	free(data);
}

const struct step_kind step_sleep_kind = {
	.name = "sleep",
	.load = sleep_load,
	.worst = sleep_worst,
	.describe = sleep_describe,
	.start = sleep_start,
	.poll = sleep_poll,
	.cancel = sleep_cancel,
	.free = sleep_free,
};
