/* regex.h: PCRE2 behind our own type, with low match limits; the only user of PCRE2. */
#ifndef STOPPLAN_REGEX_H
#define STOPPLAN_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct regex;

enum regex_result {
	REGEX_MATCH,
	REGEX_NOMATCH,
	REGEX_LIMIT,        /* the match or depth limit stopped the search */
};

/* Compiles pattern (UTF-8; invalid UTF-8 in subjects never matches). With whole, the pattern must
 * match the whole subject. Returns NULL and sets *err (newly allocated) and *erroff (character
 * offset in the pattern) on error. The caller owns the result. */
struct regex *regex_compile(const char *pattern, bool whole, char **err, size_t *erroff);
/* Matches subject; on REGEX_MATCH, named groups are available through regex_group. */
enum regex_result regex_match(struct regex *re, const char *subject, size_t len);
/* Number of named groups, and the name of the i-th. */
size_t regex_ngroups(const struct regex *re);
const char *regex_group_name(const struct regex *re, size_t i);
/* The i-th named group of the last match (newly allocated, "" when it did not take part). */
char *regex_group_value(const struct regex *re, size_t i, const char *subject, size_t *len);
void regex_free(struct regex *re);

#endif
