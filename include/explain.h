/* explain.h: prints a plan's resolved steps with their worst-case durations. */
#ifndef STOPPLAN_EXPLAIN_H
#define STOPPLAN_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct budget;
struct plan;

/* Prints plan p rendered with params (values may be NULL: unknown) to f, secrets masked, and
 * whether its worst case fits deadline_ms and, when b knows a grace period, the grace-period budget
 * (b may be NULL). With dry_run, says that nothing is sent. */
void explain_print(FILE *f, const struct plan *p, char **params, int64_t deadline_ms, const struct budget *b,
    bool dry_run);

#endif
