/* manifest.c: plans inside Kubernetes ConfigMaps. A manifest file holds YAML documents; the
 * ConfigMaps among them may hold plans in their data entries, which are validated like plan files
 * with every error pointed at the manifest's own line and column. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "manifest.h"
#include "node.h"
#include "plan.h"
#include "util.h"

static bool
is_object(const struct node *n)
{
	const struct node *a = node_get(n, "apiVersion"), *k = node_get(n, "kind");

	return a && k && a->type == NODE_SCALAR && k->type == NODE_SCALAR;
}

bool
manifest_is_manifest(struct node *const *docs, size_t ndocs)
{
	size_t i;

	for (i = 0; i < ndocs; i++)
		if (is_object(docs[i]))
			return true;
	return false;
}

/* Broken YAML is still taken for a plan when a line starts with "stopplan:", so that its syntax
 * errors are reported rather than the entry silently skipped. */
static bool
looks_like_plan(const char *s)
{
	for (; s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (strncmp(s, "stopplan:", 9) == 0)
			return true;
	return false;
}

static bool
holds_plan(const struct node *v)
{
	struct diag d;
	struct node **docs;
	size_t ndocs;
	bool yes;

	if (v->type != NODE_SCALAR || memchr(v->str, '\0', v->len))
		return false;
	diag_init(&d, "-");
	if (node_parse(v->str, v->len, &docs, &ndocs, &d) < 0) {
		yes = looks_like_plan(v->str);
	} else {
		yes = ndocs > 0 && plan_is_plan(docs[0]);
		node_free_docs(docs, ndocs);
	}
	diag_free(&d);
	return yes;
}

static void
add_plan(struct manifest_plan **out, size_t *n, const char *cm, const struct node *k, const struct node *v)
{
	*out = xgrow(*out, *n, sizeof(**out));
	(*out)[*n].configmap = cm;
	(*out)[*n].key = k->str;
	(*out)[*n].value = v;
	(*n)++;
}

static void
scan_object(const struct node *obj, struct manifest_plan **out, size_t *n, int depth)
{
	const struct node *items, *data, *name;
	size_t i;

	if (!is_object(obj))
		return;
	if (node_is(node_get(obj, "kind"), "List") && (items = node_get(obj, "items")) &&
	    items->type == NODE_SEQ && depth < 4) {
		for (i = 0; i < items->nkids; i++)
			scan_object(items->kids[i], out, n, depth + 1);
		return;
	}
	if (!node_is(node_get(obj, "kind"), "ConfigMap") || !(data = node_get(obj, "data")) || data->type != NODE_MAP)
		return;
	name = node_get(node_get(obj, "metadata"), "name");
	for (i = 0; i + 1 < data->nkids; i += 2)
		if (holds_plan(data->kids[i + 1]))
			add_plan(out, n, name && name->type == NODE_SCALAR ? name->str : "?", data->kids[i],
			    data->kids[i + 1]);
}

size_t
manifest_find_plans(struct node *const *docs, size_t ndocs, struct manifest_plan **out)
{
	size_t i, n = 0;

	*out = NULL;
	for (i = 0; i < ndocs; i++)
		scan_object(docs[i], out, &n, 0);
	return n;
}

void
manifest_map_diag(const struct manifest_plan *mp, const struct diag *from, struct diag *to)
{
	size_t i;
	int line, col;

	for (i = 0; i < from->n; i++) {
		const struct diag_entry *e = &from->v[i];

		if (node_value_pos(mp->value, e->line, e->col, &line, &col) || e->line <= 0)
			diag_error(to, line, col, "%s", e->msg);
		else
			diag_error(to, line, col, "line %d:%d of the plan: %s", e->line, e->col, e->msg);
	}
}
