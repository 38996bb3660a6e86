/* step-http-call.c: the http-call step: one HTTP request, its status check and its outputs. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "node.h"
#include "step.h"
#include "util.h"

#define HTTP_DEFAULT_CONNECT_MS 3000
#define HTTP_DEFAULT_TIMEOUT_MS 10000
#define HTTP_DEFAULT_MAX_BODY (1024 * 1024)
#define HTTP_LIMIT_MAX_BODY (64 * 1024 * 1024)

static const struct schema_key http_call_keys[] = {
	{"url", true}, {"method", false}, {"headers", false}, {"body", false}, {"json", false},
	{"connect-timeout", false}, {"timeout", false}, {"expect-status", false}, {"max-body", false},
	{"tls", false}, {"follow-redirects", false}, {"unix-socket", false},
	{NULL, false},
};

static const struct schema_key tls_keys[] = {
	{"ca-file", false}, {"client-cert", false}, {"client-key", false}, {"insecure", false},
	{NULL, false},
};

struct status_range {
	int lo, hi;
};

struct http_header_tmpl {
	char *name;
	struct tmpl *value;
};

struct http_call {
	char *method;
	struct tmpl *url;
	struct http_header_tmpl *headers;
	size_t nheaders;
	bool has_content_type;
	struct tmpl *body;
	const struct node *json;          /* the YAML value sent as JSON */
	struct tmpl **json_strings;       /* its string leaves, in document order */
	size_t njson;
	struct tmpl *connect_timeout, *timeout;
	struct status_range *status;      /* NULL: any 2xx */
	size_t nstatus;
	bool any_status;
	size_t max_body;
	bool follow, insecure;
	char *ca_file, *client_cert, *client_key, *unix_socket;
};

struct http_call_state {
	struct http *h;
	char *shown_url;                  /* the URL with secrets masked */
	char **headers;
	size_t nheaders;
};

static int
parse_status_item(const struct node *n, struct http_call *c, struct diag *d)
{
	const char *s = n->type == NODE_SCALAR ? n->str : "";
	long long code;

	if (strcmp(s, "any") == 0) {
		c->any_status = true;
		return 0;
	}
	c->status = xgrow(c->status, c->nstatus, sizeof(*c->status));
	if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1] == 'x' && s[2] == 'x') {
		c->status[c->nstatus].lo = (s[0] - '0') * 100;
		c->status[c->nstatus++].hi = (s[0] - '0') * 100 + 99;
		return 0;
	}
	if (value_int(n, d, (long long)schema_range("http-call.expect-status")->min,
	    (long long)schema_range("http-call.expect-status")->max, &code) < 0)
		return -1;
	c->status[c->nstatus].lo = c->status[c->nstatus].hi = (int)code;
	c->nstatus++;
	return 0;
}

static int
parse_status(const struct node *n, struct http_call *c, struct diag *d)
{
	size_t i;

	if (n->type != NODE_SEQ)
		return parse_status_item(n, c, d);
	if (n->nkids == 0) {
		diag_at(d, n, "expect-status needs at least one code or class");
		return -1;
	}
	for (i = 0; i < n->nkids; i++)
		if (parse_status_item(n->kids[i], c, d) < 0)
			return -1;
	return 0;
}

static int
parse_size(const struct node *n, size_t *out, struct diag *d)
{
	char *end;
	unsigned long long v;
	const char *s = n->type == NODE_SCALAR ? n->str : "";

	unsigned long long unit = 1;

	v = strtoull(s, &end, 10);
	if (end == s || *s < '0' || *s > '9')
		goto bad;
	if (strcmp(end, "KiB") == 0 || strcmp(end, "k") == 0)
		unit = 1024;
	else if (strcmp(end, "MiB") == 0 || strcmp(end, "M") == 0)
		unit = 1024 * 1024;
	else if (*end)
		goto bad;
	/* Compare before multiplying, so that huge values cannot wrap around. */
	if (v < 1 || v > HTTP_LIMIT_MAX_BODY / unit) {
		diag_at(d, n, "max-body must be from 1 byte to 64MiB");
		return -1;
	}
	*out = (size_t)(v * unit);
	return 0;
bad:
	diag_at(d, n, "'%s': expected a size (bytes, or N followed by KiB or MiB)", s);
	return -1;
}

static bool
valid_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

static int
key_casecmp(const void *a, const void *b)
{
	const struct node *x = *(const struct node *const *)a, *y = *(const struct node *const *)b;
	int c = strcasecmp(x->str, y->str);

	return c ? c : (x->line != y->line ? x->line - y->line : x->col - y->col);
}

/* Returns -1 (with an error) when a header name of map n is set twice: names are case-insensitive,
 * and both values would be sent. Sorted, so that thousands of headers stay cheap. */
static int
headers_twice(const struct node *n, struct diag *d)
{
	size_t nkeys = n->nkids / 2, i;
	const struct node **keys = xreallocarray(NULL, nkeys ? nkeys : 1, sizeof(*keys));
	int rc = 0;

	for (i = 0; i < nkeys; i++)
		keys[i] = n->kids[2 * i];
	qsort(keys, nkeys, sizeof(*keys), key_casecmp);
	for (i = 1; i < nkeys && rc == 0; i++) {
		if (strcasecmp(keys[i - 1]->str, keys[i]->str) == 0) {
			diag_at(d, keys[i], "header '%s' is set twice (first as '%s' at line %d); header names are "
			    "case-insensitive", keys[i]->str, keys[i - 1]->str, keys[i - 1]->line);
			rc = -1;
		}
	}
	free(keys);
	return rc;
}

static int
load_headers(struct step *s, const struct node *n, struct http_call *c, struct load_ctx *lc)
{
	size_t i;

	if (n->type != NODE_MAP) {
		diag_at(lc->d, n, "headers must be a mapping of names to values");
		return -1;
	}
	if (headers_twice(n, lc->d) < 0)
		return -1;
	for (i = 0; i + 1 < n->nkids; i += 2) {
		const struct node *k = n->kids[i];
		struct http_header_tmpl *h;

		if (!valid_token(k->str)) {
			diag_at(lc->d, k, "'%s' is not a valid header name", k->str);
			return -1;
		}
		if (strcasecmp(k->str, "content-length") == 0 || strcasecmp(k->str, "transfer-encoding") == 0) {
			diag_at(lc->d, k, "header '%s' is set from the body: leave it out", k->str);
			return -1;
		}
		c->headers = xgrow(c->headers, c->nheaders, sizeof(*c->headers));
		h = &c->headers[c->nheaders++];
		h->name = xstrdup(k->str);
		h->value = plan_tmpl(lc, s, n->kids[i + 1], TTYPE_HEADER);
		if (!h->value)
			return -1;
		if (strcasecmp(k->str, "content-type") == 0)
			c->has_content_type = true;
	}
	return 0;
}

/* JSON bodies: plain scalars that look like JSON literals stay literals; other strings are templates. */
static bool
json_literal(const struct node *n)
{
	const char *s = n->str;
	char *end;

	if (!n->plain)
		return false;
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || strcmp(s, "null") == 0)
		return true;
	/* A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
	end = (char *)s;
	if (*end == '-')
		end++;
	if (*end == '0')
		end++;
	else if (*end >= '1' && *end <= '9')
		while (*end >= '0' && *end <= '9')
			end++;
	else
		return false;
	if (*end == '.') {
		if (!(*++end >= '0' && *end <= '9'))
			return false;
		while (*end >= '0' && *end <= '9')
			end++;
	}
	if (*end == 'e' || *end == 'E') {
		end++;
		if (*end == '+' || *end == '-')
			end++;
		if (!(*end >= '0' && *end <= '9'))
			return false;
		while (*end >= '0' && *end <= '9')
			end++;
	}
	return *end == '\0';
}

static int
load_json(struct step *s, const struct node *n, struct http_call *c, struct load_ctx *lc)
{
	size_t i;

	if (n->type == NODE_SCALAR) {
		if (json_literal(n))
			return 0;
		c->json_strings = xgrow(c->json_strings, c->njson, sizeof(*c->json_strings));
		c->json_strings[c->njson] = plan_tmpl(lc, s, n, TTYPE_STRING);
		return c->json_strings[c->njson++] ? 0 : -1;
	}
	for (i = 0; n->type == NODE_MAP && i < n->nkids; i += 2) {
		if (memchr(n->kids[i]->str, '\0', n->kids[i]->len)) {
			diag_at(lc->d, n->kids[i], "strings may not contain a NUL character");
			return -1;
		}
	}
	for (i = n->type == NODE_MAP ? 1 : 0; i < n->nkids; i += n->type == NODE_MAP ? 2 : 1)
		if (load_json(s, n->kids[i], c, lc) < 0)
			return -1;
	return 0;
}

static char *
opt_string(const struct node *v, const char *key, struct diag *d, int *rc)
{
	const struct node *n = node_get(v, key);
	char *s;

	if (!n)
		return NULL;
	if (!(s = value_string(n, d, key)))
		*rc = -1;
	return s;
}

static void http_call_free(void *data);

static int
load_tls(const struct node *n, struct http_call *c, struct diag *d)
{
	int rc = 0;
	const struct node *v;

	if (!schema_check(n, tls_keys, "tls", d))
		return -1;
	c->ca_file = opt_string(n, "ca-file", d, &rc);
	c->client_cert = opt_string(n, "client-cert", d, &rc);
	c->client_key = opt_string(n, "client-key", d, &rc);
	if ((v = node_get(n, "insecure")) && value_bool(v, d, &c->insecure) < 0)
		rc = -1;
	return rc;
}

static int
http_call_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	struct http_call *c;
	const struct node *n;
	int rc = 0;

	/* Unknown keys are reported but do not stop loading, so later checks still run. */
	if (!schema_check(v, http_call_keys, "http-call", lc->d) && v->type != NODE_MAP)
		return -1;
	c = s->data = xcalloc(1, sizeof(*c));
	c->max_body = HTTP_DEFAULT_MAX_BODY;
	if (node_get(v, "url") && !(c->url = plan_tmpl(lc, s, node_get(v, "url"), TTYPE_URL)))
		rc = -1;
	if ((n = node_get(v, "method"))) {
		c->method = value_string(n, lc->d, "method");
		if (c->method && !valid_token(c->method)) {
			diag_at(lc->d, n, "'%s' is not a valid HTTP method", c->method);
			rc = -1;
		}
	}
	if ((n = node_get(v, "headers")) && load_headers(s, n, c, lc) < 0)
		rc = -1;
	if (node_get(v, "body") && node_get(v, "json")) {
		diag_at(lc->d, node_get(v, "json"), "http-call takes body or json, not both");
		rc = -1;
	}
	if ((n = node_get(v, "body")) && !(c->body = plan_tmpl(lc, s, n, TTYPE_STRING)))
		rc = -1;
	if ((n = node_get(v, "json"))) {
		c->json = n;
		rc |= load_json(s, n, c, lc);
	}
	if ((n = node_get(v, "connect-timeout")) && !(c->connect_timeout = plan_tmpl(lc, s, n, TTYPE_TIMEOUT)))
		rc = -1;
	if ((n = node_get(v, "timeout")) && !(c->timeout = plan_tmpl(lc, s, n, TTYPE_TIMEOUT)))
		rc = -1;
	if ((n = node_get(v, "expect-status")) && parse_status(n, c, lc->d) < 0)
		rc = -1;
	if ((n = node_get(v, "max-body")) && parse_size(n, &c->max_body, lc->d) < 0)
		rc = -1;
	if ((n = node_get(v, "follow-redirects")) && value_bool(n, lc->d, &c->follow) < 0)
		rc = -1;
	if ((n = node_get(v, "tls")) && load_tls(n, c, lc->d) < 0)
		rc = -1;
	c->unix_socket = opt_string(v, "unix-socket", lc->d, &rc);
	if (c->unix_socket && !*c->unix_socket) {
		diag_at(lc->d, node_get(v, "unix-socket"), "unix-socket needs a path");
		rc = -1;
	}
	return rc < 0 || !c->url ? -1 : 0;
}

static const char *
http_call_method(const struct http_call *c)
{
	if (c->method)
		return c->method;
	return c->body || c->json ? "POST" : "GET";
}

static int64_t
http_call_worst(const struct step *s)
{
	const struct http_call *c = s->data;

	return tmpl_ms(c->timeout, HTTP_DEFAULT_TIMEOUT_MS);
}

static int64_t
http_call_need(const struct step *s)
{
	const struct http_call *c = s->data;
	int64_t conn = tmpl_ms(c->connect_timeout, HTTP_DEFAULT_CONNECT_MS);
	int64_t total = http_call_worst(s);

	return conn < total ? conn : total;
}

static bool
http_call_has_field(const struct step *s, const char *field)
{
	(void)s;
	return strcmp(field, "status") == 0 || strcmp(field, "body") == 0 || strcmp(field, "time") == 0 ||
	    (strncmp(field, "headers.", 8) == 0 && field[8]);
}

static size_t
http_call_fields(const struct step *s, const char **names, size_t max)
{
	static const char *const fields[] = {"status", "body", "time", "headers.NAME"};
	size_t i;

	(void)s;
	for (i = 0; i < LEN(fields) && i < max; i++)
		names[i] = fields[i];
	return i;
}

static void
http_call_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct http_call *c = s->data;
	char *err = NULL;

	buf_printf(out, "%s ", http_call_method(c));
	if (tmpl_render(c->url, env, out, &err) < 0) {
		buf_adds(out, "(URL not known yet)");
		free(err);
	}
}

/* What renders the templates of a request: the run (e), or explain's environment (env). */
struct renderer {
	struct exec *e;
	const struct tmpl_env *env;
};

static int
render(const struct renderer *r, const struct tmpl *t, struct buf *out)
{
	char *err = NULL;

	if (r->e)
		return exec_render(r->e, t, out);
	if (tmpl_render(t, r->env, out, &err) < 0)
		buf_adds(out, "?");
	free(err);
	return 0;
}

/* Renders the JSON body: the YAML value with its string leaves rendered as templates. */
static int
render_json(const struct http_call *c, const struct renderer *r, const struct node *n, size_t *next,
    struct buf *out)
{
	struct buf s = {0};
	size_t i;

	switch (n->type) {
	case NODE_SCALAR:
		if (json_literal(n)) {
			buf_adds(out, n->str);
			return 0;
		}
		if (render(r, c->json_strings[(*next)++], &s) < 0)
			return -1;
		json_escape(out, s.s, s.len);
		buf_free(&s);
		return 0;
	case NODE_SEQ:
	case NODE_MAP:
		buf_addc(out, n->type == NODE_SEQ ? '[' : '{');
		for (i = 0; i < n->nkids; i++) {
			if (i)
				buf_addc(out, n->type == NODE_MAP && i % 2 ? ':' : ',');
			if (n->type == NODE_MAP && i % 2 == 0)
				json_escape(out, n->kids[i]->str, n->kids[i]->len);
			else if (render_json(c, r, n->kids[i], next, out) < 0)
				return -1;
		}
		buf_addc(out, n->type == NODE_SEQ ? ']' : '}');
		return 0;
	}
	return 0;
}

/* For explain and --dry-run: the request's headers and body, one line each (secrets masked by
 * env and by the log's mask). */
static void
http_call_details(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct http_call *c = s->data;
	const struct renderer r = {.env = env};
	struct buf v = {0};
	size_t i, next = 0;

	for (i = 0; i < c->nheaders; i++) {
		buf_printf(out, "header %s: ", c->headers[i].name);
		render(&r, c->headers[i].value, out);
		buf_addc(out, '\n');
	}
	if (c->body)
		render(&r, c->body, &v);
	else if (c->json)
		render_json(c, &r, c->json, &next, &v);
	if (c->body || c->json) {
		buf_adds(out, c->body ? "body: '" : "json: ");
		log_excerpt(out, v.s ? v.s : "", v.len, LOG_EXCERPT_MAX);
		buf_adds(out, c->body ? "'\n" : "\n");
	}
	buf_free(&v);
}

static int
build_headers(struct exec *e, struct http_call_state *st)
{
	const struct http_call *c = e->step->data;
	size_t i;

	st->headers = xcalloc(c->nheaders + 1, sizeof(*st->headers));
	for (i = 0; i < c->nheaders; i++) {
		struct buf b = {0};

		buf_printf(&b, "%s: ", c->headers[i].name);
		if (exec_render(e, c->headers[i].value, &b) < 0) {
			buf_free(&b);
			return -1;
		}
		if (strlen(b.s) != b.len || strpbrk(b.s, "\r\n")) {
			buf_free(&b);
			return exec_fail(e, "header %s: value contains CR, LF or NUL", c->headers[i].name), -1;
		}
		st->headers[st->nheaders++] = buf_take(&b);
	}
	if (c->json && !c->has_content_type)
		st->headers[st->nheaders++] = xstrdup("Content-Type: application/json");
	return 0;
}

static int
http_call_start(struct exec *e)
{
	const struct http_call *c = e->step->data;
	struct http_call_state *st = xcalloc(1, sizeof(*st));
	struct http_request req = {0};
	struct buf url = {0}, body = {0}, shown = {0};
	struct tmpl_env env = exec_tmpl_env(e, true);
	const char *why;
	char *err = NULL;
	size_t next = 0;
	int rc = EXEC_RUNNING;

	e->state = st;
	if (exec_render(e, c->url, &url) < 0) {
		rc = EXEC_FAILED;
		goto out;
	}
	tmpl_render(c->url, &env, &shown, &err);
	free(err);
	err = NULL;
	st->shown_url = buf_take(&shown);
	if (c->url->dynamic && (why = tmpl_check_value(c->url, url.s, url.len))) {
		rc = exec_fail(e, "'%s': %s", st->shown_url, why);
		goto out;
	}
	if (build_headers(e, st) < 0 ||
	    (c->body && exec_render(e, c->body, &body) < 0) ||
	    (c->json && render_json(c, &(struct renderer){.e = e}, c->json, &next, &body) < 0)) {
		rc = EXEC_FAILED;
		goto out;
	}
	req.method = http_call_method(c);
	req.url = url.s;
	req.headers = st->headers;
	req.nheaders = st->nheaders;
	if (c->body || c->json) {
		req.body = body.s ? body.s : "";
		req.body_len = body.len;
	}
	req.timeout = exec_clip(e, tmpl_ms(c->timeout, HTTP_DEFAULT_TIMEOUT_MS));
	req.connect_timeout = exec_clip(e, tmpl_ms(c->connect_timeout, HTTP_DEFAULT_CONNECT_MS));
	req.max_body = c->max_body;
	req.follow = c->follow;
	req.ca_file = c->ca_file;
	req.client_cert = c->client_cert;
	req.client_key = c->client_key;
	req.insecure = c->insecure;
	req.unix_socket = c->unix_socket;
	st->h = http_start(exec_loop(e), &req, &err);
	if (!st->h) {
		rc = exec_fail(e, "%s", err);
		free(err);
	}
out:
	buf_free(&url);
	buf_free(&body);
	return rc;
}

static bool
status_ok(const struct http_call *c, long status)
{
	size_t i;

	if (c->any_status)
		return true;
	if (!c->nstatus)
		return status >= 200 && status <= 299;
	for (i = 0; i < c->nstatus; i++)
		if (status >= c->status[i].lo && status <= c->status[i].hi)
			return true;
	return false;
}

static void
describe_expected(const struct http_call *c, struct buf *b)
{
	size_t i;

	if (!c->nstatus) {
		buf_adds(b, "2xx");
		return;
	}
	for (i = 0; i < c->nstatus; i++) {
		if (i)
			buf_adds(b, ", ");
		if (c->status[i].lo == c->status[i].hi)
			buf_printf(b, "%d", c->status[i].lo);
		else
			buf_printf(b, "%dxx", c->status[i].lo / 100);
	}
}

static void
record_outputs(struct exec *e, const struct http_response *res)
{
	char num[32];
	size_t i;

	snprintf(num, sizeof(num), "%ld", res->status);
	exec_output(e, "status", num, strlen(num));
	exec_output(e, "body", res->body ? res->body : "", res->body_len);
	snprintf(num, sizeof(num), "%lld", (long long)res->ms);
	exec_output(e, "time", num, strlen(num));
	for (i = 0; i < res->nheaders; i++) {
		char *field = xasprintf("headers.%s", res->headers[i].name);

		exec_output(e, field, res->headers[i].value, strlen(res->headers[i].value));
		free(field);
	}
}

static int
http_call_poll(struct exec *e)
{
	const struct http_call *c = e->step->data;
	struct http_call_state *st = e->state;
	const struct http_response *res = http_response(st->h);
	const char *method = http_call_method(c);
	struct buf want = {0};

	if (!res->done)
		return EXEC_RUNNING;
	if (res->curl_code) {
		exec_detail(e, "%s %s (%lld ms)", method, st->shown_url, (long long)res->ms);
		e->by_deadline = res->timed_out && e->clipped;
		return exec_fail(e, "%s", res->error);
	}
	exec_detail(e, "%s %s -> %ld (%lld ms)", method, st->shown_url, res->status, (long long)res->ms);
	record_outputs(e, res);
	if (status_ok(c, res->status))
		return EXEC_OK;
	describe_expected(c, &want);
	if (res->body_len) {
		buf_adds(&want, "; the reply: '");
		log_excerpt(&want, res->body, res->body_len, LOG_EXCERPT_MAX);
		buf_addc(&want, '\'');
	}
	exec_fail(e, "expected status %s", want.s);
	buf_free(&want);
	return EXEC_FAILED;
}

static void
http_call_cancel(struct exec *e)
{
	struct http_call_state *st = e->state;
	size_t i;

	if (!st)
		return;
	http_free(st->h);
	for (i = 0; i < st->nheaders; i++)
		free(st->headers[i]);
	free(st->headers);
	free(st->shown_url);
	free(st);
	e->state = NULL;
}

static void
http_call_free(void *data)
{
	struct http_call *c = data;
	size_t i;

	for (i = 0; i < c->nheaders; i++)
		free(c->headers[i].name);
	free(c->headers);
	free(c->json_strings);
	free(c->status);
	free(c->method);
	free(c->ca_file);
	free(c->client_cert);
	free(c->client_key);
	free(c->unix_socket);
	free(c);
}

const struct step_kind step_http_call_kind = {
	.name = "http-call",
	.keys = http_call_keys,
	.load = http_call_load,
	.worst = http_call_worst,
	.need = http_call_need,
	.has_field = http_call_has_field,
	.fields = http_call_fields,
	.details = http_call_details,
	.describe = http_call_describe,
	.start = http_call_start,
	.poll = http_call_poll,
	.cancel = http_call_cancel,
	.free = http_call_free,
};
