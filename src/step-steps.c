/* step-steps.c: the steps group: runs nested steps in order; a nested failure without a policy of
 * its own fails the group. */
#include "step.h"
#include "util.h"

static void
steps_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	(void)env;
	buf_printf(out, "%zu nested step%s", s->nkids, s->nkids == 1 ? "" : "s");
}

const struct step_kind step_steps_kind = {
	.name = "steps",
	.load = step_load_kids,
	.worst = step_group_worst,
	.need = step_group_need,
	.describe = steps_describe,
	.start = exec_group_start,
	.poll = exec_group_poll,
	.cancel = exec_group_cancel,
};
