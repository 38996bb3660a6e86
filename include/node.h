/* node.h: a YAML document as a tree of scalars, sequences and mappings that remember their position. */
#ifndef STOPPLAN_NODE_H
#define STOPPLAN_NODE_H

#include <stdbool.h>
#include <stddef.h>

struct diag;

#define NODE_MAX_FILE (1024 * 1024)  /* largest plan file read, in bytes */
#define NODE_MAX_DEPTH 64            /* deepest nesting of sequences and mappings */

enum node_type {
	NODE_SCALAR,
	NODE_SEQ,
	NODE_MAP,
};

struct node {
	enum node_type type;
	int line, col;          /* 1-based, in characters */
	char *str;              /* SCALAR: the value (may hold NUL bytes: see len) */
	size_t len;
	bool plain;             /* SCALAR: written without quotes or block style */
	char style;             /* SCALAR: 'p' plain, '\'' or '"' quoted, '|' literal, '>' folded */
	int end_line, end_col;  /* where the node ends (1-based) */
	int indent;             /* SCALAR '|': columns before each content line (the block's indentation);
	                         * -1 when unknown (no non-empty line) */
	struct node **kids;     /* SEQ: items; MAP: key, value, key, value... */
	size_t nkids;
};

/* Reads PATH ("-" is standard input), at most NODE_MAX_FILE bytes, into a newly allocated buffer.
 * Returns 0, or -1 with an error recorded in d. */
int node_read_file(const char *path, char **buf, size_t *len, struct diag *d);

/* Parses buf into documents; *docs (owned by the caller, free with node_free_docs) gets one root per
 * document. Aliases, duplicate keys, non-scalar keys and nesting beyond NODE_MAX_DEPTH are errors.
 * Returns 0, or -1 with errors recorded in d (docs is then NULL). */
int node_parse(const char *buf, size_t len, struct node ***docs, size_t *ndocs, struct diag *d);

/* The position of byte `off` of scalar n's value: exact when the scalar is written on one line with
 * no escapes (plain or quoted), else the scalar's start. */
void node_pos(const struct node *n, size_t off, int *line, int *col);
/* Where line:col (1-based) of scalar n's value lies in the file. Exact for literal block scalars
 * ('|', '|-', '|+', with or without an indentation indicator): returns true. Otherwise sets the
 * scalar's start and returns false. Line 0 (the value as a whole) gives the scalar's start. */
bool node_value_pos(const struct node *n, int line, int col, int *fline, int *fcol);
/* Returns the value for KEY in map n, or NULL (also when n is not a map). */
const struct node *node_get(const struct node *n, const char *key);
/* Returns true when n is a scalar equal to s. */
bool node_is(const struct node *n, const char *s);
/* "a scalar", "a sequence", "a mapping": for messages. */
const char *node_type_name(const struct node *n);

void node_free(struct node *n);
void node_free_docs(struct node **docs, size_t n);

#endif
