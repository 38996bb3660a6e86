/* load.c: the first phase: turns the YAML node tree into the plan AST (structure and types, with
 * the nodes' positions kept in the AST; cross-references are checked later by check.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "load.h"
#include "node.h"
#include "plan.h"
#include "step.h"
#include "util.h"

static const char *const modifiers[] = {"name", "when", "retry", "fail-policy"};

struct tmpl *
plan_tmpl(struct load_ctx *lc, struct step *owner, const struct node *n, enum tmpl_type type)
{
	struct tmpl *t;

	if (n->type != NODE_SCALAR) {
		diag_at(lc->d, n, "expected a string, found %s", node_type_name(n));
		return NULL;
	}
	t = tmpl_parse(n, type, lc->d);
	if (!t)
		return NULL;
	t->owner = owner;
	t->next = lc->plan->tmpls;
	lc->plan->tmpls = t;
	return t;
}

static int
load_policy(const struct node *n, struct policy *pol, struct diag *d)
{
	const struct schema_range *r_exit = schema_range("fail-policy.exit");
	const struct node *v;
	long long code;

	if (node_is(n, "abort") || node_is(n, "continue")) {
		pol->kind = node_is(n, "abort") ? POLICY_ABORT : POLICY_CONTINUE;
		return 0;
	}
	if (n->type != NODE_MAP) {
		diag_at(d, n, "fail-policy must be abort, continue, {warn: MESSAGE} or {exit: N, message: MESSAGE}");
		return -1;
	}
	if (node_get(n, "warn")) {
		if (!schema_check(n, schema_warn_keys, "fail-policy", d))
			return -1;
		pol->kind = POLICY_WARN;
		pol->message = value_string(node_get(n, "warn"), d, "warn");
		return pol->message ? 0 : -1;
	}
	if (!schema_check(n, schema_exit_keys, "fail-policy", d))
		return -1;
	v = node_get(n, "exit");
	if (value_int(v, d, (long long)r_exit->min, (long long)r_exit->max, &code) < 0)
		return -1;
	if (code == 2 || code == 124) {
		diag_at(d, v, "exit code %lld is reserved (2: invalid plan, 124: deadline)", code);
		return -1;
	}
	pol->kind = POLICY_EXIT;
	pol->code = (int)code;
	if ((v = node_get(n, "message")) && !(pol->message = value_string(v, d, "message")))
		return -1;
	return 0;
}

static int
load_retry(const struct node *n, struct retry *r, struct diag *d)
{
	const struct schema_range *r_attempts = schema_range("retry.attempts");
	const struct schema_range *r_backoff = schema_range("retry.backoff"), *r_jitter = schema_range("retry.jitter");
	const struct node *v;
	int rc = 0;

	if (!schema_check(n, schema_retry_keys, "retry", d))
		return -1;
	rc |= value_int(node_get(n, "attempts"), d, (long long)r_attempts->min, (long long)r_attempts->max, &r->attempts);
	if ((v = node_get(n, "delay")))
		rc |= value_duration(v, d, &r->delay);
	if ((v = node_get(n, "max-delay")))
		rc |= value_duration(v, d, &r->max_delay);
	if ((v = node_get(n, "backoff")))
		rc |= value_number(v, d, r_backoff->min, r_backoff->max, &r->backoff);
	if ((v = node_get(n, "jitter")))
		rc |= value_number(v, d, r_jitter->min, r_jitter->max, &r->jitter);
	return rc ? -1 : 0;
}

static int
load_cond_list(const struct node *v, enum cond_kind kind, struct step *s, struct diag *d)
{
	size_t i, n = v->type == NODE_SEQ ? v->nkids : 1;

	for (i = 0; i < n; i++) {
		const struct node *item = v->type == NODE_SEQ ? v->kids[i] : v;
		struct cond *c;

		if (item->type != NODE_SCALAR || !item->len) {
			diag_at(d, item, "expected a step name");
			return -1;
		}
		s->conds = xgrow(s->conds, s->nconds, sizeof(*s->conds));
		c = &s->conds[s->nconds++];
		memset(c, 0, sizeof(*c));
		c->kind = kind;
		c->name = xstrdup(item->str);
		c->node = item;
		c->param = -1;
	}
	return 0;
}

/* when: {param: NAME, equals: VALUE | not-equals: VALUE | empty: BOOL}, beside any step
 * conditions. */
static int
load_param_cond(const struct node *n, struct step *s, struct diag *d)
{
	static const char *const tests[] = {"equals", "not-equals", "empty"};
	const struct node *param = node_get(n, "param"), *test = NULL, *v;
	struct cond *c;
	const char *which = NULL;
	bool empty;
	size_t i;

	for (i = 0; i < LEN(tests); i++) {
		if (!(v = node_get(n, tests[i])))
			continue;
		if (test) {
			diag_at(d, v, "when: '%s' and '%s' cannot go together", which, tests[i]);
			return -1;
		}
		test = v;
		which = tests[i];
	}
	if (!param && !test)
		return 0;
	if (!param || !test) {
		diag_at(d, param ? param : test, param ? "when: param needs equals, not-equals or empty" :
		    "when: %s needs param", which);
		return -1;
	}
	if (param->type != NODE_SCALAR || !param->len) {
		diag_at(d, param, "expected a param name");
		return -1;
	}
	s->conds = xgrow(s->conds, s->nconds, sizeof(*s->conds));
	c = &s->conds[s->nconds++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(param->str);
	c->node = param;
	c->param = -1;
	if (strcmp(which, "empty") == 0) {
		if (value_bool(test, d, &empty) < 0)
			return -1;
		c->kind = empty ? COND_PARAM_EMPTY : COND_PARAM_NOT_EMPTY;
		return 0;
	}
	c->kind = strcmp(which, "equals") == 0 ? COND_PARAM_EQUALS : COND_PARAM_NOT_EQUALS;
	return (c->value = value_string(test, d, which)) ? 0 : -1;
}

static int
load_when(const struct node *n, struct step *s, struct diag *d)
{
	static const enum cond_kind kinds[] = {COND_SUCCEEDED, COND_FAILED, COND_SKIPPED};
	size_t i;

	if (!schema_check(n, schema_when_keys, "when", d))
		return -1;
	if (n->nkids == 0) {
		diag_at(d, n, "when needs succeeded, failed, skipped or param");
		return -1;
	}
	for (i = 0; i < LEN(kinds); i++) {
		const struct node *v = node_get(n, schema_when_keys[i].name);

		if (v && load_cond_list(v, kinds[i], s, d) < 0)
			return -1;
	}
	return load_param_cond(n, s, d);
}

static const struct step_kind *
find_kind(const char *name)
{
	size_t i;

	for (i = 0; step_kinds[i]; i++)
		if (strcmp(step_kinds[i]->name, name) == 0)
			return step_kinds[i];
	return NULL;
}

static bool
is_modifier(const char *k)
{
	size_t i;

	for (i = 0; i < LEN(modifiers); i++)
		if (strcmp(k, modifiers[i]) == 0)
			return true;
	return false;
}

static void
unknown_step_key(const struct node *k, struct diag *d)
{
	const char *names[32], *near;
	size_t n = 0, i;

	for (i = 0; i < LEN(modifiers); i++)
		names[n++] = modifiers[i];
	for (i = 0; step_kinds[i] && n < LEN(names); i++)
		names[n++] = step_kinds[i]->name;
	near = schema_suggest(k->str, names, n);
	if (near)
		diag_at(d, k, "unknown key '%s' in step (did you mean '%s'?)", k->str, near);
	else
		diag_at(d, k, "unknown key '%s' in step", k->str);
}

/* Finds the one action key of step map n. */
static const struct node *
find_action(const struct node *n, struct step *s, struct diag *d)
{
	const struct node *action = NULL;
	size_t i;
	bool ok = true;

	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct node *k = n->kids[i];
		const struct step_kind *kind;

		if (is_modifier(k->str))
			continue;
		if (!(kind = find_kind(k->str))) {
			unknown_step_key(k, d);
			ok = false;
			continue;
		}
		if (action) {
			diag_at(d, k, "a step has exactly one action: '%s' and '%s'", s->kind->name, k->str);
			ok = false;
			continue;
		}
		action = k;
		s->kind = kind;
		s->action = n->kids[i + 1];
	}
	if (!action && ok) {
		struct buf b = {0};

		for (i = 0; step_kinds[i]; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", step_kinds[i]->name);
		diag_at(d, n, "step has no action (one of %s)", b.s);
		buf_free(&b);
	}
	return ok ? action : NULL;
}

static bool
valid_step_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '-'))
			return false;
	return true;
}

static void
register_step(struct plan *p, struct step *s)
{
	s->id = p->nall;
	p->all = xgrow(p->all, p->nall, sizeof(*p->all));
	p->all[p->nall++] = s;
}

static struct step *
load_step(struct load_ctx *lc, const struct node *n, struct step *parent, const char *auto_name)
{
	struct step *s = xcalloc(1, sizeof(*s));
	const struct node *v;

	s->node = n;
	s->parent = parent;
	s->retry.attempts = 1;
	s->retry.backoff = 1;
	register_step(lc->plan, s);
	if (n->type != NODE_MAP) {
		diag_at(lc->d, n, "a step must be a mapping, found %s", node_type_name(n));
		s->name = xstrdup(auto_name);
		return s;
	}
	if ((v = node_get(n, "name"))) {
		s->name_node = v;
		s->name = value_string(v, lc->d, "name");
		if (s->name && !valid_step_name(s->name))
			diag_at(lc->d, v, "step name '%s' may only hold letters, digits, '-' and '_'", s->name);
		s->named = true;
	}
	if (!s->name)
		s->name = xstrdup(auto_name);
	if ((v = node_get(n, "retry")))
		load_retry(v, &s->retry, lc->d);
	if ((v = node_get(n, "fail-policy")))
		load_policy(v, &s->policy, lc->d);
	if ((v = node_get(n, "when")))
		load_when(v, s, lc->d);
	if (find_action(n, s, lc->d))
		s->loaded = s->kind->load(s, s->action, lc) == 0;
	return s;
}

/* Loads the step sequence v into *out: nested steps of parent, or the top-level list WHAT ("steps",
 * "finally") when parent is NULL. */
static void
load_step_list(struct load_ctx *lc, struct step *parent, const struct node *v, const char *what,
    struct step ***out, size_t *n)
{
	bool concurrent = parent && parent->kind && parent->kind->concurrent;
	size_t i;

	if (v->type != NODE_SEQ) {
		if (parent)
			diag_at(lc->d, v, "steps must be a sequence, found %s", node_type_name(v));
		else
			diag_at(lc->d, v, "%s must be a sequence of steps, found %s", what, node_type_name(v));
		return;
	}
	if (v->nkids == 0 && parent)
		diag_at(lc->d, v, "a group needs at least one step");
	else if (v->nkids == 0 && strcmp(what, "steps") == 0)
		diag_at(lc->d, v, "a plan needs at least one step");
	for (i = 0; i < v->nkids; i++) {
		char *auto_name = xasprintf("%s.%zu", parent ? parent->name : what, i + 1);
		struct step *s = load_step(lc, v->kids[i], parent, auto_name);

		free(auto_name);
		if (parent)
			s->in_finally = parent->in_finally;
		/* Branches of a concurrent group have no "previous step". */
		s->prev = i && !concurrent ? (*out)[i - 1] : NULL;
		*out = xgrow(*out, *n, sizeof(**out));
		(*out)[(*n)++] = s;
	}
}

int
step_load_kids(struct step *s, const struct node *v, struct load_ctx *lc)
{
	size_t before = lc->d->n;

	load_step_list(lc, s, v, "steps", &s->kids, &s->nkids);
	return lc->d->n > before ? -1 : 0;
}

static void
load_param(struct load_ctx *lc, const struct node *k, const struct node *v)
{
	struct plan *p = lc->plan;
	struct param *par;
	const struct node *x;

	p->params = xgrow(p->params, p->nparams, sizeof(*p->params));
	par = &p->params[p->nparams++];
	memset(par, 0, sizeof(*par));
	par->name = xstrdup(k->str);
	par->node = k;
	if (!valid_step_name(k->str) || strchr(k->str, '-')) {
		diag_at(lc->d, k, "param name '%s' may only hold letters, digits and '_'", k->str);
		return;
	}
	if (strcmp(k->str, "env") == 0 || strcmp(k->str, "steps") == 0) {
		diag_at(lc->d, k, "'%s' is reserved and cannot name a param", k->str);
		return;
	}
	if (!schema_check(v, schema_param_keys, "param", lc->d))
		return;
	if ((x = node_get(v, "env")))
		par->env = value_string(x, lc->d, "env");
	if ((x = par->def_node = node_get(v, "default")))
		par->def = value_string(x, lc->d, "default");
	if ((x = node_get(v, "pattern"))) {
		par->pattern = value_string(x, lc->d, "pattern");
		par->pattern_node = x;
	}
	if ((x = node_get(v, "required")))
		value_bool(x, lc->d, &par->required);
	if ((x = node_get(v, "secret")))
		value_bool(x, lc->d, &par->secret);
	if (par->required && node_get(v, "default"))
		diag_at(lc->d, node_get(v, "default"), "param '%s' is required and cannot have a default", par->name);
}

static void
load_params(struct load_ctx *lc, const struct node *v)
{
	size_t i;

	if (v->type != NODE_MAP) {
		diag_at(lc->d, v, "params must be a mapping, found %s", node_type_name(v));
		return;
	}
	for (i = 0; i + 1 < v->nkids; i += 2)
		load_param(lc, v->kids[i], v->kids[i + 1]);
}

static void
mark_finally(struct step *s)
{
	size_t i;

	s->in_finally = true;
	for (i = 0; i < s->nkids; i++)
		mark_finally(s->kids[i]);
}

const struct node *
plan_near_header(const struct node *root)
{
	static const char *const header[] = {"stopplan"};
	size_t i;

	for (i = 0; root && root->type == NODE_MAP && i + 1 < root->nkids; i += 2) {
		const struct node *k = root->kids[i];

		if (k->type == NODE_SCALAR && (schema_suggest(k->str, header, 1) || strcasecmp(k->str, "stopplan") == 0))
			return k;
	}
	return NULL;
}

/* The one error of a mapping without the "stopplan" header: at a key that looks like it, else at
 * the top. */
static void
header_error(const struct node *root, struct diag *d)
{
	const struct node *k = plan_near_header(root);

	if (k)
		diag_at(d, k, "not a plan: unknown top-level key '%s' (did you mean 'stopplan'?)", k->str);
	else
		diag_at(d, root, "not a plan: no top-level 'stopplan' key");
}

static void
load_plan(struct load_ctx *lc, const struct node *root)
{
	struct plan *p = lc->plan;
	const struct node *v;
	long long version;
	size_t i;

	if (root->type != NODE_MAP) {
		diag_at(lc->d, root, "a plan must be a mapping, found %s", node_type_name(root));
		return;
	}
	if (!node_get(root, "stopplan")) {
		header_error(root, lc->d);
		return;
	}
	schema_check(root, schema_plan_keys, "plan", lc->d);
	if ((v = node_get(root, "stopplan")) && value_int(v, lc->d, 1, 1000, &version) == 0 && version != 1)
		diag_at(lc->d, v, "unsupported plan format version %lld (this stopplan reads version 1)", version);
	if ((v = node_get(root, "name")))
		p->name = value_string(v, lc->d, "name");
	if ((v = node_get(root, "description")))
		p->description = value_string(v, lc->d, "description");
	if ((v = p->deadline_node = node_get(root, "deadline")) && value_duration(v, lc->d, &p->deadline) == 0 && p->deadline <= 0)
		diag_at(lc->d, v, "the deadline must be greater than 0");
	if ((v = node_get(root, "grace-period")) && value_duration(v, lc->d, &p->grace_period) == 0 &&
	    p->grace_period <= 0)
		diag_at(lc->d, v, "the grace period must be greater than 0");
	if ((v = p->reserve_node = node_get(root, "reserve")) && value_duration(v, lc->d, &p->reserve) == 0 &&
	    p->grace_period > 0 && p->reserve >= p->grace_period)
		diag_at(lc->d, v, "the reserve must be shorter than the grace period");
	if ((v = node_get(root, "fail-policy")))
		load_policy(v, &p->policy, lc->d);
	if ((v = node_get(root, "params")))
		load_params(lc, v);
	if ((v = node_get(root, "steps")))
		load_step_list(lc, NULL, v, "steps", &p->steps, &p->nsteps);
	if ((v = p->finally_node = node_get(root, "finally")))
		load_step_list(lc, NULL, v, "finally", &p->finally, &p->nfinally);
	for (i = 0; i < p->nfinally; i++)
		mark_finally(p->finally[i]);
}

/* The name of a plan without one: its file's name without directory and .yaml/.yml ("stdin" for
 * standard input). */
static char *
default_name(const char *file)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(base);

	if (strcmp(file, "-") == 0 || strcmp(file, "<stdin>") == 0)
		return xstrdup("stdin");
	if (!*base)
		return xstrdup("plan");
	if (n > 5 && strcmp(base + n - 5, ".yaml") == 0)
		n -= 5;
	else if (n > 4 && strcmp(base + n - 4, ".yml") == 0)
		n -= 4;
	return xstrndup(base, n);
}

struct plan *
plan_load(const char *file, struct node **docs, size_t ndocs, struct diag *d)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct load_ctx lc = {.plan = p, .d = d};

	p->file = xstrdup(file);
	p->docs = docs;
	p->ndocs = ndocs;
	p->deadline = PLAN_DEFAULT_DEADLINE_MS;
	p->policy.kind = POLICY_ABORT;
	if (ndocs == 0) {
		diag_error(d, 0, 0, "empty plan (no YAML document)");
	} else if (ndocs > 1) {
		diag_at(d, docs[1], "a plan file holds one YAML document");
	} else {
		p->root = docs[0];
		load_plan(&lc, docs[0]);
	}
	if (!p->name)
		p->name = default_name(file);
	return p;
}
