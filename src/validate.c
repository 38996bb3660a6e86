/* validate.c: the validate command. Plan files, the plans held in Kubernetes ConfigMaps and
 * directories of both go through load and check (and the grace-period budget); every result goes to
 * the report, which prints it as text, JSON or GitHub annotations. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "budget.h"
#include "check.h"
#include "load.h"
#include "diag.h"
#include "manifest.h"
#include "node.h"
#include "plan.h"
#include "report.h"
#include "util.h"
#include "validate.h"
#include "value.h"

struct validation {
	const struct validate_options *o;
	struct report report;
};

static bool
has_yaml_suffix(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Loads and checks a plan (taking over docs), including its grace-period budget, into d. */
static struct plan *
check_plan(const struct validation *v, const char *file, struct node **docs, size_t ndocs, struct diag *d,
    struct budget *b)
{
	size_t before = d->n;
	struct plan *p = plan_load(file, docs, ndocs, d);

	if (plan_check(p, d) < 0 || d->n > before) {
		plan_free(p);
		p = NULL;
	}
	if (p) {
		*b = budget_of(p, v->o->grace, v->o->reserve, -1);
		budget_check(p, b, d);
	}
	return p;
}

/* Reports one plan: ok when d holds no error. */
static void
report_plan(struct validation *v, struct report_item *it, struct diag *d, const struct plan *p, const struct budget *b)
{
	it->status = d->n ? REPORT_INVALID : REPORT_OK;
	it->d = d;
	it->plan = p;
	it->budget = p ? b : NULL;
	report_add(&v->report, it);
}

/* Validates the plan held in a ConfigMap entry; errors point into the manifest. */
static void
validate_manifest_plan(struct validation *v, const char *file, const struct manifest_plan *mp)
{
	struct report_item it = {.file = file, .configmap = mp->configmap, .key = mp->key};
	struct diag dp, dm;
	struct node **docs;
	size_t ndocs;
	struct plan *p = NULL;
	struct budget b;

	diag_init(&dp, file);
	diag_init(&dm, file);
	if (node_parse(mp->value->str, mp->value->len, &docs, &ndocs, &dp) == 0)
		p = check_plan(v, file, docs, ndocs, &dp, &b);
	manifest_map_diag(mp, &dp, &dm);
	report_plan(v, &it, &dm, p, &b);
	plan_free(p);
	diag_free(&dp);
	diag_free(&dm);
}

static void
validate_manifest(struct validation *v, const char *file, struct node **docs, size_t ndocs)
{
	struct manifest_plan *mps;
	size_t n = manifest_find_plans(docs, ndocs, &mps), i;
	struct report_item it = {.file = file, .status = REPORT_SKIPPED, .reason = "manifest without plans"};

	if (n == 0)
		report_add(&v->report, &it);
	for (i = 0; i < n; i++)
		validate_manifest_plan(v, file, &mps[i]);
	free(mps);
}

/* Returns the key of map root that makes it look like a plan with a broken header (a near-miss of
 * "stopplan", or a top-level "steps" or "finally"), or NULL. */
static const struct node *
near_plan_key(const struct node *root)
{
	const struct node *k = plan_near_header(root);
	size_t i;

	for (i = 0; !k && root && root->type == NODE_MAP && i + 1 < root->nkids; i += 2)
		if (root->kids[i]->type == NODE_SCALAR &&
		    (strcmp(root->kids[i]->str, "steps") == 0 || strcmp(root->kids[i]->str, "finally") == 0))
			k = root->kids[i];
	return k;
}

/* Validates one file; in_dir: YAML that is neither a plan nor a manifest is skipped, not an error,
 * unless it looks like a plan with a broken header. */
static void
validate_file(struct validation *v, const char *path, bool in_dir)
{
	struct diag d;
	struct node **docs = NULL;
	size_t ndocs = 0, len;
	char *buf = NULL;
	struct plan *p = NULL;
	struct budget b;
	struct report_item it = {0};
	const struct node *k;

	diag_init(&d, strcmp(path, "-") == 0 ? "<stdin>" : path);
	it.file = d.file;
	if (node_read_file(path, &buf, &len, &d) < 0 || node_parse(buf, len, &docs, &ndocs, &d) < 0) {
		report_plan(v, &it, &d, NULL, NULL);
	} else if (!(ndocs && plan_is_plan(docs[0])) && manifest_is_manifest(docs, ndocs)) {
		validate_manifest(v, d.file, docs, ndocs);
		node_free_docs(docs, ndocs);
	} else if (in_dir && !(ndocs && plan_is_plan(docs[0])) && (k = near_plan_key(docs[0]))) {
		if (strcmp(k->str, "steps") == 0 || strcmp(k->str, "finally") == 0) {
			diag_at(&d, k, "looks like a plan ('%s') but has no top-level 'stopplan: 1' key", k->str);
			report_plan(v, &it, &d, NULL, NULL);
			node_free_docs(docs, ndocs);
		} else {
			p = check_plan(v, path, docs, ndocs, &d, &b);
			report_plan(v, &it, &d, p, &b);
		}
	} else if (in_dir && !(ndocs && plan_is_plan(docs[0]))) {
		it.status = REPORT_SKIPPED;
		it.reason = "not a plan";
		report_add(&v->report, &it);
		node_free_docs(docs, ndocs);
	} else {
		p = check_plan(v, path, docs, ndocs, &d, &b);
		report_plan(v, &it, &d, p, &b);
	}
	plan_free(p);
	free(buf);
	diag_free(&d);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
validate_path(struct validation *v, const char *path, bool in_dir)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;

	if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		validate_file(v, path, in_dir);
		return;
	}
	v->report.summary = true;
	if (!(dir = opendir(path))) {
		struct diag d;
		struct report_item it = {.file = path};

		diag_init(&d, path);
		diag_error(&d, 0, 0, "cannot read directory: %s", strerror(errno));
		report_plan(v, &it, &d, NULL, NULL);
		diag_free(&d);
		return;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		names = xgrow(names, n, sizeof(*names));
		names[n++] = xasprintf("%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
	}
	closedir(dir);
	/* An empty directory leaves names NULL, which qsort may not be given. */
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && has_yaml_suffix(names[i]))))
			validate_path(v, names[i], true);
		free(names[i]);
	}
	free(names);
}

/* A directory that holds no plan at all is an error: validate must not pass without checking one. */
static void
no_plan_in(struct validation *v, const char *dir, size_t skipped)
{
	struct diag d;
	struct report_item it = {.file = dir};

	diag_init(&d, dir);
	diag_error(&d, 0, 0, "no plan found in this directory (%zu file%s skipped)", skipped,
	    skipped == 1 ? "" : "s");
	report_plan(v, &it, &d, NULL, NULL);
	diag_free(&d);
}

size_t
validate_paths(char *const *paths, size_t n, const struct validate_options *o)
{
	struct validation v = {.o = o};
	size_t i, plans, skipped;
	struct stat st;

	report_init(&v.report, o->format);
	v.report.summary = n > 1;
	for (i = 0; i < n; i++) {
		plans = v.report.nok + v.report.ninvalid;
		skipped = v.report.nskipped;
		validate_path(&v, paths[i], o->skip_non_plans);
		if (v.report.nok + v.report.ninvalid == plans && stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			no_plan_in(&v, paths[i], v.report.nskipped - skipped);
	}
	report_finish(&v.report);
	return v.report.ninvalid;
}
