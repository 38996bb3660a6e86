/* load.h: the first phase: YAML documents to the plan AST (plan.h). */
#ifndef STOPPLAN_LOAD_H
#define STOPPLAN_LOAD_H

#include <stddef.h>

struct diag;
struct node;
struct plan;

/* Builds the plan from YAML documents already parsed (takes ownership of docs). Always returns a
 * plan (the caller frees it with plan_free), with errors in d: check may still run on it when its
 * root is a mapping, so that one pass reports every error it can. */
struct plan *plan_load(const char *file, struct node **docs, size_t ndocs, struct diag *d);
#endif
