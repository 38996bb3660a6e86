/* diag.c: error collection for load and check; every plan error goes through here. */
#include <stdarg.h>
#include <stdlib.h>

#include "diag.h"
#include "node.h"
#include "util.h"

void
diag_init(struct diag *d, const char *file)
{
	d->file = xstrdup(file);
	d->v = NULL;
	d->n = d->cap = 0;
}

static void
diag_vadd(struct diag *d, int line, int col, const char *fmt, va_list ap)
{
	struct buf b = {0};
	char *raw;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	d->v[d->n].line = line;
	d->v[d->n].col = col;
	d->v[d->n].seq = d->n;
	raw = xvasprintf(fmt, ap);
	/* Messages quote plan text and values: keep each diagnostic on one line. */
	text_escape(&b, raw);
	free(raw);
	d->v[d->n].msg = buf_take(&b);
	d->n++;
}

void
diag_error(struct diag *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, line, col, fmt, ap);
	va_end(ap);
}

void
diag_at(struct diag *d, const struct node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct diag_entry *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
diag_sort(struct diag *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
}

void
diag_print(const struct diag *d, FILE *f)
{
	size_t i;

	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
	for (i = 0; i < d->n; i++) {
		if (d->v[i].line > 0)
			fprintf(f, "%s:%d:%d: error: %s\n", d->file, d->v[i].line, d->v[i].col, d->v[i].msg);
		else
			fprintf(f, "%s: error: %s\n", d->file, d->v[i].msg);
	}
}

char *
diag_text(struct diag *d)
{
	struct buf b = {0};
	size_t i;

	diag_sort(d);
	for (i = 0; i < d->n; i++) {
		if (d->v[i].line > 0)
			buf_printf(&b, "%s:%d:%d: error: %s\n", d->file, d->v[i].line, d->v[i].col, d->v[i].msg);
		else
			buf_printf(&b, "%s: error: %s\n", d->file, d->v[i].msg);
	}
	return buf_take(&b);
}

void
diag_free(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	free(d->file);
	d->v = NULL;
	d->n = d->cap = 0;
	d->file = NULL;
}
