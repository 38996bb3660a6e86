/* node.c: the only user of libyaml; turns a plan file into a tree of positioned nodes. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "diag.h"
#include "node.h"
#include "util.h"

struct loader {
	yaml_parser_t parser;
	const char *buf;
	size_t len;
	struct diag *d;
	bool failed;
	size_t *lines;          /* byte offset where each line starts, built on first use */
	size_t nlines;
};

static int
read_fd(int fd, const char *path, char **bufp, size_t *lenp, struct diag *d)
{
	struct buf b = {0};
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_error(d, 0, 0, "cannot read %s: %s", path, strerror(errno));
			buf_free(&b);
			return -1;
		}
		if (n == 0)
			break;
		buf_add(&b, chunk, (size_t)n);
		if (b.len > NODE_MAX_FILE) {
			diag_error(d, 0, 0, "plan is larger than %d bytes", NODE_MAX_FILE);
			buf_free(&b);
			return -1;
		}
	}
	*lenp = b.len;
	*bufp = buf_take(&b);
	return 0;
}

int
node_read_file(const char *path, char **bufp, size_t *lenp, struct diag *d)
{
	struct stat st;
	int fd, r;

	if (strcmp(path, "-") == 0)
		return read_fd(0, "standard input", bufp, lenp, d);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		diag_error(d, 0, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		diag_error(d, 0, 0, "not a regular file%s", S_ISDIR(st.st_mode) ? " (a directory)" : "");
		close(fd);
		return -1;
	}
	if (st.st_size > NODE_MAX_FILE) {
		diag_error(d, 0, 0, "plan is larger than %d bytes", NODE_MAX_FILE);
		close(fd);
		return -1;
	}
	r = read_fd(fd, path, bufp, lenp, d);
	close(fd);
	return r;
}

/* libyaml reports reader errors (bad UTF-8, NUL) as a byte offset: turn it into line:col. */
static void
offset_position(const char *buf, size_t len, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static void
loader_error(struct loader *l)
{
	yaml_parser_t *p = &l->parser;
	int line, col;

	if (l->failed)
		return;
	l->failed = true;
	if (p->error == YAML_READER_ERROR) {
		offset_position(l->buf, l->len, p->problem_offset, &line, &col);
		if (p->problem_value > 0xff)    /* a code point (an encoded surrogate, say), not a byte */
			diag_error(l->d, line, col, "%s (U+%04X)", p->problem, (unsigned)p->problem_value);
		else if (p->problem_value != -1)
			diag_error(l->d, line, col, "%s (byte 0x%02x)", p->problem, p->problem_value & 0xff);
		else
			diag_error(l->d, line, col, "%s", p->problem);
	} else if (p->error == YAML_MEMORY_ERROR) {
		fatal("out of memory");
	} else if (p->problem_mark.index < l->len && l->buf[p->problem_mark.index] == '\t') {
		diag_error(l->d, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
		    "a tab where YAML expects indentation or a token: YAML indents with spaces only");
	} else {
		diag_error(l->d, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
		    "YAML %s%s%s", p->problem ? p->problem : "syntax error",
		    p->context ? " " : "", p->context ? p->context : "");
	}
}

static struct node *
node_new(enum node_type type, const yaml_mark_t *m)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static void
node_push(struct node *parent, struct node *kid)
{
	if ((parent->nkids & (parent->nkids - 1)) == 0)
		parent->kids = xreallocarray(parent->kids, parent->nkids ? parent->nkids * 2 : 2, sizeof(*parent->kids));
	parent->kids[parent->nkids++] = kid;
}

static struct node *load_node(struct loader *l, yaml_event_t *ev, int depth);

/* Length of the line break at buf[i] as libyaml counts them (CR LF, CR, LF, NEL, LS, PS), or 0. */
static size_t
break_len(const char *buf, size_t len, size_t i)
{
	const unsigned char *u = (const unsigned char *)buf + i;
	size_t left = len - i;

	if (u[0] == '\r')
		return left > 1 && u[1] == '\n' ? 2 : 1;
	if (u[0] == '\n')
		return 1;
	if (left > 1 && u[0] == 0xc2 && u[1] == 0x85)
		return 2;
	if (left > 2 && u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9))
		return 3;
	return 0;
}

static void
index_lines(struct loader *l)
{
	size_t i = 0, b;

	l->lines = xreallocarray(NULL, 1, sizeof(*l->lines));
	l->lines[l->nlines++] = 0;
	while (i < l->len) {
		if ((b = break_len(l->buf, l->len, i)) == 0) {
			i++;
			continue;
		}
		i += b;
		if ((l->nlines & (l->nlines - 1)) == 0)
			l->lines = xreallocarray(l->lines, l->nlines * 2, sizeof(*l->lines));
		l->lines[l->nlines++] = i;
	}
}

/* Characters on line `line` (1-based) of the file, without its break; -1 past the end. */
static long
line_width(struct loader *l, int line)
{
	size_t i, end, w = 0;

	if (!l->lines)
		index_lines(l);
	if (line < 1 || (size_t)line > l->nlines)
		return -1;
	for (i = l->lines[line - 1], end = l->len; i < end; i++) {
		if (break_len(l->buf, l->len, i))
			break;
		if (((unsigned char)l->buf[i] & 0xc0) != 0x80)
			w++;
	}
	return (long)w;
}

static size_t count_chars(const char *s, size_t n);

/* The indentation of literal block scalar n: a content line is the file's line minus the indentation,
 * so the first non-empty line of the value tells it (indentation indicators need no special case). */
static int
block_indent(struct loader *l, const struct node *n)
{
	const char *s = n->str, *nl;
	int line = n->line + 1;
	long w;

	for (; *s; s = nl + 1, line++) {
		nl = strchr(s, '\n');
		if (!nl)
			nl = s + strlen(s);
		if (nl > s) {
			w = line_width(l, line);
			return w < 0 || w < (long)count_chars(s, (size_t)(nl - s)) ? -1 :
			    (int)(w - (long)count_chars(s, (size_t)(nl - s)));
		}
		if (!*nl)
			break;
	}
	return -1;
}

static int
scalar_style_index(yaml_scalar_style_t st)
{
	switch (st) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: return 1;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return 2;
	case YAML_LITERAL_SCALAR_STYLE: return 3;
	case YAML_FOLDED_SCALAR_STYLE: return 4;
	default: return 0;
	}
}

static size_t
count_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

void
node_pos(const struct node *n, size_t off, int *line, int *col)
{
	int quote = n->style == '\'' || n->style == '"';
	size_t width = count_chars(n->str, n->len);

	*line = n->line;
	*col = n->col;
	if (n->type != NODE_SCALAR || n->end_line != n->line || (n->style != 'p' && !quote))
		return;
	/* The source spans exactly the value (plus quotes): no escapes changed its length. */
	if ((size_t)(n->end_col - n->col) != width + (quote ? 2 : 0))
		return;
	*col = n->col + (quote ? 1 : 0) + (int)count_chars(n->str, off < n->len ? off : n->len);
}

bool
node_value_pos(const struct node *n, int line, int col, int *fline, int *fcol)
{
	*fline = n->line;
	*fcol = n->col;
	if (n->type != NODE_SCALAR || n->style != '|' || n->indent < 0 || line <= 0)
		return line <= 0 && n->type == NODE_SCALAR && n->style == '|';
	*fline = n->line + line;
	*fcol = col + n->indent;
	return true;
}

/* The keys of a mapping being loaded, for finding duplicates in linear time: an open-addressing
 * table of indexes into map->kids (key i at kids[2i]), grown to stay at most half full. */
struct key_set {
	size_t *slot;           /* key index + 1; 0: empty */
	size_t cap;
};

static uint64_t
key_hash(const struct node *k)
{
	return fnv1a(FNV1A_INIT, k->str, k->len);
}

static bool
key_equal(const struct node *a, const struct node *b)
{
	return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* Returns the earlier key equal to key (key index n), or NULL after adding it to the set. */
static const struct node *
key_set_add(struct key_set *ks, const struct node *map, const struct node *key, size_t n)
{
	size_t i, j;

	if (2 * (n + 1) > ks->cap) {
		size_t *old = ks->slot, oldcap = ks->cap;

		ks->cap = ks->cap ? ks->cap * 2 : 16;
		ks->slot = xcalloc(ks->cap, sizeof(*ks->slot));
		for (i = 0; i < oldcap; i++) {
			if (!old[i])
				continue;
			for (j = key_hash(map->kids[2 * (old[i] - 1)]) & (ks->cap - 1); ks->slot[j]; j = (j + 1) & (ks->cap - 1))
				;
			ks->slot[j] = old[i];
		}
		free(old);
	}
	for (j = key_hash(key) & (ks->cap - 1); ks->slot[j]; j = (j + 1) & (ks->cap - 1))
		if (key_equal(map->kids[2 * (ks->slot[j] - 1)], key))
			return map->kids[2 * (ks->slot[j] - 1)];
	ks->slot[j] = n + 1;
	return NULL;
}

static bool
check_key(struct loader *l, struct node *map, struct node *key, struct key_set *ks)
{
	const struct node *k;

	if (key->type != NODE_SCALAR) {
		diag_at(l->d, key, "mapping keys must be plain strings");
		return false;
	}
	if ((k = key_set_add(ks, map, key, map->nkids / 2))) {
		diag_at(l->d, key, "duplicate key '%s' (first at line %d)", key->str, k->line);
		return false;
	}
	return true;
}

/* Loads the items of a sequence or mapping up to its end event. */
static struct node *
load_collection(struct loader *l, struct node *n, yaml_event_type_t end, int depth)
{
	yaml_event_t ev;
	struct node *kid;
	bool is_map = n->type == NODE_MAP;
	struct key_set ks = {0};

	if (depth > NODE_MAX_DEPTH) {
		diag_at(l->d, n, "nesting deeper than %d levels", NODE_MAX_DEPTH);
		l->failed = true;
		node_free(n);
		return NULL;
	}
	for (;;) {
		if (!yaml_parser_parse(&l->parser, &ev)) {
			loader_error(l);
			break;
		}
		if (ev.type == end) {
			yaml_event_delete(&ev);
			free(ks.slot);
			return n;
		}
		kid = load_node(l, &ev, depth + 1);
		if (!kid)
			break;
		if (is_map && n->nkids % 2 == 0 && !check_key(l, n, kid, &ks)) {
			l->failed = true;
			node_free(kid);
			break;
		}
		node_push(n, kid);
	}
	free(ks.slot);
	node_free(n);
	return NULL;
}

/* Loads the node that starts with ev (consumed). Returns NULL on error. */
static struct node *
load_node(struct loader *l, yaml_event_t *ev, int depth)
{
	struct node *n = NULL;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = node_new(NODE_SCALAR, &ev->start_mark);
		n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->style = "p'\"|>"[scalar_style_index(ev->data.scalar.style)];
		n->end_line = (int)ev->end_mark.line + 1;
		n->end_col = (int)ev->end_mark.column + 1;
		n->indent = n->style == '|' ? block_indent(l, n) : -1;
		yaml_event_delete(ev);
		return n;
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(NODE_SEQ, &ev->start_mark);
		yaml_event_delete(ev);
		return load_collection(l, n, YAML_SEQUENCE_END_EVENT, depth);
	case YAML_MAPPING_START_EVENT:
		n = node_new(NODE_MAP, &ev->start_mark);
		yaml_event_delete(ev);
		return load_collection(l, n, YAML_MAPPING_END_EVENT, depth);
	case YAML_ALIAS_EVENT:
		diag_error(l->d, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		    "YAML aliases are not allowed in plans");
		break;
	default:
		diag_error(l->d, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		    "unexpected YAML event");
		break;
	}
	l->failed = true;
	yaml_event_delete(ev);
	return NULL;
}

int
node_parse(const char *buf, size_t len, struct node ***docsp, size_t *ndocsp, struct diag *d)
{
	struct loader l = {.buf = buf, .len = len, .d = d};
	struct node **docs = NULL;
	size_t ndocs = 0;
	yaml_event_t ev;
	bool done = false;

	/* YAML allows a byte order mark; with the encoding set, libyaml would read it as text. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
		l.buf = buf;
		l.len = len;
	}
	if (!yaml_parser_initialize(&l.parser))
		fatal("out of memory");
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&l.parser, YAML_UTF8_ENCODING);
	while (!done && !l.failed) {
		if (!yaml_parser_parse(&l.parser, &ev)) {
			loader_error(&l);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			yaml_event_delete(&ev);
			break;
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_START_EVENT:
			yaml_event_delete(&ev);
			break;
		default: {
			struct node *root = load_node(&l, &ev, 1);

			if (root) {
				docs = xgrow(docs, ndocs, sizeof(*docs));
				docs[ndocs++] = root;
			}
			break;
		}
		}
	}
	yaml_parser_delete(&l.parser);
	free(l.lines);
	if (l.failed) {
		node_free_docs(docs, ndocs);
		*docsp = NULL;
		*ndocsp = 0;
		return -1;
	}
	*docsp = docs;
	*ndocsp = ndocs;
	return 0;
}

const struct node *
node_get(const struct node *n, const char *key)
{
	size_t i;

	if (!n || n->type != NODE_MAP)
		return NULL;
	for (i = 0; i + 1 < n->nkids; i += 2)
		if (strcmp(n->kids[i]->str, key) == 0)
			return n->kids[i + 1];
	return NULL;
}

bool
node_is(const struct node *n, const char *s)
{
	return n && n->type == NODE_SCALAR && strcmp(n->str, s) == 0;
}

const char *
node_type_name(const struct node *n)
{
	switch (n->type) {
	case NODE_SCALAR: return "a scalar";
	case NODE_SEQ: return "a sequence";
	case NODE_MAP: return "a mapping";
	}
	return "?";
}

void
node_free(struct node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

void
node_free_docs(struct node **docs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		node_free(docs[i]);
	free(docs);
}
