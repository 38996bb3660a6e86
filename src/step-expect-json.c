/* step-expect-json.c: the expect-json step: parses the previous http-call's body (or any template) as
 * JSON, checks what a JSONPath query selects (equals, matches, exists, count, type), and captures
 * values as outputs. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonpath.h"
#include "log.h"
#include "node.h"
#include "regex.h"
#include "step.h"
#include "util.h"

#define EXPECT_JSON_MAX_DEPTH 256        /* deepest nesting of arrays and objects in a subject */
#define EXPECT_JSON_SHOW 120             /* bytes of a value shown in messages */
#define EXPECT_JSON_SHOW_KEYS 10         /* keys of an object listed in messages */

static const struct schema_key expect_json_keys[] = {
	{"path", false}, {"subject", false}, {"equals", false}, {"matches", false}, {"exists", false},
	{"count", false}, {"type", false}, {"capture", false},
	{NULL, false},
};

static const struct schema_key count_keys[] = {
	{"min", false}, {"max", false},
	{NULL, false},
};

static const struct schema_key capture_keys[] = {
	{"path", true}, {"default", false},
	{NULL, false},
};

static const char *const type_names[] = {"object", "array", "string", "number", "boolean", "null"};

struct capture {
	char *name;
	const struct node *node;         /* the path's scalar */
	struct jsonpath *path;
	json_t *def;                     /* NULL: the path must select a node */
};

struct expect_json {
	const struct node *path_node;
	struct jsonpath *path;           /* NULL: no assertions, only captures */
	struct tmpl *subject;            /* NULL: the body of the previous sibling */
	json_t *equals;
	char *matches;
	const struct node *matches_node;
	struct regex *re;                /* compiled by check */
	int exists;                      /* -1: not given */
	long long count_min, count_max;  /* -1: not given */
	int type;                        /* index in type_names, -1: not given */
	struct capture *caps;
	size_t ncaps;
};

static char *expect_json_dump(const json_t *v);

/* The JSON value a YAML node stands for, as http-call's json: writes it: plain scalars that read as
 * JSON literals (numbers, true, false, null) are those; every other scalar is a string. */
static json_t *
expect_json_value(const struct node *n, struct diag *d)
{
	json_t *v, *k;
	json_error_t je;
	size_t i;

	switch (n->type) {
	case NODE_SCALAR:
		if (n->plain && n->len && !memchr(n->str, '\0', n->len) &&
		    (strchr("-0123456789", n->str[0]) || !strcmp(n->str, "true") || !strcmp(n->str, "false") ||
		    !strcmp(n->str, "null"))) {
			if ((v = json_loadb(n->str, n->len, JSON_DECODE_ANY, &je)) && !json_is_object(v) && !json_is_array(v))
				return v;
			json_decref(v);
			if (n->str[0] == '-' || (n->str[0] >= '0' && n->str[0] <= '9')) {
				if (strspn(n->str, "-+0123456789.eE") == n->len) {
					diag_at(d, n, "'%s' is not a JSON number (quote it to compare a string)", n->str);
					return NULL;
				}
			}
		}
		if (!(v = json_stringn(n->str, n->len)))
			diag_at(d, n, "not valid UTF-8");
		return v;
	case NODE_SEQ:
		v = json_array();
		for (i = 0; i < n->nkids; i++) {
			if (!(k = expect_json_value(n->kids[i], d))) {
				json_decref(v);
				return NULL;
			}
			json_array_append_new(v, k);
		}
		return v;
	case NODE_MAP:
		v = json_object();
		for (i = 0; i + 1 < n->nkids; i += 2) {
			if (!(k = expect_json_value(n->kids[i + 1], d))) {
				json_decref(v);
				return NULL;
			}
			json_object_setn_new(v, n->kids[i]->str, n->kids[i]->len, k);
		}
		return v;
	}
	return NULL;
}

/* Parses scalar n as a JSONPath query; errors point at the column of the problem. */
static struct jsonpath *
expect_json_path(const struct node *n, struct diag *d)
{
	struct jsonpath *p;
	char *err;
	size_t off;
	int line, col;

	if (n->type != NODE_SCALAR) {
		diag_at(d, n, "a JSONPath query must be a string, not %s", node_type_name(n));
		return NULL;
	}
	if (!(p = jsonpath_parse(n->str, n->len, &err, &off))) {
		node_pos(n, off, &line, &col);
		diag_error(d, line, col, "bad JSONPath query: %s", err);
		free(err);
	}
	return p;
}

static int
expect_json_load_count(struct expect_json *x, const struct node *n, struct diag *d)
{
	const struct node *m;

	if (n->type == NODE_SCALAR) {
		if (value_int(n, d, 0, 1000000000, &x->count_min) < 0)
			return -1;
		x->count_max = x->count_min;
		return 0;
	}
	if (!schema_check(n, count_keys, "count", d))
		return -1;
	x->count_min = 0;
	x->count_max = 1000000000;
	if ((m = node_get(n, "min")) && value_int(m, d, 0, 1000000000, &x->count_min) < 0)
		return -1;
	if ((m = node_get(n, "max")) && value_int(m, d, 0, 1000000000, &x->count_max) < 0)
		return -1;
	if (x->count_min > x->count_max) {
		diag_at(d, n, "count: min %lld is above max %lld", x->count_min, x->count_max);
		return -1;
	}
	return 0;
}

static int
expect_json_load_captures(struct expect_json *x, const struct node *n, struct diag *d)
{
	size_t i, j;
	int rc = 0;

	if (n->type != NODE_MAP) {
		diag_at(d, n, "capture must be a mapping of NAME: PATH, not %s", node_type_name(n));
		return -1;
	}
	x->caps = xcalloc(n->nkids / 2 + 1, sizeof(*x->caps));
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct node *k = n->kids[i], *v = n->kids[i + 1], *p = v;
		struct capture *c = &x->caps[x->ncaps++];

		c->name = xstrdup(k->str);
		for (j = 0; j < k->len; j++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", k->str[j]))
				break;
		if (!k->len || j < k->len) {
			diag_at(d, k, "capture name '%s': use letters, digits, '_' and '-'", k->str);
			rc = -1;
		}
		if (v->type == NODE_MAP) {
			if (!schema_check(v, capture_keys, "capture", d)) {
				rc = -1;
				continue;
			}
			p = node_get(v, "path");
			if (node_get(v, "default") && !(c->def = expect_json_value(node_get(v, "default"), d)))
				rc = -1;
		}
		c->node = p;
		if (!(c->path = expect_json_path(p, d)))
			rc = -1;
	}
	return rc;
}

static int
expect_json_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	struct expect_json *x = s->data = xcalloc(1, sizeof(*x));
	const struct node *n;
	bool asserts = false;
	int rc = 0;

	x->exists = x->type = -1;
	x->count_min = x->count_max = -1;
	if (v->type == NODE_SCALAR) {
		x->path_node = v;
	} else if (schema_check(v, expect_json_keys, "expect-json", lc->d) || v->type == NODE_MAP) {
		x->path_node = node_get(v, "path");
		if ((n = node_get(v, "subject")) && !(x->subject = plan_tmpl(lc, s, n, TTYPE_STRING)))
			rc = -1;
		if ((n = node_get(v, "equals")) && !(x->equals = expect_json_value(n, lc->d)))
			rc = -1;
		if ((n = node_get(v, "matches")) && !(x->matches = value_string(n, lc->d, "matches")))
			rc = -1;
		x->matches_node = n;
		if ((n = node_get(v, "exists"))) {
			bool b = false;

			if (value_bool(n, lc->d, &b) < 0)
				rc = -1;
			x->exists = b;
		}
		if ((n = node_get(v, "count")) && expect_json_load_count(x, n, lc->d) < 0)
			rc = -1;
		if ((n = node_get(v, "type"))) {
			size_t i;

			for (i = 0; i < LEN(type_names); i++)
				if (node_is(n, type_names[i]))
					x->type = (int)i;
			if (x->type < 0) {
				diag_at(lc->d, n, "type must be one of object, array, string, number, boolean, null");
				rc = -1;
			}
		}
		if ((n = node_get(v, "capture")) && expect_json_load_captures(x, n, lc->d) < 0)
			rc = -1;
		asserts = node_get(v, "equals") || node_get(v, "matches") || node_get(v, "exists") ||
		    node_get(v, "count") || node_get(v, "type");
		if (asserts && !x->path_node) {
			diag_at(lc->d, v, "expect-json: equals, matches, exists, count and type need a path");
			rc = -1;
		} else if (!x->path_node && !node_get(v, "capture")) {
			diag_at(lc->d, v, "expect-json needs a path, a capture, or both");
			rc = -1;
		}
	} else {
		rc = -1;
	}
	if (x->path_node && !(x->path = expect_json_path(x->path_node, lc->d)))
		rc = -1;
	if (x->path && !asserts && v->type == NODE_MAP)
		x->exists = 1;               /* a bare path must select something */
	if (v->type == NODE_SCALAR)
		x->exists = 1;
	return rc;
}

static void
expect_json_check(struct step *s, struct plan *p, struct diag *d)
{
	struct expect_json *x = s->data;

	(void)p;
	if (x->matches)
		x->re = step_regex(x->matches, x->matches_node, d);
	step_subject_check(s, x->subject, d);
}

static bool
expect_json_has_field(const struct step *s, const char *field)
{
	const struct expect_json *x = s->data;
	size_t i;

	for (i = 0; i < x->ncaps; i++)
		if (strcmp(x->caps[i].name, field) == 0)
			return true;
	return false;
}

/* The assertions, as words: "$.code == 0, exists". */
static void
expect_json_what(const struct expect_json *x, struct buf *out)
{
	const char *sep = "";
	char *v;

	if (!x->path) {
		buf_adds(out, "captures");
		return;
	}
	buf_adds(out, jsonpath_text(x->path));
	if (x->equals) {
		v = expect_json_dump(x->equals);
		buf_printf(out, " == %s", v ? v : "?");
		free(v);
		sep = ",";
	}
	if (x->matches) {
		buf_printf(out, "%s matches /%s/", sep, x->matches);
		sep = ",";
	}
	if (x->type >= 0) {
		buf_printf(out, "%s is %s %s", sep, x->type == 0 || x->type == 1 ? "an" : "a", type_names[x->type]);
		sep = ",";
	}
	if (x->count_min >= 0) {
		if (x->count_min == x->count_max)
			buf_printf(out, "%s selects %lld", sep, x->count_min);
		else
			buf_printf(out, "%s selects %lld to %lld", sep, x->count_min, x->count_max);
		sep = ",";
	}
	if (x->exists >= 0)
		buf_printf(out, "%s %s", sep, x->exists ? "exists" : "does not exist");
}

static void
expect_json_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct expect_json *x = s->data;
	size_t i;

	step_subject_describe(s, x->subject, env, out);
	buf_adds(out, ": ");
	expect_json_what(x, out);
	for (i = 0; i < x->ncaps; i++) {
		buf_printf(out, "%s%s = %s", i ? ", " : "; capture ", x->caps[i].name, jsonpath_text(x->caps[i].path));
		if (x->caps[i].def) {
			char *v = expect_json_dump(x->caps[i].def);

			buf_printf(out, " (default %s)", v ? v : "?");
			free(v);
		}
	}
}

/* v as compact JSON (newly allocated, NULL when it cannot be written), with numbers in the fewest
 * digits that read back the same (8.95, not 8.9499999999999993). */
static char *
expect_json_dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	json_t *back = s ? json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;

	if (!back || !jsonpath_equal(back, v)) {
		free(s);
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
	json_decref(back);
	return s;
}

/* Appends v as compact JSON, an excerpt of at most EXPECT_JSON_SHOW bytes (log_excerpt). */
static void
show(struct buf *out, const json_t *v)
{
	char *s = expect_json_dump(v);

	if (!s) {
		buf_adds(out, "?");
		return;
	}
	log_excerpt(out, s, strlen(s), EXPECT_JSON_SHOW);
	free(s);
}

static int
json_depth(const json_t *v, int depth)
{
	size_t i;
	const char *k;
	json_t *c;
	int d, max = depth;

	if (depth > EXPECT_JSON_MAX_DEPTH)
		return depth;
	if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			if ((d = json_depth(c, depth + 1)) > max && (max = d) > EXPECT_JSON_MAX_DEPTH)
				break;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, c)
			if ((d = json_depth(c, depth + 1)) > max && (max = d) > EXPECT_JSON_MAX_DEPTH)
				break;
	}
	return max;
}

/* Why query p selected nothing: "$.data.status: nothing selected ($.data has keys: ip, port)". */
static void
nothing_selected(struct buf *out, const struct jsonpath *p, json_t *doc)
{
	struct jsonpath_nodes l = {0};
	size_t n = jsonpath_nsegments(p);
	const char *text = jsonpath_text(p);

	buf_printf(out, "%s: nothing selected", text);
	while (n > 0) {
		n--;
		if (jsonpath_eval(p, n, doc, &l) != JSONPATH_OK || l.n == 0)
			continue;
		buf_printf(out, " (%.*s ", (int)jsonpath_prefix_len(p, n), text);
		if (l.n > 1) {
			buf_printf(out, "selects %zu nodes)", l.n);
		} else if (json_is_object(l.v[0])) {
			const char *k;
			json_t *c;
			size_t i = 0;

			if (json_object_size(l.v[0]) == 0)
				buf_adds(out, "is an empty object");
			else
				buf_adds(out, "has keys: ");
			json_object_foreach(l.v[0], k, c) {
				if (i == EXPECT_JSON_SHOW_KEYS) {
					buf_printf(out, ", ... (%zu in all)", json_object_size(l.v[0]));
					break;
				}
				buf_adds(out, i++ ? ", " : "");
				log_excerpt(out, k, strlen(k), EXPECT_JSON_SHOW);
			}
			buf_addc(out, ')');
		} else if (json_is_array(l.v[0])) {
			buf_printf(out, "is an array of %zu)", json_array_size(l.v[0]));
		} else {
			buf_adds(out, "is ");
			show(out, l.v[0]);
			buf_addc(out, ')');
		}
		break;
	}
	jsonpath_nodes_free(&l);
}

static int
json_type_index(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return 0;
	case JSON_ARRAY: return 1;
	case JSON_STRING: return 2;
	case JSON_INTEGER:
	case JSON_REAL: return 3;
	case JSON_TRUE:
	case JSON_FALSE: return 4;
	case JSON_NULL: return 5;
	}
	return 5;
}

/* "$.code is 500" or, for one of several nodes, "$.a[*] selects 3 nodes; node 2 is 500". */
static void
name_node(struct buf *out, const struct jsonpath *p, size_t n, size_t i)
{
	if (n == 1)
		buf_printf(out, "%s is ", jsonpath_text(p));
	else
		buf_printf(out, "%s selects %zu nodes; node %zu is ", jsonpath_text(p), n, i + 1);
}

/* Checks the assertions on the nodes in l; returns false with the reason in why. */
static bool
expect_json_assert(const struct expect_json *x, json_t *doc, const struct jsonpath_nodes *l, struct buf *why)
{
	size_t i;

	if (x->exists == 1 && l->n == 0) {
		nothing_selected(why, x->path, doc);
		return false;
	}
	if (x->exists == 0 && l->n > 0) {
		name_node(why, x->path, l->n, 0);
		show(why, l->v[0]);
		buf_adds(why, ", expected nothing");
		return false;
	}
	if (x->count_min >= 0 && ((long long)l->n < x->count_min || (long long)l->n > x->count_max)) {
		buf_printf(why, "%s selects %zu node%s, expected ", jsonpath_text(x->path), l->n, l->n == 1 ? "" : "s");
		if (x->count_min == x->count_max)
			buf_printf(why, "%lld", x->count_min);
		else
			buf_printf(why, "%lld to %lld", x->count_min, x->count_max);
		return false;
	}
	if ((x->equals || x->matches || x->type >= 0) && l->n == 0) {
		nothing_selected(why, x->path, doc);
		return false;
	}
	for (i = 0; i < l->n; i++) {
		json_t *v = l->v[i];
		int t = json_type_index(v);

		if (x->type >= 0 && t != x->type) {
			name_node(why, x->path, l->n, i);
			buf_printf(why, "%s %s (", t <= 1 ? "an" : "a", type_names[t]);
			show(why, v);
			buf_printf(why, "), expected %s %s", x->type <= 1 ? "an" : "a", type_names[x->type]);
			return false;
		}
		if (x->equals && !jsonpath_equal(v, x->equals)) {
			name_node(why, x->path, l->n, i);
			show(why, v);
			buf_adds(why, ", expected ");
			show(why, x->equals);
			return false;
		}
		if (x->re) {
			enum regex_result r;

			if (!json_is_string(v)) {
				name_node(why, x->path, l->n, i);
				buf_printf(why, "%s %s (", t <= 1 ? "an" : "a", type_names[t]);
				show(why, v);
				buf_printf(why, "), not a string to match /%s/", x->matches);
				return false;
			}
			r = regex_match(x->re, json_string_value(v), json_string_length(v));
			if (r == REGEX_LIMIT) {
				buf_printf(why, "the pattern hit the match limit on %s (%zu bytes)", jsonpath_text(x->path),
				    json_string_length(v));
				return false;
			}
			if (r != REGEX_MATCH) {
				name_node(why, x->path, l->n, i);
				show(why, v);
				buf_printf(why, ", no match for /%s/", x->matches);
				return false;
			}
		}
	}
	return true;
}

static int
expect_json_start(struct exec *e)
{
	const struct expect_json *x = e->step->data;
	struct buf what = {0}, why = {0};
	struct jsonpath_nodes l = {0};
	struct subject sub;
	const char *subject;
	json_error_t je;
	json_t *doc = NULL;
	size_t len, i;
	int rc = EXEC_OK;

	expect_json_what(x, &what);
	if (exec_subject(e, x->subject, &sub) < 0) {
		if (sub.label)
			exec_detail(e, "%s: %s", sub.label, what.s);
		rc = EXEC_FAILED;
		goto out;
	}
	exec_detail(e, "%s: %s", sub.label, what.s);
	subject = sub.bytes;
	len = sub.len;
	doc = json_loadb(subject, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	/* An integer beyond 64 bits (an unsigned ID): read every integer as a double instead, as
	 * JavaScript would; comparisons are by value, so 0 still equals 0. */
	if (!doc && json_error_code(&je) == json_error_numeric_overflow && strstr(je.text, "integer"))
		doc = json_loadb(subject, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &je);
	if (!doc) {
		if (len == 0)
			rc = exec_fail(e, "reply is not JSON: it is empty");
		else
			rc = exec_fail(e, "reply is not JSON: line %d column %d: %s", je.line, je.column, je.text);
		goto out;
	}
	if (json_depth(doc, 1) > EXPECT_JSON_MAX_DEPTH) {
		rc = exec_fail(e, "reply is nested deeper than %d levels", EXPECT_JSON_MAX_DEPTH);
		goto out;
	}
	if (x->path) {
		if (jsonpath_eval(x->path, SIZE_MAX, doc, &l) != JSONPATH_OK) {
			rc = exec_fail(e, "%s visits too many nodes of this %zu-byte reply", jsonpath_text(x->path), len);
			goto out;
		}
		if (!expect_json_assert(x, doc, &l, &why)) {
			rc = exec_fail(e, "%s", why.s);
			goto out;
		}
	}
	for (i = 0; i < x->ncaps; i++) {
		const struct capture *c = &x->caps[i];
		const json_t *v;
		char *s;

		if (jsonpath_eval(c->path, SIZE_MAX, doc, &l) != JSONPATH_OK) {
			rc = exec_fail(e, "capture %s: %s visits too many nodes of this %zu-byte reply", c->name,
			    jsonpath_text(c->path), len);
			goto out;
		}
		if (l.n > 1) {
			rc = exec_fail(e, "capture %s: %s selects %zu nodes, a capture needs one", c->name,
			    jsonpath_text(c->path), l.n);
			goto out;
		}
		if (l.n == 0 && !c->def) {
			buf_free(&why);
			nothing_selected(&why, c->path, doc);
			rc = exec_fail(e, "capture %s: %s (give it a default to go on without it)", c->name, why.s);
			goto out;
		}
		v = l.n ? l.v[0] : c->def;
		if (json_is_real(v) && json_real_value(v) > -9007199254740992.0 && json_real_value(v) < 9007199254740992.0 &&
		    json_real_value(v) == (double)(long long)json_real_value(v)) {
			/* an integer read as a double (see above, or 8080.0 in the reply): no ".0" */
			s = xasprintf("%lld", (long long)json_real_value(v));
			exec_output(e, c->name, s, strlen(s));
			free(s);
		} else if (json_is_string(v)) {
			exec_output(e, c->name, json_string_value(v), json_string_length(v));
		} else {
			s = expect_json_dump(v);
			exec_output(e, c->name, s ? s : "", s ? strlen(s) : 0);
			free(s);
		}
	}
out:
	jsonpath_nodes_free(&l);
	json_decref(doc);
	subject_free(&sub);
	buf_free(&what);
	buf_free(&why);
	return rc;
}

static void
expect_json_free(void *data)
{
	struct expect_json *x = data;
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->ncaps; i++) {
		free(x->caps[i].name);
		jsonpath_free(x->caps[i].path);
		json_decref(x->caps[i].def);
	}
	free(x->caps);
	jsonpath_free(x->path);
	json_decref(x->equals);
	regex_free(x->re);
	free(x->matches);
	free(x);
}

const struct step_kind step_expect_json_kind = {
	.name = "expect-json",
	.keys = expect_json_keys,
	.load = expect_json_load,
	.check = expect_json_check,
	.has_field = expect_json_has_field,
	.describe = expect_json_describe,
	.start = expect_json_start,
	.free = expect_json_free,
};
