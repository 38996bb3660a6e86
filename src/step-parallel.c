/* step-parallel.c: the parallel group: runs nested steps side by side on the one event loop; every
 * branch runs to its end, and the group fails if any branch failed. */
#include "step.h"
#include "util.h"

static void
parallel_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	(void)env;
	buf_printf(out, "%zu branches in parallel", s->nkids);
}

const struct step_kind step_parallel_kind = {
	.name = "parallel",
	.concurrent = true,
	.load = step_load_kids,
	.worst = step_group_worst,
	.need = step_group_need,
	.describe = parallel_describe,
	.start = exec_group_start,
	.poll = exec_group_poll,
	.cancel = exec_group_cancel,
};
