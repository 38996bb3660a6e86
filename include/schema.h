/* schema.h: the plan format's schema: the key tables that load checks maps against, and the JSON
 * Schema (draft 2020-12) for editors and CI, generated from doc/stopplan.schema.json. */
#ifndef STOPPLAN_SCHEMA_H
#define STOPPLAN_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct node;

/* A key of a mapping schema. Tables end with a NULL name. */
struct schema_key {
	const char *name;
	bool required;
};

/* Checks map n (which must be a mapping) against keys: unknown keys (with the nearest known key as a
 * suggestion) and missing required keys are errors in d. WHAT names the map in messages.
 * Returns true when there was no error. */
bool schema_check(const struct node *n, const struct schema_key *keys, const char *what, struct diag *d);

/* The keys of the plan's own maps (the kinds' tables are in struct step_kind). */
extern const struct schema_key schema_plan_keys[], schema_param_keys[], schema_retry_keys[],
    schema_when_keys[], schema_warn_keys[], schema_exit_keys[];

/* The bounds of a number in the plan format, by name ("retry.attempts"); the list ends with a NULL
 * name. tests/schema-keys.test compares both tables with doc/stopplan.schema.json. */
struct schema_range {
	const char *name;
	double min, max;
};
extern const struct schema_range schema_ranges[];
/* Returns the range called name (a missing one is a bug: fatal). */
const struct schema_range *schema_range(const char *name);

/* Returns the known name nearest to s (edit distance <= 2), or NULL. */
const char *schema_suggest(const char *s, const char *const *names, size_t n);

/* The schema as JSON text (static; the same bytes as doc/stopplan.schema.json). */
extern const char schema_json[];

#endif
