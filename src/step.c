/* step.c: helpers of the step-kind contract that do not run anything: timing of groups, the
 * patterns and subject of matching kinds at check and describe time (exec_subject is in
 * subject.c). */
#include <stdlib.h>

#include "log.h"
#include "node.h"
#include "plan.h"
#include "regex.h"
#include "step.h"
#include "util.h"

struct regex *
step_regex(const char *pattern, const struct node *n, struct diag *d)
{
	struct regex *re;
	char *err;
	size_t off;
	int line, col;

	if ((re = regex_compile(pattern, false, &err, &off)))
		return re;
	node_pos(n, off, &line, &col);
	diag_error(d, line, col, "bad regex: %s (at offset %zu)", err, off);
	free(err);
	return NULL;
}

int64_t
step_need(const struct step *s)
{
	return s->kind && s->loaded && s->kind->need ? s->kind->need(s) : 0;
}

int64_t
step_group_worst(const struct step *s)
{
	int64_t t = 0, w;
	size_t i;

	for (i = 0; i < s->nkids; i++) {
		w = plan_step_worst(s->kids[i]);
		if (!s->kind->concurrent)
			t += w;
		else if (w > t)
			t = w;
	}
	return t;
}

int64_t
step_group_need(const struct step *s)
{
	int64_t t = 0, w;
	size_t i;

	if (!s->kind->concurrent)
		return s->nkids ? step_need(s->kids[0]) : 0;
	for (i = 0; i < s->nkids; i++)
		if ((w = step_need(s->kids[i])) > t)
			t = w;
	return t;
}

void
step_subject_check(const struct step *s, const struct tmpl *t, struct diag *d)
{
	const struct step *prev = s->prev;

	if (t)
		return;
	if (!prev || !prev->kind || !prev->loaded || !prev->kind->has_field || !prev->kind->has_field(prev, "body"))
		diag_at(d, s->action, "%s without a subject matches the body of the step right before it, "
		    "which must be an http-call%s%s%s", s->kind->name, s->parent && s->parent->kind &&
		    s->parent->kind->concurrent ? " (in a parallel group, put the http-call and the " : "",
		    s->parent && s->parent->kind && s->parent->kind->concurrent ? s->kind->name : "",
		    s->parent && s->parent->kind && s->parent->kind->concurrent ? " in a nested steps branch)" : "");
}

void
step_subject_describe(const struct step *s, const struct tmpl *t, const struct tmpl_env *env, struct buf *out)
{
	struct buf v = {0};
	char *err = NULL;

	if (!t) {
		buf_printf(out, "body of %s", s->prev->name);
		return;
	}
	buf_adds(out, "'");
	if (tmpl_render(t, env, &v, &err) < 0)
		free(err);
	log_excerpt(out, v.s ? v.s : "", v.len, LOG_EXCERPT_MAX);
	buf_free(&v);
	buf_adds(out, "'");
}
