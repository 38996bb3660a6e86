/* check.c: the second phase: static checks over the whole plan AST (names, references, templates,
 * params, timing); it compiles regexes and resolves references in place, and never reads YAML. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "budget.h"
#include "check.h"
#include "node.h"
#include "plan.h"
#include "regex.h"
#include "step.h"
#include "util.h"

static bool
is_ancestor(const struct step *a, const struct step *s)
{
	for (s = s->parent; s; s = s->parent)
		if (s == a)
			return true;
	return false;
}

static const char *
suggest_step(const struct plan *p, const char *name)
{
	const char *names[256];
	size_t n = 0, i;

	for (i = 0; i < p->nall && n < LEN(names); i++)
		if (p->all[i]->named)
			names[n++] = p->all[i]->name;
	return schema_suggest(name, names, n);
}

static const char *
suggest_param(const struct plan *p, const char *name)
{
	const char *names[256];
	size_t n = 0, i;

	for (i = 0; i < p->nparams && n < LEN(names); i++)
		names[n++] = p->params[i].name;
	return schema_suggest(name, names, n);
}

/* The child of a that holds s (s itself when it is one), or NULL when s is not below a. */
static const struct step *
branch_of(const struct step *a, const struct step *s)
{
	for (; s; s = s->parent)
		if (s->parent == a)
			return s;
	return NULL;
}

/* True when s and from are in different branches of a group that runs its steps side by side. */
static bool
concurrent_with(const struct step *s, const struct step *from)
{
	const struct step *a;

	for (a = from->parent; a; a = a->parent) {
		const struct step *bs;

		if (!a->kind || !a->kind->concurrent)
			continue;
		bs = branch_of(a, s);
		if (bs && bs != branch_of(a, from))
			return true;
	}
	return false;
}

/* Resolves a reference to an earlier step from `from`; NULL after an error. */
static const struct step *
check_step_ref(const struct plan *p, const struct step *from, const char *name, const struct node *at,
    int line, int col, struct diag *d)
{
	const struct step *s = plan_find_step(p, name);
	const char *near;

	(void)at;
	if (!s) {
		near = suggest_step(p, name);
		if (near)
			diag_error(d, line, col, "unknown step '%s' (did you mean '%s'?)", name, near);
		else
			diag_error(d, line, col, "unknown step '%s'", name);
		return NULL;
	}
	if (from && (s == from || is_ancestor(s, from))) {
		diag_error(d, line, col, "step '%s' cannot refer to itself or to a group it is in", name);
		return NULL;
	}
	if (from && concurrent_with(s, from)) {
		diag_error(d, line, col, "step '%s' runs in parallel with this one: it cannot be referred to here", name);
		return NULL;
	}
	if (from && s->id > from->id) {
		diag_error(d, line, col, "step '%s' comes later in the plan: only earlier steps can be referred to", name);
		return NULL;
	}
	return s;
}

static int
step_name_cmp(const void *a, const void *b)
{
	const struct step *x = *(const struct step *const *)a, *y = *(const struct step *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Sorting keeps this linear-logarithmic: a plan may hold thousands of steps. */
static void
check_names(struct plan *p, struct diag *d)
{
	const struct step **v = xcalloc(p->nall + 1, sizeof(*v));
	size_t n = 0, i, first = 0;

	for (i = 0; i < p->nall; i++)
		if (p->all[i]->named)
			v[n++] = p->all[i];
	qsort(v, n, sizeof(*v), step_name_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i]->name, v[first]->name) != 0) {
			first = i;
			continue;
		}
		diag_at(d, v[i]->name_node, "duplicate step name '%s' (first at line %d)", v[i]->name,
		    v[first]->name_node->line);
	}
	free(v);
}

static void
check_param_cond(struct plan *p, struct cond *c, struct diag *d)
{
	const char *near;

	if ((c->param = plan_param_index(p, c->name)) >= 0)
		return;
	if ((near = suggest_param(p, c->name)))
		diag_at(d, c->node, "undefined param '%s' (did you mean '%s'?)", c->name, near);
	else
		diag_at(d, c->node, "undefined param '%s'", c->name);
}

static void
check_conds(struct plan *p, struct diag *d)
{
	size_t i, j;

	for (i = 0; i < p->nall; i++) {
		struct step *s = p->all[i];

		for (j = 0; j < s->nconds; j++) {
			struct cond *c = &s->conds[j];

			if (c->kind >= COND_PARAM_EQUALS)
				check_param_cond(p, c, d);
			else
				c->step = check_step_ref(p, s, c->name, c->node, c->node->line, c->node->col, d);
		}
	}
}

static void
check_params(struct plan *p, struct diag *d)
{
	size_t i;

	for (i = 0; i < p->nparams; i++) {
		struct param *par = &p->params[i];
		char *err;
		size_t off;

		if (!par->pattern)
			continue;
		par->re = regex_compile(par->pattern, true, &err, &off);
		if (!par->re) {
			const struct node *n = par->pattern_node;

			int line, col;

			node_pos(n, off, &line, &col);
			diag_error(d, line, col,
			    "bad pattern for param '%s': %s (at offset %zu)", par->name, err, off);
			free(err);
			continue;
		}
		if (par->def && regex_match(par->re, par->def, strlen(par->def)) != REGEX_MATCH)
			diag_at(d, par->def_node,
			    "default '%s' of param '%s' does not match its pattern", par->secret ? "***" : par->def, par->name);
	}
}

static int
part_line_col(const struct tmpl *t, const struct tmpl_part *part, int *col)
{
	int line;

	node_pos(t->node, (size_t)part->col, &line, col);
	return line;
}

/* Resolves the references of one template; returns true when every param it uses has a default. */
/* "step 'a' (http-call) has no output 'stat' (did you mean 'status'?)" */
static void
no_output_error(const struct tmpl_part *part, int line, int col, struct diag *d)
{
	const struct step *s = part->step;
	const char *names[64], *near = NULL;
	size_t n = s->kind->fields ? s->kind->fields(s, names, LEN(names)) : 0;

	if (n)
		near = schema_suggest(part->field, names, n);
	if (near)
		diag_error(d, line, col, "step '%s' (%s) has no output '%s' (did you mean '%s'?)", part->text,
		    s->kind->name, part->field, near);
	else
		diag_error(d, line, col, "step '%s' (%s) has no output '%s'", part->text, s->kind->name, part->field);
}

static bool
check_tmpl_refs(struct plan *p, struct tmpl *t, struct diag *d)
{
	bool defaults = true;
	size_t i;
	int line, col;

	for (i = 0; i < t->nparts; i++) {
		struct tmpl_part *part = &t->parts[i];
		const char *near;

		line = part_line_col(t, part, &col);
		switch (part->ref) {
		case TREF_LITERAL:
			break;
		case TREF_ENV:
			defaults = false;
			break;
		case TREF_PARAM:
			part->param = plan_param_index(p, part->text);
			if (part->param < 0) {
				near = suggest_param(p, part->text);
				if (near)
					diag_error(d, line, col, "undefined param '%s' (did you mean '%s'?)", part->text, near);
				else
					diag_error(d, line, col, "undefined param '%s'", part->text);
				defaults = false;
			} else if (!p->params[part->param].def) {
				defaults = false;
			}
			break;
		case TREF_STEP:
			defaults = false;
			part->step = check_step_ref(p, t->owner, part->text, t->node, line, col, d);
			if (part->step && part->step->loaded && (!part->step->kind->has_field ||
			    !part->step->kind->has_field(part->step, part->field)))
				no_output_error(part, line, col, d);
			break;
		}
	}
	return defaults;
}

/* A templated URL whose literal start already names its scheme ("ftp://${host}/") must name http
 * or https: known at validate, not only once rendered. */
static void
check_url_scheme(const struct tmpl *t, struct diag *d)
{
	const struct tmpl_part *first = t->nparts ? &t->parts[0] : NULL;
	size_t n;

	if (!first || first->ref != TREF_LITERAL || !isalpha((unsigned char)first->text[0]))
		return;
	n = strspn(first->text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	if (n >= first->len || first->text[n] != ':')
		return;
	if ((n == 4 && strncasecmp(first->text, "http", 4) == 0) || (n == 5 && strncasecmp(first->text, "https", 5) == 0))
		return;
	diag_at(d, t->node, "'%s': only http:// and https:// URLs are allowed", t->node->str);
}

static void
check_tmpl(struct plan *p, struct tmpl *t, struct diag *d)
{
	bool defaults = check_tmpl_refs(p, t, d);
	const char *why;
	struct buf b = {0};
	char *err = NULL;
	const char **vals;
	bool *secret;
	size_t i;

	if (t->dynamic && t->type != TTYPE_STRING && t->type != TTYPE_URL && t->type != TTYPE_HEADER) {
		diag_at(d, t->node, "this value may only use params and env, not step outputs");
		return;
	}
	if (tmpl_is_literal(t)) {
		t->value = t->nparts ? xstrndup(t->parts[0].text, t->parts[0].len) : xstrdup("");
		t->vlen = t->nparts ? t->parts[0].len : 0;
		if ((why = tmpl_check_value(t, t->value, t->vlen)))
			diag_at(d, t->node, "'%s': %s", t->value, why);
		return;
	}
	if (t->type == TTYPE_URL)
		check_url_scheme(t, d);
	if (!defaults)
		return;
	vals = xcalloc(p->nparams + 1, sizeof(*vals));
	secret = plan_secret_mask(p);
	for (i = 0; i < p->nparams; i++)
		vals[i] = p->params[i].def;
	struct tmpl_env env = {.params = vals, .secret = secret};
	if (tmpl_render(t, &env, &b, &err) == 0)
		tmpl_check_rendered(t, &env, b.s, b.len, " (with the params' defaults)", d);
	free(err);
	free(vals);
	free(secret);
	buf_free(&b);
}

int
plan_check(struct plan *p, struct diag *d)
{
	size_t before = d->n, i;
	struct tmpl *t;
	char *why;

	/* What is not a plan at all (not a mapping, no header) has its one error from load. */
	if (!plan_is_plan(p->root))
		return -1;
	check_names(p, d);
	check_params(p, d);
	for (i = 0; i < p->nall; i++)
		if (p->all[i]->kind && p->all[i]->loaded && p->all[i]->kind->check)
			p->all[i]->kind->check(p->all[i], p, d);
	check_conds(p, d);
	for (t = p->tmpls; t; t = t->next)
		check_tmpl(p, t, d);
	plan_update_worst(p);
	if ((why = budget_problem(p, NULL, p->deadline, true))) {
		diag_at(d, p->finally_node, "%s", why);
		free(why);
	}
	return d->n > before ? -1 : 0;
}
