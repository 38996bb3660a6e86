/* diag.h: collects "FILE:LINE:COL: error: MESSAGE" diagnostics and prints them sorted. */
#ifndef STOPPLAN_DIAG_H
#define STOPPLAN_DIAG_H

#include <stdio.h>

struct node;

struct diag_entry {
	int line, col;
	size_t seq;              /* order of discovery, to keep sorting stable */
	char *msg;
};

struct diag {
	char *file;              /* name used in messages; owned */
	struct diag_entry *v;
	size_t n, cap;
};

/* Initialises d for FILE (copied). */
void diag_init(struct diag *d, const char *file);
/* Records an error at line:col (1-based; 0 for "whole file"). */
void diag_error(struct diag *d, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Records an error at the position of node n. */
void diag_at(struct diag *d, const struct node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sorts the errors by position (discovery order among equals). */
void diag_sort(struct diag *d);
/* Prints every error, sorted by position, to f. */
void diag_print(const struct diag *d, FILE *f);
/* The lines diag_print would print, sorted, as one newly allocated string ("" when none). */
char *diag_text(struct diag *d);
/* Frees the entries and the file name. */
void diag_free(struct diag *d);

#endif
