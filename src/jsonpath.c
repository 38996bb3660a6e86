/* jsonpath.c: a parser and evaluator for the part of RFC 9535 (JSONPath) that plans use: names,
 * indexes, wildcards, slices, descendants and filters without function extensions. Queries are
 * parsed once when the plan is checked, so an unsupported query is an error at validate time. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "util.h"

#define JP_MAX_INT 9007199254740991LL    /* 2^53 - 1: RFC 9535's range of integers */

enum sel_kind {
	SEL_NAME,
	SEL_INDEX,
	SEL_WILD,
	SEL_SLICE,
	SEL_FILTER,
};

struct expr;

struct sel {
	enum sel_kind kind;
	char *name;                 /* NAME (may hold NUL bytes) */
	size_t namelen;
	long long index;            /* INDEX */
	bool has_start, has_end;    /* SLICE */
	long long start, end, step;
	struct expr *filter;        /* FILTER */
};

struct seg {
	bool desc;                  /* ".." */
	struct sel *sels;
	size_t nsels;
	size_t end;                 /* offset in the source just after the segment */
};

struct jsonpath {
	char *src;
	bool relative;              /* "@" (in filters) rather than "$" */
	struct seg *segs;
	size_t nsegs;
	bool singular;
};

enum expr_kind {
	EX_OR,
	EX_AND,
	EX_NOT,
	EX_TEST,                    /* a query selects something */
	EX_CMP,
};

enum cmp_op {
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
};

struct operand {
	struct jsonpath *q;         /* a singular query, or NULL */
	json_t *lit;                /* else a literal */
};

struct expr {
	enum expr_kind kind;
	struct expr *a, *b;         /* OR, AND: both; NOT: a */
	struct jsonpath *q;         /* TEST */
	enum cmp_op op;             /* CMP */
	struct operand l, r;
};

struct parser {
	const char *s;
	size_t len, pos;
	int depth;
	char *err;
	size_t erroff;
};

static void expr_free(struct expr *x);
static struct jsonpath *parse_query(struct parser *ps, bool top);
static struct expr *parse_or(struct parser *ps);

/* ---- parsing ---- */

static int
perr(struct parser *ps, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (ps->err)
		return -1;
	va_start(ap, fmt);
	ps->err = xvasprintf(fmt, ap);
	va_end(ap);
	ps->erroff = off;
	return -1;
}

static int
peek(const struct parser *ps)
{
	return ps->pos < ps->len ? (unsigned char)ps->s[ps->pos] : -1;
}

static bool
at(const struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);

	return ps->len - ps->pos >= n && memcmp(ps->s + ps->pos, tok, n) == 0;
}

static void
skip_ws(struct parser *ps)
{
	while (ps->pos < ps->len && strchr(" \t\n\r", ps->s[ps->pos]) && ps->s[ps->pos])
		ps->pos++;
}

/* What the character at the current position is, for messages. */
static char *
what(const struct parser *ps)
{
	int c = peek(ps);

	if (c < 0)
		return xstrdup("the end of the query");
	if (c >= 0x20 && c < 0x7f)
		return xasprintf("'%c'", c);
	return xasprintf("byte 0x%02x", c);
}

static int
perr_unexpected(struct parser *ps, const char *expected)
{
	char *w = what(ps);

	perr(ps, ps->pos, "expected %s, found %s", expected, w);
	free(w);
	return -1;
}

static bool
name_first(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
name_char(int c)
{
	return name_first(c) || (c >= '0' && c <= '9');
}

static void
put_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | (cp >> 6)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xe0 | (cp >> 12)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | (cp >> 18)));
		buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

static int
hex4(struct parser *ps, unsigned long *cp)
{
	int i;

	*cp = 0;
	for (i = 0; i < 4; i++) {
		int c = peek(ps);

		*cp <<= 4;
		if (c >= '0' && c <= '9')
			*cp |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*cp |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*cp |= (unsigned long)(c - 'A' + 10);
		else
			return perr_unexpected(ps, "a hex digit in a \\u escape");
		ps->pos++;
	}
	return 0;
}

/* A string literal in single or double quotes; the value goes to out. */
static int
parse_string(struct parser *ps, struct buf *out)
{
	char q = ps->s[ps->pos];
	size_t open = ps->pos++;

	buf_add(out, "", 0);
	for (;;) {
		int c = peek(ps);

		if (c < 0)
			return perr(ps, open, "string not closed");
		if (c == q) {
			ps->pos++;
			return 0;
		}
		if (c < 0x20)
			return perr(ps, ps->pos, "control character 0x%02x in a string (write it as \\u%04x)", c, c);
		if (c != '\\') {
			buf_addc(out, (char)c);
			ps->pos++;
			continue;
		}
		ps->pos++;
		c = peek(ps);
		switch (c) {
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'n': buf_addc(out, '\n'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 't': buf_addc(out, '\t'); break;
		case '/': buf_addc(out, '/'); break;
		case '\\': buf_addc(out, '\\'); break;
		case '\'':
		case '"':
			if (c != q)
				return perr(ps, ps->pos - 1, "\\%c in a %s-quoted string (write %c alone)", c,
				    q == '\'' ? "single" : "double", c);
			buf_addc(out, (char)c);
			break;
		case 'u': {
			unsigned long cp, lo;
			size_t at_u = ps->pos - 1;

			ps->pos++;
			if (hex4(ps, &cp) < 0)
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return perr(ps, at_u, "lone low surrogate \\u%04lx", cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (!at(ps, "\\u"))
					return perr(ps, at_u, "high surrogate \\u%04lx without its low half", cp);
				ps->pos += 2;
				if (hex4(ps, &lo) < 0)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return perr(ps, at_u, "high surrogate \\u%04lx without its low half", cp);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			put_utf8(out, cp);
			continue;
		}
		default:
			return perr(ps, ps->pos - 1, "unknown escape in a string");
		}
		ps->pos++;
	}
}

/* An integer as RFC 9535 writes them: "0" or an optional "-" and digits without a leading 0. */
static int
parse_int(struct parser *ps, long long *v)
{
	size_t start = ps->pos;
	bool neg = false;
	long long n = 0;

	if (peek(ps) == '-') {
		neg = true;
		ps->pos++;
	}
	if (peek(ps) < '0' || peek(ps) > '9')
		return perr_unexpected(ps, "a digit");
	if (peek(ps) == '0' && (neg || (ps->pos + 1 < ps->len && ps->s[ps->pos + 1] >= '0' &&
	    ps->s[ps->pos + 1] <= '9')))
		return perr(ps, start, "integers have no leading zero, and -0 is not an index");
	while (peek(ps) >= '0' && peek(ps) <= '9') {
		n = n * 10 + (peek(ps) - '0');
		ps->pos++;
		if (n > JP_MAX_INT)
			return perr(ps, start, "integer out of range (at most 2^53-1 either way)");
	}
	*v = neg ? -n : n;
	return 0;
}

static int
enter(struct parser *ps)
{
	if (++ps->depth > JSONPATH_MAX_NESTING)
		return perr(ps, ps->pos, "nested deeper than %d levels", JSONPATH_MAX_NESTING);
	return 0;
}

static int
parse_selector(struct parser *ps, struct sel *sel)
{
	int c = peek(ps);

	if (c == '\'' || c == '"') {
		struct buf b = {0};

		if (parse_string(ps, &b) < 0) {
			buf_free(&b);
			return -1;
		}
		sel->kind = SEL_NAME;
		sel->namelen = b.len;
		sel->name = buf_take(&b);
		return 0;
	}
	if (c == '*') {
		ps->pos++;
		sel->kind = SEL_WILD;
		return 0;
	}
	if (c == '?') {
		ps->pos++;
		skip_ws(ps);
		if (enter(ps) < 0)
			return -1;
		sel->kind = SEL_FILTER;
		sel->filter = parse_or(ps);
		ps->depth--;
		return sel->filter ? 0 : -1;
	}
	if (c == '-' || (c >= '0' && c <= '9') || c == ':') {
		long long v = 0;

		if (c != ':' && parse_int(ps, &v) < 0)
			return -1;
		skip_ws(ps);
		if (peek(ps) != ':') {
			sel->kind = SEL_INDEX;
			sel->index = v;
			return 0;
		}
		sel->kind = SEL_SLICE;
		sel->step = 1;
		if (c != ':') {
			sel->has_start = true;
			sel->start = v;
		}
		ps->pos++;
		skip_ws(ps);
		c = peek(ps);
		if (c == '-' || (c >= '0' && c <= '9')) {
			if (parse_int(ps, &sel->end) < 0)
				return -1;
			sel->has_end = true;
			skip_ws(ps);
		}
		if (peek(ps) == ':') {
			ps->pos++;
			skip_ws(ps);
			c = peek(ps);
			if ((c == '-' || (c >= '0' && c <= '9')) && parse_int(ps, &sel->step) < 0)
				return -1;
		}
		return 0;
	}
	return perr_unexpected(ps, "a selector (a quoted name, an index, a slice, * or ?filter)");
}

static int
parse_bracket(struct parser *ps, struct seg *seg)
{
	ps->pos++;                  /* '[' */
	if (enter(ps) < 0)
		return -1;
	for (;;) {
		skip_ws(ps);
		seg->sels = xgrow(seg->sels, seg->nsels, sizeof(*seg->sels));
		memset(&seg->sels[seg->nsels], 0, sizeof(*seg->sels));
		seg->nsels++;
		if (parse_selector(ps, &seg->sels[seg->nsels - 1]) < 0)
			return -1;
		skip_ws(ps);
		if (peek(ps) == ']')
			break;
		if (peek(ps) != ',')
			return perr_unexpected(ps, "',' or ']'");
		ps->pos++;
	}
	ps->pos++;
	ps->depth--;
	return 0;
}

static int
parse_shorthand(struct parser *ps, struct seg *seg)
{
	size_t start = ps->pos;
	struct sel *sel;

	seg->sels = xcalloc(1, sizeof(*seg->sels));
	seg->nsels = 1;
	sel = seg->sels;
	if (peek(ps) == '*') {
		ps->pos++;
		sel->kind = SEL_WILD;
		return 0;
	}
	if (!name_first(peek(ps)))
		return perr_unexpected(ps, seg->desc ? "a name, '*' or '[' after '..'" : "a name or '*' after '.'");
	while (name_char(peek(ps)))
		ps->pos++;
	sel->kind = SEL_NAME;
	sel->name = xstrndup(ps->s + start, ps->pos - start);
	sel->namelen = ps->pos - start;
	if (peek(ps) == '(')
		return perr(ps, start, "function extensions (%s()) are not supported", sel->name);
	return 0;
}

/* One segment, at '.', '..' or '['. */
static int
parse_segment(struct parser *ps, struct jsonpath *p)
{
	struct seg *seg;
	int rc;

	p->segs = xgrow(p->segs, p->nsegs, sizeof(*p->segs));
	seg = &p->segs[p->nsegs++];
	memset(seg, 0, sizeof(*seg));
	if (at(ps, "..")) {
		ps->pos += 2;
		seg->desc = true;
		rc = peek(ps) == '[' ? parse_bracket(ps, seg) : parse_shorthand(ps, seg);
	} else if (peek(ps) == '.') {
		ps->pos++;
		rc = parse_shorthand(ps, seg);
	} else {
		rc = parse_bracket(ps, seg);
	}
	seg->end = ps->pos;
	return rc;
}

static void
query_free(struct jsonpath *p)
{
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < p->nsegs; i++) {
		for (j = 0; j < p->segs[i].nsels; j++) {
			free(p->segs[i].sels[j].name);
			expr_free(p->segs[i].sels[j].filter);
		}
		free(p->segs[i].sels);
	}
	free(p->segs);
	free(p->src);
	free(p);
}

static bool
query_singular(const struct jsonpath *p)
{
	size_t i;

	for (i = 0; i < p->nsegs; i++)
		if (p->segs[i].desc || p->segs[i].nsels != 1 ||
		    (p->segs[i].sels[0].kind != SEL_NAME && p->segs[i].sels[0].kind != SEL_INDEX))
			return false;
	return true;
}

/* A query starting at '$' or (not top) '@'. Inside a filter it ends where no segment follows. */
static struct jsonpath *
parse_query(struct parser *ps, bool top)
{
	struct jsonpath *p = xcalloc(1, sizeof(*p));
	size_t start = ps->pos;
	int c = peek(ps);

	if (c == '@' && !top) {
		p->relative = true;
	} else if (c != '$') {
		perr_unexpected(ps, top ? "'$' at the start of the query" : "'@' or '$'");
		goto fail;
	}
	ps->pos++;
	for (;;) {
		size_t save = ps->pos;

		skip_ws(ps);
		c = peek(ps);
		if (c != '.' && c != '[') {
			ps->pos = save;
			break;
		}
		if (parse_segment(ps, p) < 0)
			goto fail;
	}
	p->src = xstrndup(ps->s + start, ps->pos - start);
	p->singular = query_singular(p);
	for (size_t i = 0; i < p->nsegs; i++)
		p->segs[i].end -= start;
	return p;
fail:
	query_free(p);
	return NULL;
}

/* A literal: a string, a number, true, false or null. */
static json_t *
parse_literal(struct parser *ps)
{
	int c = peek(ps);
	size_t start = ps->pos;

	if (c == '\'' || c == '"') {
		struct buf b = {0};
		json_t *v = NULL;

		if (parse_string(ps, &b) == 0 && !(v = json_stringn_nocheck(b.s ? b.s : "", b.len)))
			perr(ps, start, "a string that is not valid UTF-8");
		buf_free(&b);
		return v;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		bool is_int = true;
		char *text, *end;
		double d;
		json_t *v;

		if (c == '-')
			ps->pos++;
		if (peek(ps) == '0') {
			ps->pos++;
		} else if (peek(ps) >= '1' && peek(ps) <= '9') {
			while (peek(ps) >= '0' && peek(ps) <= '9')
				ps->pos++;
		} else {
			perr_unexpected(ps, "a digit");
			return NULL;
		}
		if (peek(ps) >= '0' && peek(ps) <= '9') {
			perr(ps, start, "numbers have no leading zero");
			return NULL;
		}
		if (peek(ps) == '.') {
			is_int = false;
			ps->pos++;
			if (peek(ps) < '0' || peek(ps) > '9') {
				perr_unexpected(ps, "a digit after '.'");
				return NULL;
			}
			while (peek(ps) >= '0' && peek(ps) <= '9')
				ps->pos++;
		}
		if (peek(ps) == 'e' || peek(ps) == 'E') {
			is_int = false;
			ps->pos++;
			if (peek(ps) == '+' || peek(ps) == '-')
				ps->pos++;
			if (peek(ps) < '0' || peek(ps) > '9') {
				perr_unexpected(ps, "a digit in the exponent");
				return NULL;
			}
			while (peek(ps) >= '0' && peek(ps) <= '9')
				ps->pos++;
		}
		text = xstrndup(ps->s + start, ps->pos - start);
		errno = 0;
		if (is_int) {
			long long n = strtoll(text, &end, 10);

			if (errno == 0) {
				free(text);
				return json_integer(n);
			}
			errno = 0;
		}
		d = strtod(text, &end);
		free(text);
		if (errno == ERANGE && (d > 1 || d < -1)) {
			perr(ps, start, "number out of range");
			return NULL;
		}
		if (!(v = json_real(d)))
			perr(ps, start, "number out of range");
		return v;
	}
	if (at(ps, "true") && !name_char(ps->pos + 4 < ps->len ? (unsigned char)ps->s[ps->pos + 4] : 0)) {
		ps->pos += 4;
		return json_true();
	}
	if (at(ps, "false") && !name_char(ps->pos + 5 < ps->len ? (unsigned char)ps->s[ps->pos + 5] : 0)) {
		ps->pos += 5;
		return json_false();
	}
	if (at(ps, "null") && !name_char(ps->pos + 4 < ps->len ? (unsigned char)ps->s[ps->pos + 4] : 0)) {
		ps->pos += 4;
		return json_null();
	}
	if (name_first(c)) {
		size_t e = ps->pos;

		while (e < ps->len && name_char((unsigned char)ps->s[e]))
			e++;
		if (e < ps->len && ps->s[e] == '(')
			perr(ps, start, "function extensions (%.*s()) are not supported", (int)(e - start), ps->s + start);
		else
			perr(ps, start, "'%.*s' is not a literal (strings need quotes; literals are true, false, null)",
			    (int)(e - start), ps->s + start);
		return NULL;
	}
	perr_unexpected(ps, "a query (@ or $), a literal, '!' or '('");
	return NULL;
}

static int
parse_cmp_op(struct parser *ps, enum cmp_op *op)
{
	static const struct {
		const char *tok;
		enum cmp_op op;
	} ops[] = {
		{"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"<", OP_LT}, {">", OP_GT},
	};
	size_t i;

	for (i = 0; i < LEN(ops); i++)
		if (at(ps, ops[i].tok)) {
			ps->pos += strlen(ops[i].tok);
			*op = ops[i].op;
			return 0;
		}
	return -1;
}

static int
parse_operand(struct parser *ps, struct operand *o, bool *was_query)
{
	int c = peek(ps);

	*was_query = c == '@' || c == '$';
	if (*was_query)
		return (o->q = parse_query(ps, false)) ? 0 : -1;
	return (o->lit = parse_literal(ps)) ? 0 : -1;
}

static struct expr *
parse_basic(struct parser *ps)
{
	struct expr *x = xcalloc(1, sizeof(*x));
	size_t start = ps->pos;
	bool was_query;

	if (peek(ps) == '!') {
		ps->pos++;
		skip_ws(ps);
		x->kind = EX_NOT;
		if (peek(ps) == '(' || peek(ps) == '@' || peek(ps) == '$' || peek(ps) == '!') {
			bool paren = peek(ps) == '(';

			if (!(x->a = parse_basic(ps)))
				goto fail;
			if (!paren && x->a->kind == EX_CMP) {
				perr(ps, start, "'!' applies to a query or a parenthesised expression: write !(a == b) or a != b");
				goto fail;
			}
			return x;
		}
		perr_unexpected(ps, "'(' or a query after '!'");
		goto fail;
	}
	if (peek(ps) == '(') {
		ps->pos++;
		if (enter(ps) < 0)
			goto fail;
		skip_ws(ps);
		free(x);
		if (!(x = parse_or(ps)))
			return NULL;
		skip_ws(ps);
		if (peek(ps) != ')') {
			perr_unexpected(ps, "')'");
			goto fail;
		}
		ps->pos++;
		ps->depth--;
		return x;
	}
	if (parse_operand(ps, &x->l, &was_query) < 0)
		goto fail;
	{
		size_t save = ps->pos;

		skip_ws(ps);
		if (parse_cmp_op(ps, &x->op) < 0) {
			ps->pos = save;
			if (!was_query) {
				perr_unexpected(ps, "a comparison (==, !=, <, <=, >, >=) after a literal");
				goto fail;
			}
			x->kind = EX_TEST;
			x->q = x->l.q;
			x->l.q = NULL;
			return x;
		}
	}
	x->kind = EX_CMP;
	if (x->l.q && !x->l.q->singular) {
		perr(ps, start, "a comparison needs a singular query (names and indexes only, no '..', '*', slices or filters)");
		goto fail;
	}
	skip_ws(ps);
	start = ps->pos;
	if (parse_operand(ps, &x->r, &was_query) < 0)
		goto fail;
	if (x->r.q && !x->r.q->singular) {
		perr(ps, start, "a comparison needs a singular query (names and indexes only, no '..', '*', slices or filters)");
		goto fail;
	}
	return x;
fail:
	expr_free(x);
	return NULL;
}

/* A chain of operands joined by op ("&&" or "||"), left-associative, as expressions of kind. */
static struct expr *
parse_chain(struct parser *ps, const char *op, enum expr_kind kind, struct expr *(*operand)(struct parser *))
{
	struct expr *x = operand(ps), *y;

	for (;;) {
		size_t save = ps->pos;

		if (!x)
			return NULL;
		skip_ws(ps);
		if (!at(ps, op)) {
			ps->pos = save;
			return x;
		}
		ps->pos += strlen(op);
		skip_ws(ps);
		y = xcalloc(1, sizeof(*y));
		y->kind = kind;
		y->a = x;
		if (!(y->b = operand(ps))) {
			expr_free(y);
			return NULL;
		}
		x = y;
	}
}

static struct expr *
parse_and(struct parser *ps)
{
	return parse_chain(ps, "&&", EX_AND, parse_basic);
}

static struct expr *
parse_or(struct parser *ps)
{
	return parse_chain(ps, "||", EX_OR, parse_and);
}

static void
expr_free(struct expr *x)
{
	if (!x)
		return;
	expr_free(x->a);
	expr_free(x->b);
	query_free(x->q);
	query_free(x->l.q);
	query_free(x->r.q);
	json_decref(x->l.lit);
	json_decref(x->r.lit);
	free(x);
}

struct jsonpath *
jsonpath_parse(const char *src, size_t len, char **err, size_t *erroff)
{
	struct parser ps = {.s = src, .len = len};
	struct jsonpath *p;

	*err = NULL;
	*erroff = 0;
	if (memchr(src, '\0', len)) {
		*err = xstrdup("NUL byte in the query");
		*erroff = (size_t)((const char *)memchr(src, '\0', len) - src);
		return NULL;
	}
	p = parse_query(&ps, true);
	if (p && ps.pos < len) {
		char *w;

		skip_ws(&ps);
		if (ps.pos == len) {
			while (ps.pos > 0 && strchr(" \t\n\r", ps.s[ps.pos - 1]))
				ps.pos--;
			perr(&ps, ps.pos, "whitespace after the query");
		}
		w = what(&ps);
		perr(&ps, ps.pos, "unexpected %s (a segment starts with '.', '..' or '[')", w);
		free(w);
		query_free(p);
		p = NULL;
	}
	if (!p) {
		*err = ps.err ? ps.err : xstrdup("bad query");
		*erroff = ps.erroff;
	}
	return p;
}

size_t
jsonpath_nsegments(const struct jsonpath *p)
{
	return p->nsegs;
}

size_t
jsonpath_prefix_len(const struct jsonpath *p, size_t n)
{
	return n == 0 ? 1 : p->segs[(n > p->nsegs ? p->nsegs : n) - 1].end;
}

const char *
jsonpath_text(const struct jsonpath *p)
{
	return p->src;
}

bool
jsonpath_is_singular(const struct jsonpath *p)
{
	return p->singular;
}

void
jsonpath_free(struct jsonpath *p)
{
	query_free(p);
}

/* ---- evaluation ---- */

struct eval {
	json_t *root;
	long long budget;
};

static void
nodes_add(struct eval *ev, struct jsonpath_nodes *l, json_t *v)
{
	ev->budget--;
	l->v = xgrow(l->v, l->n, sizeof(*l->v));
	l->v[l->n++] = v;
}

void
jsonpath_nodes_free(struct jsonpath_nodes *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static bool
is_number(const json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

bool
jsonpath_equal(const json_t *a, const json_t *b)
{
	if (is_number(a) && is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		size_t i, n = json_array_size(a);

		if (n != json_array_size(b))
			return false;
		for (i = 0; i < n; i++)
			if (!jsonpath_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a)) {
		const char *k;
		size_t klen;
		json_t *v, *w;

		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_keylen_foreach((json_t *)a, k, klen, v) {
			w = json_object_getn(b, k, klen);
			if (!w || !jsonpath_equal(v, w))
				return false;
		}
		return true;
	}
	if (json_is_string(a))
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	return json_equal((json_t *)a, (json_t *)b);
}

/* a < b for numbers and strings (code points: byte order of UTF-8); false otherwise. */
static bool
less(const json_t *a, const json_t *b)
{
	if (is_number(a) && is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) < json_integer_value(b);
		return json_number_value(a) < json_number_value(b);
	}
	if (json_is_string(a) && json_is_string(b)) {
		size_t la = json_string_length(a), lb = json_string_length(b);
		int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);

		return c < 0 || (c == 0 && la < lb);
	}
	return false;
}

static void eval_segs(struct eval *ev, const struct jsonpath *p, size_t nseg, json_t *start, struct jsonpath_nodes *out);
static bool eval_expr(struct eval *ev, const struct expr *x, json_t *cur);

/* The node a singular query selects from cur, or NULL. */
static json_t *
eval_singular(struct eval *ev, const struct jsonpath *q, json_t *cur)
{
	json_t *v = q->relative ? cur : ev->root;
	size_t i;

	for (i = 0; v && i < q->nsegs; i++) {
		const struct sel *s = &q->segs[i].sels[0];

		ev->budget--;
		if (s->kind == SEL_NAME) {
			v = json_is_object(v) ? json_object_getn(v, s->name, s->namelen) : NULL;
		} else {
			long long n = (long long)json_array_size(v), k = s->index < 0 ? n + s->index : s->index;

			v = json_is_array(v) && k >= 0 && k < n ? json_array_get(v, (size_t)k) : NULL;
		}
	}
	return v;
}

static bool
compare(const json_t *l, enum cmp_op op, const json_t *r)
{
	bool eq;

	switch (op) {
	case OP_EQ:
	case OP_NE:
		eq = (!l && !r) || (l && r && jsonpath_equal(l, r));
		return op == OP_EQ ? eq : !eq;
	case OP_LT: return l && r && less(l, r);
	case OP_GT: return l && r && less(r, l);
	case OP_LE: return compare(l, OP_LT, r) || compare(l, OP_EQ, r);
	case OP_GE: return compare(l, OP_GT, r) || compare(l, OP_EQ, r);
	}
	return false;
}

static bool
eval_expr(struct eval *ev, const struct expr *x, json_t *cur)
{
	switch (x->kind) {
	case EX_OR: return eval_expr(ev, x->a, cur) || eval_expr(ev, x->b, cur);
	case EX_AND: return eval_expr(ev, x->a, cur) && eval_expr(ev, x->b, cur);
	case EX_NOT: return !eval_expr(ev, x->a, cur);
	case EX_TEST: {
		struct jsonpath_nodes l = {0};
		bool found;

		if (x->q->singular)
			return eval_singular(ev, x->q, cur) != NULL;
		eval_segs(ev, x->q, x->q->nsegs, x->q->relative ? cur : ev->root, &l);
		found = l.n > 0;
		jsonpath_nodes_free(&l);
		return found;
	}
	case EX_CMP: {
		const json_t *l = x->l.q ? eval_singular(ev, x->l.q, cur) : x->l.lit;
		const json_t *r = x->r.q ? eval_singular(ev, x->r.q, cur) : x->r.lit;

		return compare(l, x->op, r);
	}
	}
	return false;
}

static long long
clamp(long long v, long long lo, long long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Applies one selector to node v. */
static void
apply_sel(struct eval *ev, const struct sel *s, json_t *v, struct jsonpath_nodes *out)
{
	size_t i;
	const char *k;
	json_t *c;

	if (ev->budget <= 0)
		return;
	switch (s->kind) {
	case SEL_NAME:
		if (json_is_object(v) && (c = json_object_getn(v, s->name, s->namelen)))
			nodes_add(ev, out, c);
		return;
	case SEL_INDEX:
		if (json_is_array(v)) {
			long long len = (long long)json_array_size(v), idx = s->index < 0 ? len + s->index : s->index;

			if (idx >= 0 && idx < len)
				nodes_add(ev, out, json_array_get(v, (size_t)idx));
		}
		return;
	case SEL_WILD:
		if (json_is_array(v))
			json_array_foreach(v, i, c)
				nodes_add(ev, out, c);
		else if (json_is_object(v))
			json_object_foreach(v, k, c)
				nodes_add(ev, out, c);
		return;
	case SEL_SLICE: {
		long long len, start, end, lo, hi, j;

		if (!json_is_array(v) || s->step == 0)
			return;
		len = (long long)json_array_size(v);
		if (s->step > 0) {
			start = s->has_start ? s->start : 0;
			end = s->has_end ? s->end : len;
			lo = clamp(start >= 0 ? start : len + start, 0, len);
			hi = clamp(end >= 0 ? end : len + end, 0, len);
			for (j = lo; j < hi && ev->budget > 0; j += s->step)
				nodes_add(ev, out, json_array_get(v, (size_t)j));
		} else {
			start = s->has_start ? s->start : len - 1;
			end = s->has_end ? s->end : -len - 1;
			hi = clamp(start >= 0 ? start : len + start, -1, len - 1);
			lo = clamp(end >= 0 ? end : len + end, -1, len - 1);
			for (j = hi; lo < j && ev->budget > 0; j += s->step)
				nodes_add(ev, out, json_array_get(v, (size_t)j));
		}
		return;
	}
	case SEL_FILTER:
		if (json_is_array(v)) {
			json_array_foreach(v, i, c) {
				if (ev->budget-- <= 0)
					return;
				if (eval_expr(ev, s->filter, c))
					nodes_add(ev, out, c);
			}
		} else if (json_is_object(v)) {
			json_object_foreach(v, k, c) {
				if (ev->budget-- <= 0)
					return;
				if (eval_expr(ev, s->filter, c))
					nodes_add(ev, out, c);
			}
		}
		return;
	}
}

static void
apply_seg(struct eval *ev, const struct seg *g, json_t *v, struct jsonpath_nodes *out)
{
	size_t i;
	const char *k;
	json_t *c;

	if (ev->budget-- <= 0)
		return;
	for (i = 0; i < g->nsels; i++)
		apply_sel(ev, &g->sels[i], v, out);
	if (!g->desc)
		return;
	if (json_is_array(v))
		json_array_foreach(v, i, c)
			apply_seg(ev, g, c, out);
	else if (json_is_object(v))
		json_object_foreach(v, k, c)
			apply_seg(ev, g, c, out);
}

static void
eval_segs(struct eval *ev, const struct jsonpath *p, size_t nseg, json_t *start, struct jsonpath_nodes *out)
{
	struct jsonpath_nodes cur = {0}, next = {0};
	size_t i, j;

	nodes_add(ev, &cur, start);
	for (i = 0; i < nseg && i < p->nsegs && cur.n; i++) {
		next.n = 0;
		for (j = 0; j < cur.n && ev->budget > 0; j++)
			apply_seg(ev, &p->segs[i], cur.v[j], &next);
		struct jsonpath_nodes t = cur;

		cur = next;
		next = t;
	}
	for (j = 0; j < cur.n; j++) {
		out->v = xgrow(out->v, out->n, sizeof(*out->v));
		out->v[out->n++] = cur.v[j];
	}
	jsonpath_nodes_free(&cur);
	jsonpath_nodes_free(&next);
}

enum jsonpath_status
jsonpath_eval(const struct jsonpath *p, size_t nseg, json_t *root, struct jsonpath_nodes *out)
{
	struct eval ev = {.root = root, .budget = JSONPATH_BUDGET};

	out->n = 0;
	eval_segs(&ev, p, nseg, root, out);
	if (ev.budget <= 0) {
		out->n = 0;
		return JSONPATH_OVER_BUDGET;
	}
	return JSONPATH_OK;
}
