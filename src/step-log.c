/* step-log.c: the log step: writes a message (a template) at info or warn level to every log sink
 * (standard error and each --log-file, as text or JSON lines). It never fails: a value the message
 * cannot render is shown as "${...}". The summary counts it as "logged", not as ok. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node.h"
#include "step.h"
#include "util.h"

static const struct schema_key log_step_keys[] = {
	{"message", true}, {"level", false},
	{NULL, false},
};

struct log_step {
	struct tmpl *message;          /* owned by the plan */
	bool warn;
};

static int
log_step_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	struct log_step *x = s->data = xcalloc(1, sizeof(*x));
	const struct node *n = v, *lv;

	if (v->type != NODE_SCALAR) {
		if (!schema_check(v, log_step_keys, "log", lc->d) || !(n = node_get(v, "message")))
			return -1;
		if ((lv = node_get(v, "level"))) {
			if (node_is(lv, "warn")) {
				x->warn = true;
			} else if (!node_is(lv, "info")) {
				diag_at(lc->d, lv, "level must be info or warn");
				return -1;
			}
		}
	}
	if (n->type != NODE_SCALAR) {
		diag_at(lc->d, n, "the message must be a string, not %s", node_type_name(n));
		return -1;
	}
	return (x->message = plan_tmpl(lc, s, n, TTYPE_STRING)) ? 0 : -1;
}

static void
log_step_render(const struct log_step *x, const struct tmpl_env *env, struct buf *out)
{
	struct tmpl_env kenv = *env;
	char *err = NULL;

	kenv.keep_unknown = true;
	if (tmpl_render(x->message, &kenv, out, &err) < 0) {
		buf_printf(out, "(%s)", err);
		free(err);
	}
}

static void
log_step_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct log_step *x = s->data;

	buf_printf(out, "log %s '", x->warn ? "warn" : "info");
	log_step_render(x, env, out);
	buf_addc(out, '\'');
}

static int
log_step_start(struct exec *e)
{
	const struct log_step *x = e->step->data;
	struct tmpl_env env = exec_tmpl_env(e, true);
	struct buf b = {0};

	log_step_render(x, &env, &b);
	if (x->warn)
		log_event(e->step->name, "log", "\"level\":\"warn\"", "warning: %s", b.s ? b.s : "");
	else
		log_event(e->step->name, "log", "\"level\":\"info\"", "%s", b.s ? b.s : "");
	exec_detail(e, "logged");
	buf_free(&b);
	return EXEC_OK;
}

static void
log_step_free(void *data)
{
	free(data);
}

const struct step_kind step_log_kind = {
	.name = "log",
	.quiet = true,
	.keys = log_step_keys,
	.load = log_step_load,
	.describe = log_step_describe,
	.start = log_step_start,
	.free = log_step_free,
};
