/* template.h: "${param}", "${env.NAME}", "${steps.NAME.FIELD}" with "| filter"s, and "$$". */
#ifndef STOPPLAN_TEMPLATE_H
#define STOPPLAN_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct diag;
struct node;
struct step;

enum tmpl_ref {
	TREF_LITERAL,
	TREF_PARAM,
	TREF_ENV,
	TREF_STEP,
};

enum tmpl_filter {
	TFILTER_URLENCODE,
	TFILTER_BASE64,
	TFILTER_JSON,
};

/* What a template must produce once rendered; checked when it is resolved. */
enum tmpl_type {
	TTYPE_STRING,
	TTYPE_URL,          /* an http or https URL */
	TTYPE_DURATION,     /* a duration, >= 0 */
	TTYPE_TIMEOUT,      /* a duration, > 0 */
	TTYPE_HEADER,       /* no CR or LF */
	TTYPE_PORT,         /* 1..65535 */
};

#define TMPL_MAX_FILTERS 4

struct tmpl_part {
	enum tmpl_ref ref;
	char *text;                   /* LITERAL: the text; else the name (param, variable or step) */
	size_t len;                   /* LITERAL: length of text */
	char *field;                  /* STEP: the output field */
	int col;                      /* offset of "${" in the scalar, for messages */
	enum tmpl_filter filters[TMPL_MAX_FILTERS];
	int nfilters;
	int param;                    /* PARAM: index in plan->params, set by check */
	const struct step *step;      /* STEP: the step referred to, set by check */
};

struct tmpl {
	const struct node *node;      /* where it was written */
	enum tmpl_type type;
	struct tmpl_part *parts;
	size_t nparts;
	bool dynamic;                 /* refers to step outputs: rendered when its step starts */
	const struct step *owner;     /* the step it belongs to; NULL for plan-level values */
	/* Static templates are resolved once before the first step: */
	char *value;                  /* rendered text */
	size_t vlen;
	int64_t ms;                   /* DURATION / TIMEOUT */
	long long num;                /* PORT */
	bool typed;                   /* ms or num hold the checked value */
	struct tmpl *next;            /* in plan->tmpls */
};

/* What a template is rendered against. */
struct tmpl_env {
	const char *const *params;    /* values by param index; an entry may be NULL (unknown) */
	const bool *secret;           /* by param index */
	bool redact;                  /* render secret params as "***" */
	bool keep_unknown;            /* render unknown values as "${...}" instead of failing */
	/* Returns an output of step s, or NULL (with *err set) when it has none. */
	const char *(*output)(void *arg, const struct step *s, const char *field, size_t *len, const char **err);
	void *arg;
};

/* Parses scalar n as a template of the given type. Returns NULL with errors in d on a syntax error.
 * The result is owned by the caller (tmpl_free). */
struct tmpl *tmpl_parse(const struct node *n, enum tmpl_type type, struct diag *d);
/* Renders t into out. Returns 0, or -1 with a newly allocated message in *err. */
int tmpl_render(const struct tmpl *t, const struct tmpl_env *env, struct buf *out, char **err);
/* Checks a rendered value against t->type, filling t->ms / t->num. Returns NULL or a static message. */
const char *tmpl_check_value(struct tmpl *t, const char *s, size_t len);
/* Checks s, t rendered with env, like tmpl_check_value; on a bad value records at t's node
 * "'SHOWN'HOW: why", SHOWN being t rendered again with secrets masked. Returns 0 or -1. */
int tmpl_check_rendered(struct tmpl *t, const struct tmpl_env *env, const char *s, size_t len, const char *how,
    struct diag *d);
/* True when every part is a literal. */
bool tmpl_is_literal(const struct tmpl *t);
/* The checked duration of t, or def when t is NULL or not resolved yet. */
int64_t tmpl_ms(const struct tmpl *t, int64_t def);
void tmpl_free(struct tmpl *t);

/* The base64 filter, exposed for unit tests: appends the encoded form of s to out (urlencode is
 * http_urlencode). */
void tmpl_base64(struct buf *out, const char *s, size_t n);

#endif
