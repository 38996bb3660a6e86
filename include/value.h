/* value.h: typed scalars of the plan format (durations, integers, booleans). */
#ifndef STOPPLAN_VALUE_H
#define STOPPLAN_VALUE_H

#include <stdbool.h>
#include <stdint.h>

struct diag;
struct node;

#define DURATION_MAX_MS (24LL * 3600 * 1000)

/* Parses "N[.N](ms|s|m|h)" or a bare number of seconds into milliseconds (rounded to the nearest ms).
 * Returns 0, or -1 with *err set to a static message. */
int value_parse_duration(const char *s, int64_t *ms, const char **err);

/* Parses a decimal integer in [min, max]. Returns 0, or -1 with *err set to a static message. */
int value_parse_int(const char *s, long long min, long long max, long long *out, const char **err);

/* Parses a number (integer or decimal) in [min, max]. */
int value_parse_number(const char *s, double min, double max, double *out, const char **err);

/* The following load a typed value from node n, recording an error in d on failure (return -1). */
int value_duration(const struct node *n, struct diag *d, int64_t *ms);
int value_int(const struct node *n, struct diag *d, long long min, long long max, long long *out);
int value_number(const struct node *n, struct diag *d, double min, double max, double *out);
int value_bool(const struct node *n, struct diag *d, bool *out);
/* Returns a copy of scalar n's text, or NULL with an error when n is not a scalar. */
char *value_string(const struct node *n, struct diag *d, const char *what);

#endif
