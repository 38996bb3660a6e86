/* schema.c: the key tables of the plan format's maps, and the one routine that checks a map
 * against a table (unknown keys with the nearest known one, missing required keys). */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "node.h"
#include "schema.h"
#include "util.h"

const struct schema_key schema_plan_keys[] = {
	{"stopplan", true}, {"name", false}, {"description", false}, {"params", false},
	{"deadline", false}, {"fail-policy", false}, {"steps", true}, {"finally", false},
	{"grace-period", false}, {"reserve", false},
	{NULL, false},
};

const struct schema_key schema_param_keys[] = {
	{"env", false}, {"required", false}, {"default", false}, {"pattern", false}, {"secret", false},
	{NULL, false},
};

const struct schema_key schema_retry_keys[] = {
	{"attempts", true}, {"delay", false}, {"backoff", false}, {"max-delay", false}, {"jitter", false},
	{NULL, false},
};

const struct schema_key schema_when_keys[] = {
	{"succeeded", false}, {"failed", false}, {"skipped", false},
	{"param", false}, {"equals", false}, {"not-equals", false}, {"empty", false},
	{NULL, false},
};

const struct schema_key schema_warn_keys[] = {{"warn", true}, {NULL, false}};
const struct schema_key schema_exit_keys[] = {{"exit", true}, {"message", false}, {NULL, false}};

const struct schema_range schema_ranges[] = {
	{"retry.attempts", 1, 100},
	{"retry.backoff", 1, 10},
	{"retry.jitter", 0, 1},
	{"fail-policy.exit", 1, 125},
	{"port", 1, 65535},
	{"http-call.expect-status", 100, 599},
	{"port-check.established", 0, 1000000},
	{NULL, 0, 0},
};

const struct schema_range *
schema_range(const char *name)
{
	size_t i;

	for (i = 0; schema_ranges[i].name; i++)
		if (strcmp(schema_ranges[i].name, name) == 0)
			return &schema_ranges[i];
	fatal("no range named %s", name);
}

const char *
schema_suggest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	int bestd = 3, dist;
	size_t i;

	for (i = 0; i < n; i++) {
		dist = edit_distance(s, names[i]);
		if (dist < bestd) {
			bestd = dist;
			best = names[i];
		}
	}
	return best;
}

/* The step key (name, when, retry, fail-policy) that k is or nearly is, when k was found in map
 * WHAT inside a step; NULL for the plan's and params' own maps. */
static const char *
step_key_near(const char *k, const char *what)
{
	static const char *const step_keys[] = {"name", "when", "retry", "fail-policy"};
	size_t i;

	if (strcmp(what, "plan") == 0 || strcmp(what, "param") == 0)
		return NULL;
	/* Longer words get one more edit: "retires" is three edits from "retry". */
	for (i = 0; i < LEN(step_keys); i++)
		if (edit_distance(k, step_keys[i]) <= (strlen(k) >= 6 ? 3 : 2))
			return step_keys[i];
	return NULL;
}

bool
schema_check(const struct node *n, const struct schema_key *keys, const char *what, struct diag *d)
{
	const char *names[64];
	size_t nnames = 0, i, j;
	bool ok = true;

	if (n->type != NODE_MAP) {
		diag_at(d, n, "%s must be a mapping, found %s", what, node_type_name(n));
		return false;
	}
	for (j = 0; keys[j].name && nnames < LEN(names); j++)
		names[nnames++] = keys[j].name;
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const char *k = n->kids[i]->str, *near;

		for (j = 0; j < nnames && strcmp(k, names[j]) != 0; j++)
			;
		if (j < nnames)
			continue;
		ok = false;
		near = schema_suggest(k, names, nnames);
		if (near)
			diag_at(d, n->kids[i], "unknown key '%s' in %s (did you mean '%s'?)", k, what, near);
		else if ((near = step_key_near(k, what)))
			diag_at(d, n->kids[i], "unknown key '%s' in %s ('%s' belongs to the step, beside the action, "
			    "not inside %s)", k, what, near, what);
		else
			diag_at(d, n->kids[i], "unknown key '%s' in %s", k, what);
	}
	for (j = 0; keys[j].name; j++) {
		if (keys[j].required && !node_get(n, keys[j].name)) {
			diag_at(d, n, "%s needs the key '%s'", what, keys[j].name);
			ok = false;
		}
	}
	return ok;
}
