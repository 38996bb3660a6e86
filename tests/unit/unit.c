/* unit.c: unit tests of the parts that need no network: values, templates, filters, the YAML
 * loader's limits, regexes and static checks. Prints one line per check; exits 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poll.h>
#include <unistd.h>

#include "diag.h"
#include "event.h"
#include "junit.h"
#include "loop.h"
#include "node.h"
#include "plan.h"
#include "regex.h"
#include "report.h"
#include "template.h"
#include "util.h"
#include "value.h"

#include "check.h"

static void
test_durations(void)
{
	static const struct {
		const char *s;
		int ok;
		int64_t ms;
	} cases[] = {
		{"0s", 1, 0}, {"250ms", 1, 250}, {"1.5s", 1, 1500}, {"2m", 1, 120000}, {"1h", 1, 3600000},
		{"10", 1, 10000}, {"0.25", 1, 250}, {"24h", 1, 86400000}, {"25h", 0, 0}, {"-1s", 0, 0},
		{"10y", 0, 0}, {"", 0, 0}, {"1.s", 0, 0}, {".5s", 0, 0}, {"s", 0, 0}, {"1 s", 0, 0},
		{"9999999999s", 0, 0},
	};
	size_t i;
	const char *err;
	int64_t ms;

	for (i = 0; i < LEN(cases); i++) {
		int rc = value_parse_duration(cases[i].s, &ms, &err);

		CHECK((rc == 0) == cases[i].ok && (!cases[i].ok || ms == cases[i].ms), "duration '%s'", cases[i].s);
	}
}

static void
test_ints(void)
{
	long long v;
	const char *err;

	CHECK(value_parse_int("3", 1, 100, &v, &err) == 0 && v == 3, "int 3");
	CHECK(value_parse_int("1e9", 1, 100, &v, &err) < 0, "int 1e9 refused");
	CHECK(value_parse_int("1000000000", 1, 100, &v, &err) < 0, "int out of range refused");
	CHECK(value_parse_int("99999999999999999999999", 1, 100, &v, &err) < 0, "int overflow refused");
	CHECK(value_parse_int("", 1, 100, &v, &err) < 0, "empty int refused");
}

static char *
render(const char *text, const char *const *params, size_t nparams, const char **names)
{
	struct node n = {.type = NODE_SCALAR, .line = 1, .col = 1, .plain = true};
	struct diag d;
	struct tmpl *t;
	struct buf b = {0};
	char *err = NULL;
	size_t i, j;
	struct tmpl_env env = {.params = params};

	n.str = (char *)text;
	n.len = strlen(text);
	diag_init(&d, "t");
	t = tmpl_parse(&n, TTYPE_STRING, &d);
	if (!t) {
		diag_free(&d);
		return NULL;
	}
	for (i = 0; i < t->nparts; i++)
		for (j = 0; j < nparams; j++)
			if (t->parts[i].ref == TREF_PARAM && strcmp(t->parts[i].text, names[j]) == 0)
				t->parts[i].param = (int)j;
	if (tmpl_render(t, &env, &b, &err) < 0) {
		free(err);
		buf_free(&b);
		b.s = NULL;
	}
	tmpl_free(t);
	diag_free(&d);
	return b.s ? b.s : NULL;
}

static void
test_templates(void)
{
	static const struct {
		const char *in, *out, *what;
	} cases[] = {
		{"${url}${app | urlencode}", "http://x/my%20app%2F1", "urlencode filter"},
		{"${ app|base64 }", "bXkgYXBwLzE=", "base64 filter"},
		{"{\"a\":${app | json}}", "{\"a\":\"my app/1\"}", "json filter"},
		{"cost $$5 and $x", "cost $5 and $x", "$$ is a literal dollar"},
		{"${app | base64 | urlencode}", "bXkgYXBwLzE%3D", "filters chain"},
		{"${app | urlencode}", "my%20app%2F1", "urlencode as libcurl escapes"},
	};
	const char *names[] = {"app", "url"};
	const char *vals[] = {"my app/1", "http://x/"};
	size_t i;
	char *s;

	for (i = 0; i < LEN(cases); i++) {
		s = render(cases[i].in, vals, 2, names);
		CHECK(s && strcmp(s, cases[i].out) == 0, "%s: %s", cases[i].what, s ? s : "(null)");
		free(s);
	}
	{
		struct tmpl u = {.type = TTYPE_URL};
		const char *why;

		CHECK(!tmpl_check_value(&u, "http://h:8080/x?y=1", 19), "a URL with a port is accepted");
		why = tmpl_check_value(&u, "http://h:99999/", 15);
		CHECK(why && strstr(why, "port"), "port 99999 is refused: %s", why ? why : "(accepted)");
		CHECK(tmpl_check_value(&u, "ftp://h/", 8) != NULL, "only http and https");
	}
	CHECK(render("${app", vals, 2, names) == NULL, "unclosed template refused");
	CHECK(render("${app | rot13}", vals, 2, names) == NULL, "unknown filter refused");
	CHECK(render("${nope}", vals, 2, names) == NULL, "unknown param does not render");
	CHECK(render("${steps.x}", vals, 2, names) == NULL, "steps reference without field refused");
}

/* A step kind can wait on its own file descriptor: the loop returns when it is ready. */
static void
test_loop_fd(void)
{
	struct loop *l = loop_create();
	int fds[2];
	int64_t t0;

	if (pipe(fds) < 0) {
		CHECK(0, "pipe");
		return;
	}
	t0 = now_ms();
	loop_watch_fd(l, fds[0], POLLIN);
	loop_wait(l, t0 + 50);
	CHECK(loop_fd_ready(l, fds[0]) == 0 && now_ms() - t0 >= 40, "an idle watched fd: the wait runs to its end");
	CHECK(write(fds[1], "x", 1) == 1, "write to the pipe");
	t0 = now_ms();
	loop_watch_fd(l, fds[0], POLLIN);
	loop_wait(l, t0 + 5000);
	CHECK((loop_fd_ready(l, fds[0]) & POLLIN) && now_ms() - t0 < 1000, "a ready watched fd ends the wait at once");
	loop_wait(l, now_ms());
	CHECK(loop_fd_ready(l, fds[0]) == 0, "a watch holds for one wait");
	close(fds[0]);
	close(fds[1]);
	loop_free(l);
}

static void
test_base64(void)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	size_t i;

	for (i = 0; i < LEN(in); i++) {
		struct buf b = {0};

		buf_add(&b, "", 0);
		tmpl_base64(&b, in[i], strlen(in[i]));
		CHECK(strcmp(b.s, out[i]) == 0, "base64('%s') = '%s'", in[i], b.s);
		buf_free(&b);
	}
}

static int
parse(const char *yaml, struct diag *d)
{
	struct node **docs;
	size_t n;
	int rc = node_parse(yaml, strlen(yaml), &docs, &n, d);

	if (rc == 0)
		node_free_docs(docs, n);
	return rc;
}

static void
test_loader(void)
{
	struct diag d;
	char *deep;
	size_t i;

	diag_init(&d, "t");
	CHECK(parse("a: &x [1]\nb: *x\n", &d) < 0 && d.n == 1 && d.v[0].line == 2 && d.v[0].col == 4,
	    "aliases refused at 2:4");
	diag_free(&d);
	diag_init(&d, "t");
	CHECK(parse("a: 1\nb: 2\na: 3\n", &d) < 0 && d.n == 1 && d.v[0].line == 3 && d.v[0].col == 1,
	    "duplicate key at 3:1");
	diag_free(&d);
	diag_init(&d, "t");
	deep = xmalloc(200001);
	for (i = 0; i < 200000; i++)
		deep[i] = '[';
	deep[i] = '\0';
	CHECK(parse(deep, &d) < 0 && d.n == 1 && strstr(d.v[0].msg, "nesting"), "200,000 '[' stop at the depth limit");
	free(deep);
	diag_free(&d);
	diag_init(&d, "t");
	CHECK(parse("a: 1\nb: \"x\xff\"\n", &d) < 0 && d.n == 1 && d.v[0].line == 2 && d.v[0].col == 6,
	    "invalid UTF-8 at 2:6 (%d:%d)", d.n ? d.v[0].line : 0, d.n ? d.v[0].col : 0);
	diag_free(&d);
	diag_init(&d, "t");
	CHECK(parse("a:\n\tb: 1\n", &d) < 0 && d.n == 1 && d.v[0].line == 2, "tab indentation refused");
	diag_free(&d);
}

static void
test_regex(void)
{
	char *err = NULL, *subject;
	size_t off, i, len;
	struct regex *re;
	char *g;

	re = regex_compile("(a+)+$", false, &err, &off);
	subject = xmalloc(100002);
	for (i = 0; i < 100000; i++)
		subject[i] = 'a';
	subject[i++] = 'b';
	subject[i] = '\0';
	CHECK(re && regex_match(re, subject, strlen(subject)) != REGEX_MATCH, "catastrophic backtracking ends");
	regex_free(re);
	free(subject);
	re = regex_compile("[a-z]+", true, &err, &off);
	CHECK(re && regex_match(re, "abc", 3) == REGEX_MATCH, "anchored pattern matches the whole value");
	CHECK(re && regex_match(re, "abc\n", 4) == REGEX_NOMATCH, "no trailing newline slips through");
	CHECK(re && regex_match(re, "ab1", 3) == REGEX_NOMATCH, "anchored pattern refuses a partial match");
	regex_free(re);
	re = regex_compile("x", false, &err, &off);
	CHECK(re && regex_match(re, "\xff\xfex", 3) != REGEX_LIMIT, "invalid UTF-8 subject is not an error");
	regex_free(re);
	re = regex_compile("v(?<major>[0-9]+)", false, &err, &off);
	CHECK(re && regex_ngroups(re) == 1 && strcmp(regex_group_name(re, 0), "major") == 0, "named group listed");
	CHECK(re && regex_match(re, "version v12", 11) == REGEX_MATCH, "named group matches");
	g = re ? regex_group_value(re, 0, "version v12", &len) : NULL;
	CHECK(g && strcmp(g, "12") == 0, "named group value");
	free(g);
	regex_free(re);
	CHECK(regex_compile("a(b", false, &err, &off) == NULL && off == 3, "broken pattern reports its offset");
	free(err);
}

static void
test_misc(void)
{
	char d[32];

	CHECK(edit_distance("timout", "timeout") == 1, "edit distance");
	CHECK(edit_distance("abc", "xyz") == 3, "edit distance of unrelated words");
	fmt_duration(d, sizeof(d), 1500);
	CHECK(strcmp(d, "1.5s") == 0, "fmt 1500 ms: %s", d);
	fmt_duration(d, sizeof(d), 10500);
	CHECK(strcmp(d, "10.5s") == 0, "fmt 10500 ms: %s", d);
	fmt_duration(d, sizeof(d), 1250);
	CHECK(strcmp(d, "1.25s") == 0, "fmt 1250 ms: %s", d);
	fmt_duration(d, sizeof(d), 1001);
	CHECK(strcmp(d, "1.001s") == 0, "fmt 1001 ms: %s", d);
	fmt_duration(d, sizeof(d), 250);
	CHECK(strcmp(d, "250ms") == 0, "fmt 250 ms: %s", d);
	fmt_duration(d, sizeof(d), 25000);
	CHECK(strcmp(d, "25s") == 0, "fmt 25 s: %s", d);
}

/* The event's message is cut to 1 KiB on a character boundary, whatever the width of the characters. */
static void
test_event_message(void)
{
	static const char *const chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
	struct event_run er = {.plan = "p", .code = 1, .step = "s"};
	struct buf line = {0};
	char *m;
	size_t i, j, n;
	bool whole;

	for (i = 0; i < LEN(chars); i++) {
		line.len = 0;
		for (j = 0; j < 1100; j++)
			buf_adds(&line, chars[i]);
		er.line = line.s;
		m = event_message(&er);
		n = strlen(m);
		/* The message ends with a whole character: the cut removed no part of one. */
		whole = (n - strlen("plan p failed (exit 1) at step s: ")) % strlen(chars[i]) == 0;
		CHECK(n <= EVENT_MESSAGE_MAX && n > EVENT_MESSAGE_MAX - 4 && whole, "event message of %zu-byte "
		    "characters cut to %zu bytes", strlen(chars[i]), n);
		free(m);
	}
	er.line = "short";
	m = event_message(&er);
	CHECK(strcmp(m, "plan p failed (exit 1) at step s: short") == 0, "event message: %s", m);
	free(m);
	buf_free(&line);
}

/* JUnit text: markup escaped, control characters and bytes that are not UTF-8 replaced. */
static void
test_junit(void)
{
	struct diag d;
	struct report_item it = {.file = "a<b>.yaml", .status = REPORT_INVALID};
	struct buf b = {0};

	diag_init(&d, "a<b>.yaml");
	diag_error(&d, 3, 7, "bad \"x\" & \x01 \xff\xfe caf\xc3\xa9 \xed\xa0\x80");
	it.d = &d;
	junit_validate_case(&b, &it);
	CHECK(strstr(b.s, "name=\"a&lt;b&gt;.yaml\"") != NULL, "junit: markup in attributes escaped");
	CHECK(strstr(b.s, "bad &quot;x&quot; &amp; \\x01 \\xff\\xfe caf\xc3\xa9 \\xed\\xa0\\x80") != NULL,
	    "junit: a diagnostic's escapes kept (invalid UTF-8 and surrogates as \\xNN), UTF-8 kept");
	CHECK(strstr(b.s, "a&lt;b&gt;.yaml:3:7: error: bad") != NULL, "junit: the error with its position");
	b.len = 0;
	it.status = REPORT_SKIPPED;
	it.reason = "why\x01\x1f\ttab\nline \xff\xfe caf\xc3\xa9 \xed\xa0\x80 \xef\xbf\xbe \xf0\x9f\x98\x80 \xc0\xaf";
	junit_validate_case(&b, &it);
	CHECK(strstr(b.s, "message=\"why??&#9;tab&#10;line ?? caf\xc3\xa9 ??? ??? \xf0\x9f\x98\x80 ??\"") != NULL,
	    "junit: control characters, invalid and overlong UTF-8, surrogates and U+FFFE replaced, UTF-8 kept, "
	    "tab and newline kept as references in attributes");
	buf_free(&b);
	diag_free(&d);
}

int
main(void)
{
	test_durations();
	test_ints();
	test_templates();
	test_loop_fd();
	test_base64();
	test_loader();
	test_regex();
	test_misc();
	test_event_message();
	test_junit();
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
