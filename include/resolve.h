/* resolve.h: the phase between check and run: params from -p, the environment and defaults, then
 * every static template rendered and type-checked with them. */
#ifndef STOPPLAN_RESOLVE_H
#define STOPPLAN_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct plan;

/* Resolves params from -p values (NAME=VALUE strings), the environment and defaults, then renders
 * and type-checks every static template (their values are kept in the plan) and recomputes the
 * worst case. Returns the values (one per param; free with resolve_free_params), or NULL after
 * recording errors in d. With lenient (explain), missing params stay NULL and templates that use
 * them are left unresolved. */
char **resolve_params(struct plan *p, char *const *sets, size_t nsets, bool lenient, struct diag *d);
/* Frees params from resolve_params. */
void resolve_free_params(const struct plan *p, char **params);
/* Registers the secret params' values (and their encoded forms) with the log, which masks them. */
void resolve_register_secrets(const struct plan *p, char *const *params);

#endif
