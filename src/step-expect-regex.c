/* step-expect-regex.c: the expect-regex step: matches a PCRE2 pattern against the previous
 * http-call's body or any template; named groups become outputs. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node.h"
#include "regex.h"
#include "step.h"
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

static int
expect_regex_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	struct expect_regex *x = s->data = xcalloc(1, sizeof(*x));
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
	return rc < 0 || !x->pattern ? -1 : 0;
}

static void
expect_regex_check(struct step *s, struct plan *p, struct diag *d)
{
	struct expect_regex *x = s->data;

	(void)p;
	x->re = step_regex(x->pattern, x->pattern_node, d);
	step_subject_check(s, x->subject, d);
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

static size_t
expect_regex_fields(const struct step *s, const char **names, size_t max)
{
	const struct expect_regex *x = s->data;
	size_t i;

	for (i = 0; x->re && i < regex_ngroups(x->re) && i < max; i++)
		names[i] = regex_group_name(x->re, i);
	return i;
}

static void
expect_regex_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct expect_regex *x = s->data;

	step_subject_describe(s, x->subject, env, out);
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
	struct subject sub;
	size_t i;
	enum regex_result r;
	int rc = EXEC_OK;

	if (exec_subject(e, x->subject, &sub) < 0) {
		if (sub.label)
			exec_detail(e, "%s %s /%s/", sub.label, x->negate ? "does not match" : "matches", x->pattern);
		subject_free(&sub);
		return EXEC_FAILED;
	}
	exec_detail(e, "%s %s /%s/", sub.label, x->negate ? "does not match" : "matches", x->pattern);
	r = regex_match(x->re, sub.bytes, sub.len);
	if (r == REGEX_LIMIT)
		rc = exec_fail(e, "the pattern hit the match limit on this %zu-byte subject", sub.len);
	else if ((r == REGEX_MATCH) == x->negate)
		rc = fail_with_excerpt(e, x, sub.bytes, sub.len);
	else if (r == REGEX_MATCH)
		for (i = 0; i < regex_ngroups(x->re); i++) {
			size_t glen;
			char *g = regex_group_value(x->re, i, sub.bytes, &glen);

			exec_output(e, regex_group_name(x->re, i), g, glen);
			free(g);
		}
	subject_free(&sub);
	return rc;
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
	.keys = expect_regex_keys,
	.load = expect_regex_load,
	.check = expect_regex_check,
	.has_field = expect_regex_has_field,
	.fields = expect_regex_fields,
	.describe = expect_regex_describe,
	.start = expect_regex_start,
	.free = expect_regex_free,
};
