/* resolve.c: the phase between check and run: params from -p, the environment and defaults, then
 * the static templates rendered with them. After it, a plan and its params are what run needs. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "http.h"
#include "log.h"
#include "plan.h"
#include "regex.h"
#include "resolve.h"
#include "template.h"
#include "util.h"

static const char *
find_set(const char *name, char *const *sets, size_t nsets)
{
	size_t i, n = strlen(name);

	for (i = nsets; i-- > 0;)
		if (strncmp(sets[i], name, n) == 0 && sets[i][n] == '=')
			return sets[i] + n + 1;
	return NULL;
}

static void
resolve_param(struct plan *p, size_t i, char *const *sets, size_t nsets, bool lenient, char **out, struct diag *d)
{
	struct param *par = &p->params[i];
	const char *v = find_set(par->name, sets, nsets);

	if (!v && par->env)
		v = getenv(par->env);
	if (!v)
		v = par->def;
	if (!v) {
		if (par->required && !lenient)
			diag_at(d, par->node, "required param '%s' is not set%s%s%s", par->name,
			    par->env ? " (environment variable " : " (use -p)", par->env ? par->env : "", par->env ? " or -p)" : "");
		else if (!par->required)
			out[i] = xstrdup("");
		return;
	}
	if (par->re && regex_match(par->re, v, strlen(v)) != REGEX_MATCH) {
		diag_at(d, par->node, "param '%s': value '%s' does not match the pattern '%s'", par->name,
		    par->secret ? "***" : v, par->pattern);
		return;
	}
	out[i] = xstrdup(v);
}

static void
resolve_tmpl(struct plan *p, struct tmpl *t, char **params, bool lenient, struct diag *d)
{
	struct tmpl_env env = {.params = (const char *const *)params, .keep_unknown = lenient};
	struct buf b = {0};
	char *err = NULL;
	bool *secret = plan_secret_mask(p);

	env.secret = secret;
	if (tmpl_render(t, &env, &b, &err) < 0)
		diag_at(d, t->node, "%s", err);
	else if (!lenient || !strstr(b.s, "${"))
		tmpl_check_rendered(t, &env, b.s, b.len, "", d);
	free(t->value);
	t->vlen = b.len;
	t->value = buf_take(&b);
	free(err);
	free(secret);
}

char **
resolve_params(struct plan *p, char *const *sets, size_t nsets, bool lenient, struct diag *d)
{
	char **params = xcalloc(p->nparams + 1, sizeof(*params));
	size_t before = d->n, i;
	struct tmpl *t;

	for (i = 0; i < nsets; i++) {
		const char *eq = strchr(sets[i], '=');
		char *name = eq ? xstrndup(sets[i], (size_t)(eq - sets[i])) : NULL;

		if (!name || plan_param_index(p, name) < 0)
			diag_error(d, 0, 0, "-p %s: %s", sets[i], name ? "the plan declares no such param" : "expected NAME=VALUE");
		free(name);
	}
	for (i = 0; i < p->nparams; i++)
		resolve_param(p, i, sets, nsets, lenient, params, d);
	if (d->n == before)
		for (t = p->tmpls; t; t = t->next)
			if (!t->dynamic && !tmpl_is_literal(t))
				resolve_tmpl(p, t, params, lenient, d);
	plan_update_worst(p);
	if (d->n > before) {
		resolve_free_params(p, params);
		return NULL;
	}
	return params;
}

void
resolve_free_params(const struct plan *p, char **params)
{
	size_t i;

	if (!params)
		return;
	for (i = 0; i < p->nparams; i++)
		free(params[i]);
	free(params);
}

void
resolve_register_secrets(const struct plan *p, char *const *params)
{
	size_t i;

	for (i = 0; i < p->nparams; i++) {
		struct buf b = {0};
		const char *v = params[i];

		if (!p->params[i].secret || !v || !*v)
			continue;
		log_add_secret(v);
		http_urlencode(&b, v, strlen(v));
		log_add_secret(b.s);
		b.len = 0;
		tmpl_base64(&b, v, strlen(v));
		log_add_secret(b.s);
		b.len = 0;
		json_escape(&b, v, strlen(v));
		b.s[b.len - 1] = '\0';
		log_add_secret(b.s + 1);
		buf_free(&b);
	}
}

