/* step.c: helpers of the step-kind contract that do not run anything: timing of groups, the
 * patterns and subject of matching kinds at check and describe time (exec_subject is in
 * subject.c), and the ports of kinds that watch local ports. */
#include <stdlib.h>
#include <string.h>

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

int
step_ports_load(struct step *s, const struct node *n, struct step_ports *p, size_t max, const char *what,
    struct load_ctx *lc)
{
	size_t i, count = n->type == NODE_SEQ ? n->nkids : 1;
	long long v;

	if (n->type == NODE_SEQ && n->nkids == 0) {
		diag_at(lc->d, n, "ports needs at least one port");
		return -1;
	}
	if (count > max) {
		diag_at(lc->d, n, "at most %zu ports in one %s", max, what);
		return -1;
	}
	for (i = 0; i < count; i++) {
		const struct node *k = n->type == NODE_SEQ ? n->kids[i] : n;

		if (k->type == NODE_SCALAR && strstr(k->str, "${")) {
			if (!(p->tmpl[p->n++] = plan_tmpl(lc, s, k, TTYPE_PORT)))
				return -1;
			continue;
		}
		if (value_int(k, lc->d, (long long)schema_range("port")->min, (long long)schema_range("port")->max,
		    &v) < 0)
			return -1;
		p->lit[p->n++] = (int)v;
	}
	return 0;
}

void
step_ports_values(const struct step_ports *p, int *out)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		out[i] = p->tmpl[i] ? (int)p->tmpl[i]->num : p->lit[i];
}

void
step_ports_describe(const struct step_ports *p, const struct tmpl_env *env, struct buf *out)
{
	size_t i;
	char *err = NULL;

	buf_adds(out, p->n > 1 ? "ports " : "port ");
	for (i = 0; i < p->n; i++) {
		if (i)
			buf_adds(out, ", ");
		if (!p->tmpl[i])
			buf_printf(out, "%d", p->lit[i]);
		else if (p->tmpl[i]->typed)
			buf_printf(out, "%lld", p->tmpl[i]->num);
		else if (env && tmpl_render(p->tmpl[i], env, out, &err) < 0)
			buf_adds(out, "?");
		free(err);
		err = NULL;
	}
}
