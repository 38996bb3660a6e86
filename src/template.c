/* template.c: parsing and rendering of "${...}" templates in plan strings. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "http.h"
#include "node.h"
#include "template.h"
#include "util.h"
#include "value.h"

static const char *const filter_names[] = {"urlencode", "base64", "json"};

static void
tmpl_add_part(struct tmpl *t, struct tmpl_part *p)
{
	t->parts = xgrow(t->parts, t->nparts, sizeof(*t->parts));
	t->parts[t->nparts++] = *p;
}

static void
tmpl_add_literal(struct tmpl *t, const char *s, size_t n)
{
	struct tmpl_part p = {.ref = TREF_LITERAL};

	if (n == 0)
		return;
	if (t->nparts && t->parts[t->nparts - 1].ref == TREF_LITERAL) {
		struct tmpl_part *last = &t->parts[t->nparts - 1];

		last->text = xreallocarray(last->text, last->len + n + 1, 1);
		memcpy(last->text + last->len, s, n);
		last->len += n;
		last->text[last->len] = '\0';
		return;
	}
	p.text = xstrndup(s, n);
	p.len = n;
	tmpl_add_part(t, &p);
}

static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

static bool
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

static void
tmpl_error(const struct node *n, int off, struct diag *d, const char *fmt, const char *arg)
{
	int line, col;

	node_pos(n, (size_t)off, &line, &col);
	diag_error(d, line, col, fmt, arg);
}

/* Parses the reference between "${" and "}" (s..e) into p. */
static int
parse_ref(const struct node *n, int off, const char *s, const char *e, struct tmpl_part *p, struct diag *d)
{
	const char *bar = memchr(s, '|', (size_t)(e - s)), *ne = bar ? bar : e, *ns = s;
	char *ref;

	trim(&ns, &ne);
	ref = xstrndup(ns, (size_t)(ne - ns));
	if (!valid_name(ns, (size_t)(ne - ns))) {
		tmpl_error(n, off, d, "bad reference '${%s}'", ref);
		free(ref);
		return -1;
	}
	if (strncmp(ref, "env.", 4) == 0 && !ref[4]) {
		tmpl_error(n, off, d, "'${%s}': expected ${env.NAME}", ref);
		free(ref);
		return -1;
	} else if (strncmp(ref, "env.", 4) == 0) {
		p->ref = TREF_ENV;
		p->text = xstrdup(ref + 4);
	} else if (strncmp(ref, "steps.", 6) == 0) {
		char *dot = strchr(ref + 6, '.');

		if (!dot || dot == ref + 6 || !dot[1]) {
			tmpl_error(n, off, d, "'${%s}': expected ${steps.NAME.FIELD}", ref);
			free(ref);
			return -1;
		}
		p->ref = TREF_STEP;
		p->text = xstrndup(ref + 6, (size_t)(dot - ref - 6));
		p->field = xstrdup(dot + 1);
	} else if (strchr(ref, '.')) {
		tmpl_error(n, off, d, "'${%s}': params have no fields (use env.NAME or steps.NAME.FIELD)", ref);
		free(ref);
		return -1;
	} else {
		p->ref = TREF_PARAM;
		p->text = xstrdup(ref);
	}
	free(ref);
	while (bar) {
		const char *fs = bar + 1, *fe;
		size_t i;

		bar = memchr(fs, '|', (size_t)(e - fs));
		fe = bar ? bar : e;
		trim(&fs, &fe);
		for (i = 0; i < LEN(filter_names); i++)
			if (strlen(filter_names[i]) == (size_t)(fe - fs) && memcmp(filter_names[i], fs, (size_t)(fe - fs)) == 0)
				break;
		if (i == LEN(filter_names) || p->nfilters == TMPL_MAX_FILTERS) {
			char *f = xstrndup(fs, (size_t)(fe - fs));

			tmpl_error(n, off, d, i == LEN(filter_names) ?
			    "unknown filter '%s' (filters: urlencode, base64, json)" : "too many filters after '%s'", f);
			free(f);
			return -1;
		}
		p->filters[p->nfilters++] = (enum tmpl_filter)i;
	}
	return 0;
}

struct tmpl *
tmpl_parse(const struct node *n, enum tmpl_type type, struct diag *d)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));
	const char *s = n->str, *end = n->str + n->len, *p;
	bool ok = true;

	t->node = n;
	t->type = type;
	if ((p = memchr(s, '\0', n->len))) {
		tmpl_error(n, (int)(p - s), d, "%s", "strings may not contain a NUL character");
		tmpl_free(t);
		return NULL;
	}
	while (s < end) {
		p = memchr(s, '$', (size_t)(end - s));
		if (!p) {
			tmpl_add_literal(t, s, (size_t)(end - s));
			break;
		}
		tmpl_add_literal(t, s, (size_t)(p - s));
		if (p + 1 < end && p[1] == '$') {
			tmpl_add_literal(t, "$", 1);
			s = p + 2;
		} else if (p + 1 < end && p[1] == '{') {
			const char *close = memchr(p, '}', (size_t)(end - p));
			struct tmpl_part part = {.col = (int)(p - n->str), .param = -1};

			if (!close) {
				tmpl_error(n, part.col, d, "template '%s' is not closed with '}'", "${");
				ok = false;
				break;
			}
			if (parse_ref(n, part.col, p + 2, close, &part, d) < 0) {
				free(part.text);
				free(part.field);
				ok = false;
			} else {
				if (part.ref == TREF_STEP)
					t->dynamic = true;
				tmpl_add_part(t, &part);
			}
			s = close + 1;
		} else {
			tmpl_add_literal(t, "$", 1);
			s = p + 1;
		}
	}
	if (!ok) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

bool
tmpl_is_literal(const struct tmpl *t)
{
	return t->nparts == 0 || (t->nparts == 1 && t->parts[0].ref == TREF_LITERAL);
}

void
tmpl_base64(struct buf *out, const char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		buf_addc(out, tab[u[i] >> 2]);
		buf_addc(out, tab[((u[i] & 3) << 4) | (u[i + 1] >> 4)]);
		buf_addc(out, tab[((u[i + 1] & 15) << 2) | (u[i + 2] >> 6)]);
		buf_addc(out, tab[u[i + 2] & 63]);
	}
	if (n - i == 1) {
		buf_addc(out, tab[u[i] >> 2]);
		buf_addc(out, tab[(u[i] & 3) << 4]);
		buf_adds(out, "==");
	} else if (n - i == 2) {
		buf_addc(out, tab[u[i] >> 2]);
		buf_addc(out, tab[((u[i] & 3) << 4) | (u[i + 1] >> 4)]);
		buf_addc(out, tab[(u[i + 1] & 15) << 2]);
		buf_addc(out, '=');
	}
}

static void
apply_filters(const struct tmpl_part *p, const char *v, size_t n, struct buf *out)
{
	struct buf a = {0}, b = {0};
	int i;

	buf_add(&a, v, n);
	for (i = 0; i < p->nfilters; i++) {
		b.len = 0;
		buf_add(&b, "", 0);
		switch (p->filters[i]) {
		case TFILTER_URLENCODE: http_urlencode(&b, a.s, a.len); break;
		case TFILTER_BASE64: tmpl_base64(&b, a.s, a.len); break;
		case TFILTER_JSON: json_escape(&b, a.s, a.len); break;
		}
		struct buf tmp = a;
		a = b;
		b = tmp;
	}
	buf_add(out, a.s, a.len);
	buf_free(&a);
	buf_free(&b);
}

static void
render_unknown(const struct tmpl_part *p, struct buf *out)
{
	static const char *const prefix[] = {"", "", "env.", "steps."};

	int i;

	buf_printf(out, "${%s%s%s%s", prefix[p->ref], p->text, p->field ? "." : "", p->field ? p->field : "");
	for (i = 0; i < p->nfilters; i++)
		buf_printf(out, " | %s", filter_names[p->filters[i]]);
	buf_addc(out, '}');
}

int
tmpl_render(const struct tmpl *t, const struct tmpl_env *env, struct buf *out, char **err)
{
	size_t i, n;

	buf_add(out, "", 0);
	for (i = 0; i < t->nparts; i++) {
		const struct tmpl_part *p = &t->parts[i];
		const char *v = NULL, *why = NULL;

		switch (p->ref) {
		case TREF_LITERAL:
			buf_add(out, p->text, p->len);
			continue;
		case TREF_PARAM:
			if (env->redact && p->param >= 0 && env->secret && env->secret[p->param]) {
				buf_adds(out, "***");
				continue;
			}
			v = p->param >= 0 && env->params ? env->params[p->param] : NULL;
			why = "has no value";
			break;
		case TREF_ENV:
			v = getenv(p->text);
			why = "is not set";
			break;
		case TREF_STEP:
			v = env->output ? env->output(env->arg, p->step, p->field, &n, &why) : NULL;
			if (v) {
				apply_filters(p, v, n, out);
				continue;
			}
			break;
		}
		if (!v && env->keep_unknown) {
			render_unknown(p, out);
			continue;
		}
		if (!v) {
			struct buf m = {0};

			render_unknown(p, &m);
			buf_printf(&m, " %s", why ? why : "has no value");
			*err = buf_take(&m);
			return -1;
		}
		apply_filters(p, v, strlen(v), out);
	}
	return 0;
}

const char *
tmpl_check_value(struct tmpl *t, const char *s, size_t len)
{
	const char *err = NULL;

	switch (t->type) {
	case TTYPE_STRING:
		return NULL;
	case TTYPE_URL:
		if (strlen(s) != len || strpbrk(s, " \r\n\t"))
			return "URL contains spaces or control characters";
		if (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0)
			return "only http:// and https:// URLs are allowed";
		if (!s[strncasecmp(s, "http://", 7) == 0 ? 7 : 8])
			return "URL has no host";
		return http_check_url(s);
	case TTYPE_HEADER:
		return strlen(s) != len || strpbrk(s, "\r\n") ? "header values cannot contain CR, LF or NUL" : NULL;
	case TTYPE_DURATION:
	case TTYPE_TIMEOUT:
		if (value_parse_duration(s, &t->ms, &err) < 0)
			return err;
		if (t->type == TTYPE_TIMEOUT && t->ms <= 0)
			return "timeouts must be greater than 0";
		t->typed = true;
		return NULL;
	case TTYPE_PORT:
		if (value_parse_int(s, 1, 65535, &t->num, &err) < 0)
			return "not a port number (1 to 65535)";
		t->typed = true;
		return NULL;
	}
	return NULL;
}

int
tmpl_check_rendered(struct tmpl *t, const struct tmpl_env *env, const char *s, size_t len, const char *how,
    struct diag *d)
{
	struct tmpl_env redacted = *env;
	struct buf shown = {0};
	const char *why = tmpl_check_value(t, s, len);
	char *err = NULL;

	if (!why)
		return 0;
	redacted.redact = true;
	tmpl_render(t, &redacted, &shown, &err);
	diag_at(d, t->node, "'%s'%s: %s", shown.s ? shown.s : "", how, why);
	buf_free(&shown);
	free(err);
	return -1;
}

int64_t
tmpl_ms(const struct tmpl *t, int64_t def)
{
	return t && t->typed ? t->ms : def;
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nparts; i++) {
		free(t->parts[i].text);
		free(t->parts[i].field);
	}
	free(t->parts);
	free(t->value);
	free(t);
}
