/* jsonpath.c: unit tests of the JSONPath evaluator: RFC 9535's own examples (sections 1.5 and 2.3 to
 * 2.6), every supported selector, and queries it must refuse with the offset of the problem.
 * Prints one TAP line per check; exits 1 on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonpath.h"
#include "util.h"

#include "check.h"

/* Evaluates query q on doc; returns the node list as a compact JSON array (caller frees). */
static char *
run(const char *doc, const char *q)
{
	json_error_t je;
	json_t *d = json_loads(doc, JSON_DECODE_ANY, &je), *a;
	struct jsonpath *p;
	struct jsonpath_nodes l = {0};
	char *err, *s;
	size_t off, i;

	if (!d)
		return xasprintf("bad document: %s", je.text);
	if (!(p = jsonpath_parse(q, strlen(q), &err, &off))) {
		s = xasprintf("error at %zu: %s", off, err);
		free(err);
		json_decref(d);
		return s;
	}
	if (jsonpath_eval(p, SIZE_MAX, d, &l) != JSONPATH_OK) {
		s = xstrdup("over budget");
	} else {
		a = json_array();
		for (i = 0; i < l.n; i++)
			json_array_append(a, l.v[i]);
		s = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
		json_decref(a);
	}
	jsonpath_nodes_free(&l);
	jsonpath_free(p);
	json_decref(d);
	return s;
}

static void
expect(const char *doc, const char *q, const char *want)
{
	char *got = run(doc, q);

	CHECK(strcmp(got, want) == 0, "%s -> %s%s%s", q, want, strcmp(got, want) ? " but got " : "",
	    strcmp(got, want) ? got : "");
	free(got);
}

static size_t
count(const char *doc, const char *q)
{
	char *got = run(doc, q);
	json_t *a = json_loads(got, 0, NULL);
	size_t n = json_is_array(a) ? json_array_size(a) : (size_t)-1;

	json_decref(a);
	free(got);
	return n;
}

/* q must be refused with an error at byte offset off whose message contains word. */
static void
refuse(const char *q, size_t off, const char *word)
{
	char *err = NULL;
	size_t at = 0;
	struct jsonpath *p = jsonpath_parse(q, strlen(q), &err, &at);

	CHECK(!p && at == off && err && strstr(err, word), "refused '%s' at %zu (%s)%s%s", q, off, word,
	    p ? ": accepted" : err && (at != off || !strstr(err, word)) ? ": got " : "",
	    !p && err && (at != off || !strstr(err, word)) ? err : "");
	if (!p && err && (at != off || !strstr(err, word)))
		printf("#   at %zu\n", at);
	jsonpath_free(p);
	free(err);
}

static const char bookstore[] =
    "{\"store\": {\"book\": ["
    "{\"category\": \"reference\", \"author\": \"Nigel Rees\", \"title\": \"Sayings of the Century\", \"price\": 8.95},"
    "{\"category\": \"fiction\", \"author\": \"Evelyn Waugh\", \"title\": \"Sword of Honour\", \"price\": 12.99},"
    "{\"category\": \"fiction\", \"author\": \"Herman Melville\", \"title\": \"Moby Dick\", \"isbn\": \"0-553-21311-3\", \"price\": 8.99},"
    "{\"category\": \"fiction\", \"author\": \"J. R. R. Tolkien\", \"title\": \"The Lord of the Rings\", \"isbn\": \"0-395-19395-8\", \"price\": 22.99}"
    "], \"bicycle\": {\"color\": \"red\", \"price\": 399}}}";

/* RFC 9535 section 1.5, table 2. */
static void
test_overview(void)
{
	expect(bookstore, "$.store.book[*].author", "[\"Nigel Rees\",\"Evelyn Waugh\",\"Herman Melville\",\"J. R. R. Tolkien\"]");
	expect(bookstore, "$..author", "[\"Nigel Rees\",\"Evelyn Waugh\",\"Herman Melville\",\"J. R. R. Tolkien\"]");
	CHECK(count(bookstore, "$.store.*") == 2, "$.store.* selects 2");
	expect(bookstore, "$.store..price", "[8.95,12.99,8.99,22.99,399]");
	expect(bookstore, "$..book[2].title", "[\"Moby Dick\"]");
	expect(bookstore, "$..book[2].author", "[\"Herman Melville\"]");
	expect(bookstore, "$..book[2].publisher", "[]");
	expect(bookstore, "$..book[-1].title", "[\"The Lord of the Rings\"]");
	expect(bookstore, "$..book[0,1].title", "[\"Sayings of the Century\",\"Sword of Honour\"]");
	expect(bookstore, "$..book[:2].title", "[\"Sayings of the Century\",\"Sword of Honour\"]");
	expect(bookstore, "$..book[?@.isbn].title", "[\"Moby Dick\",\"The Lord of the Rings\"]");
	expect(bookstore, "$..book[?@.price<10].title", "[\"Sayings of the Century\",\"Moby Dick\"]");
	CHECK(count(bookstore, "$..*") == 27, "$..* selects 27");
}

/* Sections 2.2 to 2.3.4: root, names, wildcards, indexes, slices. */
static void
test_selectors(void)
{
	static const char names[] = "{\"o\": {\"j j\": {\"k.k\": 3}}, \"'\": {\"@\": 2}}";
	static const char wild[] = "{\"o\": {\"j\": 1, \"k\": 2}, \"a\": [5, 3]}";
	static const char seven[] = "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\"]";

	expect("{\"k\": \"v\"}", "$", "[{\"k\":\"v\"}]");
	expect(names, "$.o['j j']", "[{\"k.k\":3}]");
	expect(names, "$.o['j j']['k.k']", "[3]");
	expect(names, "$.o[\"j j\"][\"k.k\"]", "[3]");
	expect(names, "$[\"'\"][\"@\"]", "[2]");
	expect(wild, "$[*]", "[{\"j\":1,\"k\":2},[5,3]]");
	expect(wild, "$.o[*]", "[1,2]");
	expect(wild, "$.o[*, *]", "[1,2,1,2]");
	expect(wild, "$.a[*]", "[5,3]");
	expect(wild, "$.a.*", "[5,3]");
	expect("[\"a\",\"b\"]", "$[1]", "[\"b\"]");
	expect("[\"a\",\"b\"]", "$[-2]", "[\"a\"]");
	expect("[\"a\",\"b\"]", "$[2]", "[]");
	expect("[\"a\",\"b\"]", "$[-3]", "[]");
	expect("{\"0\": 1}", "$[0]", "[]");
	expect(seven, "$[1:3]", "[\"b\",\"c\"]");
	expect(seven, "$[5:]", "[\"f\",\"g\"]");
	expect(seven, "$[1:5:2]", "[\"b\",\"d\"]");
	expect(seven, "$[5:1:-2]", "[\"f\",\"d\"]");
	expect(seven, "$[::-1]", "[\"g\",\"f\",\"e\",\"d\",\"c\",\"b\",\"a\"]");
	expect(seven, "$[::0]", "[]");
	expect(seven, "$[-2:]", "[\"f\",\"g\"]");
	expect(seven, "$[ 0 , -1 ]", "[\"a\",\"g\"]");
	expect("{\"a\": {\"b\": 1}}", "$ .a .b", "[1]");
	expect("{\"\\u00e9t\\u00e9\": 1}", "$.\xc3\xa9t\xc3\xa9", "[1]");
	expect("{\"a\\nb\": 1, \"\\ud83d\\ude00\": 2}", "$['a\\nb']", "[1]");
	expect("{\"a\\nb\": 1, \"\\ud83d\\ude00\": 2}", "$['\\ud83d\\ude00']", "[2]");
	expect("{\"it's\": 1}", "$['it\\'s']", "[1]");
	expect("{\"it's\": 1}", "$[\"it's\"]", "[1]");
}

/* Section 2.3.5: filters. */
static void
test_filters(void)
{
	static const char doc[] =
	    "{\"a\": [3, 5, 1, 2, 4, 6, {\"b\": \"j\"}, {\"b\": \"k\"}, {\"b\": {}}, {\"b\": \"kilo\"}],"
	    " \"o\": {\"p\": 1, \"q\": 2, \"r\": 3, \"s\": 5, \"t\": {\"u\": 6}}, \"e\": \"f\"}";
	static const char cmp[] = "{\"obj\": {\"x\": \"y\"}, \"arr\": [2, 3]}";

	expect(doc, "$.a[?@.b == 'kilo']", "[{\"b\":\"kilo\"}]");
	expect(doc, "$.a[?(@.b == 'kilo')]", "[{\"b\":\"kilo\"}]");
	expect(doc, "$.a[?@>3.5]", "[5,4,6]");
	expect(doc, "$.a[?@.b]", "[{\"b\":\"j\"},{\"b\":\"k\"},{\"b\":{}},{\"b\":\"kilo\"}]");
	CHECK(count(doc, "$[?@.*]") == 2, "$[?@.*] selects 2");
	CHECK(count(doc, "$[?@[?@.b]]") == 1, "$[?@[?@.b]] selects 1");
	expect(doc, "$.o[?@<3, ?@<3]", "[1,2,1,2]");
	expect(doc, "$.a[?@<2 || @.b == \"k\"]", "[1,{\"b\":\"k\"}]");
	expect(doc, "$.o[?@>1 && @<4]", "[2,3]");
	expect(doc, "$.o[?@.u || @.x]", "[{\"u\":6}]");
	expect(doc, "$.a[?@.b == $.x]", "[3,5,1,2,4,6]");
	CHECK(count(doc, "$.a[?@ == @]") == 10, "$.a[?@ == @] selects 10");
	expect(doc, "$.a[?!@.b]", "[3,5,1,2,4,6]");
	expect(doc, "$.a[?!(@ > 2)]", "[1,2,{\"b\":\"j\"},{\"b\":\"k\"},{\"b\":{}},{\"b\":\"kilo\"}]");
	expect(doc, "$.a[?@ != 3 && @ <= 2]", "[1,2]");
	expect(doc, "$.a[?@ >= 5]", "[5,6]");
	expect(doc, "$.a[?@.b < 'k']", "[{\"b\":\"j\"}]");
	expect(doc, "$.a[?@.b >= 'k']", "[{\"b\":\"k\"},{\"b\":\"kilo\"}]");
	/* Table 11: comparisons. */
	expect(cmp, "$[?$.absent1 == $.absent2]", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?$.absent1 <= $.absent2]", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?$.absent == 'g']", "[]");
	expect(cmp, "$[?$.absent1 != $.absent2]", "[]");
	expect(cmp, "$[?$.absent != 'g']", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?1 <= 2]", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?1 > 2]", "[]");
	expect(cmp, "$[?13 == '13']", "[]");
	expect(cmp, "$[?'a' <= 'b']", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?'a' > 'b']", "[]");
	expect(cmp, "$[?$.obj == $.arr]", "[]");
	expect(cmp, "$[?$.obj != $.arr]", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?$.obj == $.obj]", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?$.arr == $.arr]", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?1 <= $.arr]", "[]");
	expect(cmp, "$[?1 >= $.arr]", "[]");
	expect(cmp, "$[?$.obj <= $.obj]", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?$.obj < $.obj]", "[]");
	expect(cmp, "$[?true <= true]", "[{\"x\":\"y\"},[2,3]]");
	expect(cmp, "$[?true > true]", "[]");
	/* Typed: 0 is not "0", 1 is 1.0. */
	expect("[{\"c\": 0}, {\"c\": \"0\"}, {\"c\": 0.0}, {\"c\": false}, {\"c\": null}]", "$[?@.c == 0]", "[{\"c\":0},{\"c\":0.0}]");
	expect("[{\"c\": 0}, {\"c\": \"0\"}]", "$[?@.c == '0']", "[{\"c\":\"0\"}]");
	expect("[{\"c\": null}, {}]", "$[?@.c == null]", "[{\"c\":null}]");
	expect("[1, 1.0, 1e0, 10e-1, 2]", "$[?@ == 1]", "[1,1.0,1.0,1.0]");
	expect("[-1, 0.5, -2.5e1]", "$[?@ < -0.5e0]", "[-1,-25.0]");
}

/* Section 2.5.2 descendants, 2.6 null. */
static void
test_descendants(void)
{
	static const char doc[] = "{\"o\": {\"j\": 1, \"k\": 2}, \"a\": [5, 3, [{\"j\": 4}, {\"k\": 6}]]}";
	static const char nul[] = "{\"a\": null, \"b\": [null], \"c\": [{}], \"null\": 1}";

	expect(doc, "$..j", "[1,4]");
	expect(doc, "$..[0]", "[5,{\"j\":4}]");
	CHECK(count(doc, "$..[*]") == 11, "$..[*] selects 11");
	CHECK(count(doc, "$..*") == 11, "$..* selects 11");
	expect(doc, "$..o", "[{\"j\":1,\"k\":2}]");
	expect(doc, "$.o..[*, *]", "[1,2,1,2]");
	expect(doc, "$.a..[0, 1]", "[5,3,{\"j\":4},{\"k\":6}]");
	expect(nul, "$.a", "[null]");
	expect(nul, "$.a[0]", "[]");
	expect(nul, "$.a.d", "[]");
	expect(nul, "$.b[0]", "[null]");
	expect(nul, "$.b[*]", "[null]");
	expect(nul, "$.b[?@]", "[null]");
	expect(nul, "$.b[?@==null]", "[null]");
	expect(nul, "$.c[?@.d==null]", "[]");
	expect(nul, "$.null", "[1]");
}

static void
test_refused(void)
{
	char deep[256];
	size_t i, n = 0;

	refuse("", 0, "'$'");
	refuse("a", 0, "'$'");
	refuse("@.a", 0, "'$'");
	refuse("$.", 2, "a name");
	refuse("$..", 3, "after '..'");
	refuse("$.a[", 4, "selector");
	refuse("$.1a", 2, "a name");
	refuse("$[01]", 2, "leading zero");
	refuse("$[-0]", 2, "-0");
	refuse("$[9007199254740992]", 2, "out of range");
	refuse("$['a", 2, "not closed");
	refuse("$['\\q']", 3, "escape");
	refuse("$['\\ud800']", 3, "surrogate");
	refuse("$[\"\\'\"]", 3, "double-quoted");
	refuse("$[1 2]", 4, "',' or ']'");
	refuse("$.a b", 4, "unexpected 'b'");
	refuse("$.a ", 3, "whitespace after");
	refuse("$[?length(@) > 1]", 3, "function extensions");
	refuse("$[?match(@.b, 'k')]", 3, "function extensions");
	refuse("$.length()", 2, "function extensions");
	refuse("$[?@.* == 1]", 3, "singular");
	refuse("$[?1 == @..a]", 8, "singular");
	refuse("$[?!@.a == 1]", 3, "'!' applies");
	refuse("$[?1]", 4, "comparison");
	refuse("$[?'a']", 6, "comparison");
	refuse("$[?@.a == b]", 10, "not a literal");
	refuse("$[?@.a == 01]", 10, "leading zero");
	refuse("$[?@.a = 1]", 7, "',' or ']'");
	refuse("$[?(@.a]", 7, "')'");
	refuse("$[?@.a == 1e999]", 10, "out of range");
	refuse("$[?@ == {}]", 8, "a query");
	n += (size_t)snprintf(deep, sizeof(deep), "$[?");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "(");
	refuse(deep, 34, "nested deeper");
	{
		char *err = NULL;
		size_t at = 0;

		CHECK(jsonpath_parse("$\0", 2, &err, &at) == NULL && at == 1, "a NUL byte is refused at its offset");
		free(err);
	}
}

static void
test_api(void)
{
	char *err;
	size_t off;
	struct jsonpath *p = jsonpath_parse("$.data['x'][0]", 14, &err, &off);

	CHECK(p && jsonpath_nsegments(p) == 3, "three segments");
	CHECK(p && jsonpath_prefix_len(p, 0) == 1 && jsonpath_prefix_len(p, 1) == 6 && jsonpath_prefix_len(p, 2) == 11,
	    "prefix lengths");
	CHECK(p && jsonpath_is_singular(p), "singular");
	jsonpath_free(p);
	p = jsonpath_parse("$..a", 4, &err, &off);
	CHECK(p && !jsonpath_is_singular(p), "$..a is not singular");
	jsonpath_free(p);
	p = jsonpath_parse("$[*]", 4, &err, &off);
	CHECK(p && !jsonpath_is_singular(p), "$[*] is not singular");
	jsonpath_free(p);
}

/* Nested filters over a wide document stop at the budget instead of running for minutes. */
static void
test_budget(void)
{
	struct buf b = {0};
	size_t i;
	char *got;

	for (i = 0; i < 200; i++)
		buf_adds(&b, "[1,");
	buf_adds(&b, "0");
	for (i = 0; i < 200; i++)
		buf_adds(&b, "]");
	got = run(b.s, "$..[?@..[?@..[?@..[?@..x]]]]");
	CHECK(strcmp(got, "over budget") == 0, "a costly query stops at the budget (%s)", strncmp(got, "over", 4) ? "no" : "yes");
	free(got);
	buf_free(&b);
}

int
main(void)
{
	test_overview();
	test_selectors();
	test_filters();
	test_descendants();
	test_refused();
	test_api();
	test_budget();
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
