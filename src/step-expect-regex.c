/* step-expect-regex.c: the expect-regex step: matches a PCRE2 pattern against the previous
 * http-call's body or any template; named groups become outputs. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node.h"
#include "plan.h"
#include "regex.h"
#include "run.h"
#include "util.h"

static const struct schema_key expect_regex_keys[] = {
	{"pattern", true}, {"subject", false}, {"negate", false},
	{NULL, false},
};

struct expect_regex {
	char *pattern;
	const struct node *pattern_node;
	struct tmpl *subject;          /* NULL: the body of the previous sibling */
	bool negate;
	struct regex *re;              /* compiled by check */
};

static void expect_regex_free(void *data);

static void *
expect_regex_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	struct expect_regex *x = xcalloc(1, sizeof(*x));
	const struct node *n;
	int rc = 0;

	if (v->type == NODE_SCALAR) {
		x->pattern_node = v;
	} else if (schema_check(v, expect_regex_keys, "expect-regex", lc->d) || v->type == NODE_MAP) {
		x->pattern_node = node_get(v, "pattern");
		if ((n = node_get(v, "subject")) && !(x->subject = plan_tmpl(lc, s, n, TTYPE_STRING)))
			rc = -1;
		if ((n = node_get(v, "negate")) && value_bool(n, lc->d, &x->negate) < 0)
			rc = -1;
	} else {
		rc = -1;
	}
	if (x->pattern_node && !(x->pattern = value_string(x->pattern_node, lc->d, "pattern")))
		rc = -1;
	if (rc < 0 || !x->pattern) {
		expect_regex_free(x);
		return NULL;
	}
	return x;
}

static void
expect_regex_check(struct step *s, struct plan *p, struct diag *d)
{
	struct expect_regex *x = s->data;
	const struct node *n = x->pattern_node;
	char *err;
	size_t off;

	(void)p;
	x->re = regex_compile(x->pattern, false, &err, &off);
	if (!x->re) {
		int line, col;

		node_pos(n, off, &line, &col);
		diag_error(d, line, col, "bad regex: %s (at offset %zu)", err, off);
		free(err);
	}
	if (!x->subject && (!s->prev || !s->prev->kind || !s->prev->data || !s->prev->kind->has_field ||
	    !s->prev->kind->has_field(s->prev, "body")))
		diag_at(d, s->action, "expect-regex without a subject matches the body of the step right before it, "
		    "which must be an http-call%s", s->parent && s->parent->kind && s->parent->kind->concurrent ?
		    " (in a parallel group, put the http-call and the expect-regex in a nested steps branch)" : "");
}

static int64_t
expect_regex_worst(const struct step *s)
{
	(void)s;
	return 0;
}

static bool
expect_regex_has_field(const struct step *s, const char *field)
{
	const struct expect_regex *x = s->data;
	size_t i;

	if (!x->re)
		return false;
	for (i = 0; i < regex_ngroups(x->re); i++)
		if (strcmp(regex_group_name(x->re, i), field) == 0)
			return true;
	return false;
}

static void
expect_regex_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct expect_regex *x = s->data;
	char *err = NULL;

	if (x->subject) {
		struct buf v = {0};

		buf_adds(out, "'");
		if (tmpl_render(x->subject, env, &v, &err) < 0)
			free(err);
		log_excerpt(out, v.s ? v.s : "", v.len, LOG_EXCERPT_MAX);
		buf_free(&v);
		buf_adds(out, "'");
	} else {
		buf_printf(out, "body of %s", s->prev->name);
	}
	buf_printf(out, " %s /%s/", x->negate ? "does not match" : "matches", x->pattern);
}

/* Fails the attempt, showing the start of what was matched. */
static int
fail_with_excerpt(struct exec *e, const struct expect_regex *x, const char *subject, size_t len)
{
	struct buf b = {0};
	int rc;

	log_excerpt(&b, subject, len, LOG_EXCERPT_MAX);
	rc = exec_fail(e, "%s /%s/ in '%s'", x->negate ? "it matches" : "no match for", x->pattern, b.s ? b.s : "");
	buf_free(&b);
	return rc;
}

static int
expect_regex_start(struct exec *e)
{
	const struct expect_regex *x = e->step->data;
	struct buf b = {0};
	const char *subject;
	size_t len, i;
	enum regex_result r;
	int rc = EXEC_OK;

	if (x->subject) {
		if (exec_render(e, x->subject, &b) < 0)
			return EXEC_FAILED;
		subject = b.s ? b.s : "";
		len = b.len;
		exec_detail(e, "subject %s /%s/", x->negate ? "does not match" : "matches", x->pattern);
	} else {
		subject = run_output(e->run, e->step->prev, "body", &len);
		exec_detail(e, "body of %s %s /%s/", e->step->prev->name, x->negate ? "does not match" : "matches", x->pattern);
		if (!subject)
			return exec_fail(e, "%s has no reply body to match", e->step->prev->name);
	}
	r = regex_match(x->re, subject, len);
	if (r == REGEX_LIMIT)
		rc = exec_fail(e, "the pattern hit the match limit on this %zu-byte subject", len);
	else if ((r == REGEX_MATCH) == x->negate)
		rc = fail_with_excerpt(e, x, subject, len);
	else if (r == REGEX_MATCH)
		for (i = 0; i < regex_ngroups(x->re); i++) {
			size_t glen;
			char *g = regex_group_value(x->re, i, subject, &glen);

			exec_output(e, regex_group_name(x->re, i), g, glen);
			free(g);
		}
	buf_free(&b);
	return rc;
}

static int
expect_regex_poll(struct exec *e)
{
	(void)e;
	return EXEC_OK;
}

static void
expect_regex_cancel(struct exec *e)
{
	(void)e;
}

static void
expect_regex_free(void *data)
{
	struct expect_regex *x = data;

	regex_free(x->re);
	free(x->pattern);
	free(x);
}

const struct step_kind step_expect_regex_kind = {
	.name = "expect-regex",
	.load = expect_regex_load,
	.check = expect_regex_check,
	.worst = expect_regex_worst,
	.has_field = expect_regex_has_field,
	.describe = expect_regex_describe,
	.start = expect_regex_start,
	.poll = expect_regex_poll,
	.cancel = expect_regex_cancel,
	.free = expect_regex_free,
};
