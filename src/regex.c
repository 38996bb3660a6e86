/* regex.c: compiling and matching PCRE2 patterns with bounded work. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "util.h"

#define REGEX_MATCH_LIMIT 1000000
#define REGEX_DEPTH_LIMIT 10000
#define REGEX_HEAP_LIMIT_KIB 8192

struct regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	size_t ngroups;
	char **names;          /* named groups, by index */
	int *numbers;          /* their group numbers */
};

static void
regex_load_names(struct regex *re)
{
	uint32_t count = 0, size = 0, i;
	PCRE2_SPTR table;

	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	if (count == 0)
		return;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	re->names = xcalloc(count, sizeof(*re->names));
	re->numbers = xcalloc(count, sizeof(*re->numbers));
	for (i = 0; i < count; i++) {
		PCRE2_SPTR e = table + (size_t)i * size;

		re->numbers[i] = (e[0] << 8) | e[1];
		re->names[i] = xstrdup((const char *)e + 2);
	}
	re->ngroups = count;
}

struct regex *
regex_compile(const char *pattern, bool whole, char **err, size_t *erroff)
{
	struct regex *re;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];
	pcre2_code *c;

	if (whole)
		opts |= PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY;
	c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
	if (!c) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		*err = xstrdup((const char *)msg);
		*erroff = off;
		return NULL;
	}
	re = xcalloc(1, sizeof(*re));
	re->code = c;
	re->md = pcre2_match_data_create_from_pattern(c, NULL);
	re->mc = pcre2_match_context_create(NULL);
	if (!re->md || !re->mc)
		fatal("out of memory");
	pcre2_set_match_limit(re->mc, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mc, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mc, REGEX_HEAP_LIMIT_KIB);
	regex_load_names(re);
	return re;
}

enum regex_result
regex_match(struct regex *re, const char *subject, size_t len)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, re->md, re->mc);

	if (rc >= 0)
		return REGEX_MATCH;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
		return REGEX_LIMIT;
	if (rc == PCRE2_ERROR_NOMEMORY)
		return REGEX_LIMIT;
	return REGEX_NOMATCH;
}

size_t
regex_ngroups(const struct regex *re)
{
	return re->ngroups;
}

const char *
regex_group_name(const struct regex *re, size_t i)
{
	return re->names[i];
}

char *
regex_group_value(const struct regex *re, size_t i, const char *subject, size_t *len)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
	int g = re->numbers[i];

	if ((uint32_t)g >= pcre2_get_ovector_count(re->md) || ov[2 * g] == PCRE2_UNSET) {
		*len = 0;
		return xstrdup("");
	}
	*len = ov[2 * g + 1] - ov[2 * g];
	return xstrndup(subject + ov[2 * g], *len);
}

void
regex_free(struct regex *re)
{
	size_t i;

	if (!re)
		return;
	for (i = 0; i < re->ngroups; i++)
		free(re->names[i]);
	free(re->names);
	free(re->numbers);
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mc);
	pcre2_code_free(re->code);
	free(re);
}
