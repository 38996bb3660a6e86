/* budget.h: the grace-period budget: does a plan's worst case fit in terminationGracePeriodSeconds
 * minus the reserve the application needs after SIGTERM? */
#ifndef STOPPLAN_BUDGET_H
#define STOPPLAN_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

struct buf;
struct diag;
struct plan;

/* What a budget check compares; every time in ms. */
struct budget {
	int64_t grace;      /* grace period; 0: none known (nothing to check) */
	int64_t reserve;    /* time kept for the application after the hook */
	int64_t worst;      /* the plan's worst case (main steps and finally), clipped by `clip` */
	int64_t clip;       /* the deadline that clips the worst case */
};

/* The budget of plan p: grace and reserve from the command line (>= 0) or else the plan's own keys;
 * the worst case clipped by deadline_ms (> 0: given on the command line), else by the plan's
 * deadline, which is not a limit when the plan declares grace-period but no deadline. */
struct budget budget_of(const struct plan *p, int64_t grace, int64_t reserve, int64_t deadline_ms);
/* The deadline `run` uses: deadline_ms (> 0: --deadline) or the plan's, made no longer than
 * grace - reserve when a grace period is known. */
int64_t budget_run_deadline(const struct plan *p, const struct budget *b, int64_t deadline_ms);
/* Why plan p cannot run within `deadline` ms under budget b (NULL: no grace period): the reserve
 * leaves no time in the grace period, or the finally steps may take the whole deadline (named
 * when name_deadline). Returns NULL when it can, else a newly allocated message. */
char *budget_problem(const struct plan *p, const struct budget *b, int64_t deadline, bool name_deadline);
/* Appends the steps that dominate the worst case, largest first, until they account for at least
 * `excess` ms (at least one): "offline-lwp 11s (3 attempts), offline-hsf 10s". */
void budget_dominant(const struct plan *p, int64_t excess, struct buf *out);
/* Records an error in d when the worst case exceeds grace - reserve (or the reserve leaves no time),
 * at the largest step, naming the dominating steps. Returns 0 when it fits, -1 otherwise. */
int budget_check(const struct plan *p, const struct budget *b, struct diag *d);

#endif
