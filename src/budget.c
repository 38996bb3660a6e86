/* budget.c: the grace-period budget. kubelet counts terminationGracePeriodSeconds from the start of
 * the preStop hook, and the application still needs its reserve after SIGTERM: a plan's worst case
 * must fit in what is left. */
#include <stdlib.h>

#include "budget.h"
#include "diag.h"
#include "plan.h"
#include "util.h"

struct budget
budget_of(const struct plan *p, int64_t grace, int64_t reserve, int64_t deadline_ms)
{
	struct budget b;

	b.grace = grace >= 0 ? grace : p->grace_period;
	b.reserve = reserve >= 0 ? reserve : p->reserve;
	if (deadline_ms > 0)
		b.clip = deadline_ms;
	else if (p->deadline_node || !p->grace_period)
		b.clip = p->deadline;
	else
		b.clip = INT64_MAX;   /* run will use the budget itself as its deadline */
	b.worst = p->worst_main + p->worst_finally;
	if (b.worst > b.clip)
		b.worst = b.clip;
	return b;
}

int64_t
budget_run_deadline(const struct plan *p, const struct budget *b, int64_t deadline_ms)
{
	int64_t d = deadline_ms > 0 ? deadline_ms : p->deadline;

	if (b->grace <= 0)
		return d;
	if (deadline_ms <= 0 && !p->deadline_node)
		d = INT64_MAX;
	if (b->grace - b->reserve < d)
		d = b->grace - b->reserve;
	return d;
}

static int
worst_cmp(const void *a, const void *b)
{
	int64_t x = plan_step_worst(*(struct step *const *)a), y = plan_step_worst(*(struct step *const *)b);
	const struct step *sa = *(struct step *const *)a, *sb = *(struct step *const *)b;

	if (x != y)
		return x > y ? -1 : 1;
	return sa->id < sb->id ? -1 : sa->id > sb->id;
}

/* Top-level steps (main and finally), largest worst case first; the caller frees the array. */
static struct step **
sorted_steps(const struct plan *p, size_t *n)
{
	struct step **v = xcalloc(p->nsteps + p->nfinally + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; i < p->nsteps; i++)
		v[(*n)++] = p->steps[i];
	for (i = 0; i < p->nfinally; i++)
		v[(*n)++] = p->finally[i];
	qsort(v, *n, sizeof(*v), worst_cmp);
	return v;
}

void
budget_dominant(const struct plan *p, int64_t excess, struct buf *out)
{
	size_t n, i;
	struct step **v = sorted_steps(p, &n);
	int64_t sum = 0, w;
	char d[32];

	for (i = 0; i < n; i++) {
		w = plan_step_worst(v[i]);
		if (w == 0 || (i > 0 && sum >= excess))
			break;
		fmt_duration(d, sizeof(d), w);
		buf_printf(out, "%s%s %s", i ? ", " : "", v[i]->name, d);
		if (v[i]->retry.attempts > 1)
			buf_printf(out, " (%lld attempts)", v[i]->retry.attempts);
		sum += w;
	}
	free(v);
}

char *
budget_problem(const struct plan *p, const struct budget *b, int64_t deadline, bool name_deadline)
{
	char a[32], g[32], dl[32];

	if (b && b->grace > 0 && b->reserve >= b->grace) {
		fmt_duration(a, sizeof(a), b->reserve);
		fmt_duration(g, sizeof(g), b->grace);
		return xasprintf("reserve %s leaves no time for the plan in a grace period of %s", a, g);
	}
	if (p->nfinally && p->worst_finally >= deadline) {
		fmt_duration(a, sizeof(a), p->worst_finally);
		fmt_duration(dl, sizeof(dl), deadline);
		return xasprintf("finally steps may take %s, which leaves no time before the %s%sdeadline", a,
		    name_deadline ? dl : "", name_deadline ? " " : "");
	}
	return NULL;
}

int
budget_check(const struct plan *p, const struct budget *b, struct diag *d)
{
	const struct node *at = NULL;
	struct buf msg = {0};
	char w[32], g[32], r[32], left[32], over[32];
	size_t n;
	struct step **v;

	if (b->grace <= 0)
		return 0;
	fmt_duration(g, sizeof(g), b->grace);
	fmt_duration(r, sizeof(r), b->reserve);
	if (b->reserve >= b->grace) {
		char *why = budget_problem(p, b, INT64_MAX, false);

		diag_at(d, p->reserve_node ? p->reserve_node : p->root, "%s", why);
		free(why);
		return -1;
	}
	if (b->worst <= b->grace - b->reserve)
		return 0;
	fmt_duration(w, sizeof(w), b->worst);
	fmt_duration(left, sizeof(left), b->grace - b->reserve);
	fmt_duration(over, sizeof(over), b->worst - (b->grace - b->reserve));
	v = sorted_steps(p, &n);
	if (n)
		at = v[0]->name_node ? v[0]->name_node : v[0]->node;
	free(v);
	buf_printf(&msg, "worst case %s exceeds the grace-period budget of %s (grace period %s - reserve %s) by %s; "
	    "the steps that dominate: ", w, left, g, r, over);
	budget_dominant(p, b->worst - (b->grace - b->reserve), &msg);
	diag_at(d, at ? at : p->root, "%s", msg.s);
	buf_free(&msg);
	return -1;
}
