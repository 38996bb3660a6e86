/* value.c: parsing of typed scalars and checking of mappings against key schemas. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "node.h"
#include "util.h"
#include "value.h"

int
value_parse_number(const char *s, double min, double max, double *out, const char **err)
{
	char *end;
	double v;

	if (!*s || strspn(s, "0123456789.-+") != strlen(s)) {
		*err = "not a number";
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || isnan(v)) {
		*err = "not a number";
		return -1;
	}
	if (v < min || v > max) {
		*err = "out of range";
		return -1;
	}
	*out = v;
	return 0;
}

int
value_parse_int(const char *s, long long min, long long max, long long *out, const char **err)
{
	char *end;
	long long v;
	const char *p = s;

	if (*p == '-' || *p == '+')
		p++;
	if (!*p || strspn(p, "0123456789") != strlen(p)) {
		*err = "not an integer";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v < min || v > max) {
		*err = "out of range";
		return -1;
	}
	*out = v;
	return 0;
}

int
value_parse_duration(const char *s, int64_t *ms, const char **err)
{
	const char *p = s;
	double num = 0, scale = 1000;
	size_t ndig = 0, nsig = 0, nfrac = 0;

	if (*p == '-') {
		*err = "durations cannot be negative";
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++, ndig++) {
		if (nsig || *p != '0')
			nsig++;
		if (nsig < 12)
			num = num * 10 + (*p - '0');
	}
	if (*p == '.') {
		double f = 0.1;

		for (p++; *p >= '0' && *p <= '9'; p++, nfrac++, f /= 10)
			num += (*p - '0') * f;
		if (nfrac == 0)
			goto bad;
	}
	if (ndig == 0)
		goto bad;
	if (strcmp(p, "ms") == 0)
		scale = 1;
	else if (strcmp(p, "s") == 0 || *p == '\0')
		scale = 1000;
	else if (strcmp(p, "m") == 0)
		scale = 60000;
	else if (strcmp(p, "h") == 0)
		scale = 3600000;
	else
		goto bad;
	num = num * scale;
	/* Ten significant digits are over 24h in any unit, however many follow. */
	if (nsig > 9 || num > (double)DURATION_MAX_MS) {
		*err = "durations are at most 24h";
		return -1;
	}
	*ms = (int64_t)(num + 0.5);
	return 0;
bad:
	*err = "not a duration (expected N[.N] followed by ms, s, m or h, or a number of seconds)";
	return -1;
}

static const char *
scalar_or_error(const struct node *n, struct diag *d, const char *what)
{
	if (n->type != NODE_SCALAR) {
		diag_at(d, n, "expected %s, found %s", what, node_type_name(n));
		return NULL;
	}
	return n->str;
}

int
value_duration(const struct node *n, struct diag *d, int64_t *ms)
{
	const char *s = scalar_or_error(n, d, "a duration"), *err;

	if (!s)
		return -1;
	if (value_parse_duration(s, ms, &err) < 0) {
		diag_at(d, n, "'%s': %s", s, err);
		return -1;
	}
	return 0;
}

int
value_int(const struct node *n, struct diag *d, long long min, long long max, long long *out)
{
	const char *s = scalar_or_error(n, d, "an integer"), *err;

	if (!s)
		return -1;
	if (value_parse_int(s, min, max, out, &err) < 0) {
		diag_at(d, n, "'%s': %s (expected an integer from %lld to %lld)", s, err, min, max);
		return -1;
	}
	return 0;
}

int
value_number(const struct node *n, struct diag *d, double min, double max, double *out)
{
	const char *s = scalar_or_error(n, d, "a number"), *err;

	if (!s)
		return -1;
	if (value_parse_number(s, min, max, out, &err) < 0) {
		diag_at(d, n, "'%s': %s (expected a number from %g to %g)", s, err, min, max);
		return -1;
	}
	return 0;
}

int
value_bool(const struct node *n, struct diag *d, bool *out)
{
	const char *s = scalar_or_error(n, d, "true or false");

	if (!s)
		return -1;
	if (strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0)
		*out = false;
	else {
		diag_at(d, n, "'%s': expected true or false", s);
		return -1;
	}
	return 0;
}

char *
value_string(const struct node *n, struct diag *d, const char *what)
{
	if (n->type != NODE_SCALAR) {
		diag_at(d, n, "%s must be a string, found %s", what, node_type_name(n));
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		diag_at(d, n, "%s contains a NUL character", what);
		return NULL;
	}
	return xstrdup(n->str);
}
