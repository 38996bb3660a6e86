/* check.h: the static checks over a loaded plan: names, references, params, templates, timing. */
#ifndef STOPPLAN_CHECK_H
#define STOPPLAN_CHECK_H

struct diag;
struct plan;

/* Runs the static checks (and each kind's check), compiles regexes and sets the worst case.
 * Returns 0, or -1 with errors in d. */
int plan_check(struct plan *p, struct diag *d);

#endif
