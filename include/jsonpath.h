/* jsonpath.h: JSONPath queries (a subset of RFC 9535, listed in doc/plan-format.md) over jansson
 * values; the only module besides step-expect-json.c that sees jansson. */
#ifndef STOPPLAN_JSONPATH_H
#define STOPPLAN_JSONPATH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct jsonpath;

/* Deepest nesting of brackets and parentheses a query may have. */
#define JSONPATH_MAX_NESTING 32
/* Most node visits one evaluation may make before it gives up (JSONPATH_OVER_BUDGET). */
#define JSONPATH_BUDGET 20000000

/* A node list: the values a query selected, in order, borrowed from the document. */
struct jsonpath_nodes {
	json_t **v;
	size_t n, cap;
};

enum jsonpath_status {
	JSONPATH_OK,
	JSONPATH_OVER_BUDGET,   /* the query visited more than JSONPATH_BUDGET nodes */
};

/* Parses query SRC (LEN bytes, UTF-8). Returns NULL and sets *err (newly allocated) and *erroff (the
 * byte offset in SRC where the problem is) when SRC is not a query of the supported subset.
 * The caller owns the result (jsonpath_free). */
struct jsonpath *jsonpath_parse(const char *src, size_t len, char **err, size_t *erroff);
/* Number of segments of the query ("$.a[0]" has 2). */
size_t jsonpath_nsegments(const struct jsonpath *p);
/* Length of the query text up to the end of its first N segments ("$.a" for N = 1 in "$.a[0]"). */
size_t jsonpath_prefix_len(const struct jsonpath *p, size_t n);
/* The query text as written (owned by p). */
const char *jsonpath_text(const struct jsonpath *p);
/* True when the query can select at most one node (only name and index selectors, no "..").  */
bool jsonpath_is_singular(const struct jsonpath *p);
/* Evaluates the first NSEG segments of p (SIZE_MAX: all) against document ROOT, appending the
 * selected nodes to out (emptied first). */
enum jsonpath_status jsonpath_eval(const struct jsonpath *p, size_t nseg, json_t *root, struct jsonpath_nodes *out);
void jsonpath_nodes_free(struct jsonpath_nodes *l);
void jsonpath_free(struct jsonpath *p);

/* True when a and b are equal JSON values as RFC 9535 compares them (1 == 1.0). */
bool jsonpath_equal(const json_t *a, const json_t *b);

#endif
