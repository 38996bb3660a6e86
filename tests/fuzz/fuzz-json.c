/* fuzz-json.c: libFuzzer target over JSONPath queries and JSON subjects. The input is a query, a
 * newline, then a subject: the query must parse or be refused with an offset inside it, and a query
 * that parses must evaluate over any subject jansson accepts, within its budget, without a crash,
 * a leak or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;
	size_t qlen, off = 0;
	struct jsonpath *p;
	struct jsonpath_nodes l = {0};
	char *err = NULL;
	json_t *doc;
	size_t i;

	if (size > 1024 * 1024)
		return 0;
	nl = memchr(s, '\n', size);
	qlen = nl ? (size_t)(nl - s) : size;
	p = jsonpath_parse(s, qlen, &err, &off);
	if (!p) {
		if (!err || off > qlen)
			abort();
		free(err);
		return 0;
	}
	if (jsonpath_prefix_len(p, jsonpath_nsegments(p)) != qlen)
		abort();
	if (nl && (doc = json_loadb(nl + 1, size - qlen - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL))) {
		for (i = 0; i <= jsonpath_nsegments(p); i++)
			if (jsonpath_eval(p, i, doc, &l) == JSONPATH_OK && l.n && !jsonpath_equal(l.v[0], l.v[0]))
				abort();
		jsonpath_nodes_free(&l);
		json_decref(doc);
	}
	jsonpath_free(p);
	return 0;
}
