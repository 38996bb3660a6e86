/* main.c: the command line: run, validate, explain, --help, --version. */
#include <curl/curl.h>
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "explain.h"
#include "log.h"
#include "node.h"
#include "plan.h"
#include "run.h"
#include "util.h"

static const char usage_text[] =
    "usage: stopplan run PLAN [-p NAME=VALUE]... [--deadline D] [--dry-run] [--log-format text|json]\n"
    "       stopplan validate PATH...\n"
    "       stopplan explain PLAN [-p NAME=VALUE]... [--deadline D]\n"
    "       stopplan --help | --version\n";

struct options {
	char **sets;
	size_t nsets;
	int64_t deadline;          /* -1: the plan's */
	bool dry_run;
	enum log_format format;
};

static int
usage_error(const char *fmt, const char *arg)
{
	fputs("stopplan: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int
finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("stopplan: error writing to standard output\n", stderr);
		return code ? code : EXIT_FAILED;
	}
	return code;
}

/* Parses the options of run and explain; returns the index of the plan argument or -1. */
static int
parse_options(int argc, char **argv, struct options *o, bool run)
{
	static const struct option longs[] = {
		{"param", required_argument, NULL, 'p'},
		{"deadline", required_argument, NULL, 'd'},
		{"dry-run", no_argument, NULL, 'n'},
		{"log-format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *err;
	int c;

	o->deadline = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:", longs, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->sets = xreallocarray(o->sets, o->nsets + 1, sizeof(*o->sets));
			o->sets[o->nsets++] = optarg;
			break;
		case 'd':
			if (value_parse_duration(optarg, &o->deadline, &err) < 0 || o->deadline <= 0) {
				usage_error("--deadline %s: not a duration above 0", optarg);
				return -1;
			}
			break;
		case 'n':
		case 'f':
			if (!run) {
				usage_error("%s is an option of run", c == 'n' ? "--dry-run" : "--log-format");
				return -1;
			}
			if (c == 'n')
				o->dry_run = true;
			else if (strcmp(optarg, "text") == 0 || strcmp(optarg, "json") == 0)
				o->format = optarg[0] == 'j' ? LOG_JSON : LOG_TEXT;
			else {
				usage_error("--log-format %s: expected text or json", optarg);
				return -1;
			}
			break;
		default:
			fputs(usage_text, stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		usage_error("%s", optind >= argc ? "no plan given" : "give one plan");
		return -1;
	}
	return optind;
}

/* Loads, checks and resolves the plan named by argv; returns NULL after printing errors. */
static struct plan *
prepare(const char *file, struct options *o, bool lenient, char ***params)
{
	struct diag d;
	struct plan *p;

	diag_init(&d, strcmp(file, "-") == 0 ? "<stdin>" : file);
	p = plan_load_file(file, &d);
	if (p) {
		*params = run_resolve(p, o->sets, o->nsets, lenient, &d);
		if (!*params) {
			plan_free(p);
			p = NULL;
		}
	}
	diag_print(&d, stderr);
	diag_free(&d);
	if (p && o->deadline < 0)
		o->deadline = p->deadline;
	if (p && p->worst_finally >= o->deadline && p->nfinally) {
		char a[32];

		fmt_duration(a, sizeof(a), p->worst_finally);
		fprintf(stderr, "stopplan: %s: finally steps may take %s, which leaves no time before the deadline\n", file, a);
		run_free_params(p, *params);
		plan_free(p);
		p = NULL;
	}
	return p;
}

static int
cmd_run(int argc, char **argv)
{
	struct options o = {0};
	struct plan *p;
	struct run *r;
	char **params = NULL;
	int i, code;

	if ((i = parse_options(argc, argv, &o, true)) < 0)
		return EXIT_USAGE;
	log_set_format(o.format);
	p = prepare(argv[i], &o, false, &params);
	free(o.sets);
	if (!p)
		return EXIT_USAGE;
	run_register_secrets(p, params);
	if (o.dry_run) {
		explain_print(stdout, p, params, o.deadline, true);
		run_free_params(p, params);
		plan_free(p);
		return finish(EXIT_OK);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatal("cannot initialise libcurl");
	r = run_create(p, params, o.deadline);
	code = run_execute(r);
	run_free(r);
	plan_free(p);
	curl_global_cleanup();
	return finish(code);
}

static int
cmd_explain(int argc, char **argv)
{
	struct options o = {0};
	struct plan *p;
	char **params = NULL;
	int i;

	if ((i = parse_options(argc, argv, &o, false)) < 0)
		return EXIT_USAGE;
	p = prepare(argv[i], &o, true, &params);
	free(o.sets);
	if (!p)
		return EXIT_USAGE;
	run_register_secrets(p, params);
	explain_print(stdout, p, params, o.deadline, false);
	run_free_params(p, params);
	plan_free(p);
	return finish(EXIT_OK);
}

/* ---- validate ---- */

static bool
has_yaml_suffix(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Validates one file; in_dir: files that are not plans are skipped rather than errors. */
static int
validate_file(const char *file, bool in_dir)
{
	struct diag d;
	struct node **docs = NULL;
	size_t ndocs = 0, len;
	char *buf = NULL;
	struct plan *p = NULL;
	int rc = 0;

	diag_init(&d, strcmp(file, "-") == 0 ? "<stdin>" : file);
	if (node_read_file(file, &buf, &len, &d) == 0 && node_parse(buf, len, &docs, &ndocs, &d) == 0) {
		if (in_dir && (ndocs == 0 || !plan_is_plan(docs[0]))) {
			printf("%s: skipped (not a plan)\n", file);
			node_free_docs(docs, ndocs);
			goto out;
		}
		if (ndocs && docs[0]->type == NODE_MAP && !plan_is_plan(docs[0]))
			diag_at(&d, docs[0], "not a plan: no top-level 'stopplan' key");
		p = plan_from_docs(file, docs, ndocs, &d);
	}
	if (d.n == 0)
		printf("%s: ok\n", file);
	rc = d.n ? -1 : 0;
	diag_print(&d, stderr);
out:
	plan_free(p);
	free(buf);
	diag_free(&d);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
validate_path(const char *path, bool in_dir)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return validate_file(path, in_dir);
	if (!(dir = opendir(path))) {
		fprintf(stderr, "%s: error: cannot read directory\n", path);
		return -1;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xasprintf("%s/%s", path, de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && has_yaml_suffix(names[i]))))
			rc |= validate_path(names[i], true);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
cmd_validate(int argc, char **argv)
{
	int i, rc = 0;

	if (argc < 2)
		return usage_error("%s", "validate needs at least one path");
	for (i = 1; i < argc; i++)
		rc |= validate_path(argv[i], false);
	return finish(rc ? EXIT_USAGE : EXIT_OK);
}

int
main(int argc, char **argv)
{
	int code;

	/* A closed log pipe must never kill a run. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return usage_error("%s", "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		fputs("\nSee stopplan(1) and stopplan-plan(5).\n", stdout);
		return finish(EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("stopplan %s\n", PACKAGE_VERSION);
		return finish(EXIT_OK);
	}
	if (strcmp(argv[1], "run") == 0)
		code = cmd_run(argc - 1, argv + 1);
	else if (strcmp(argv[1], "validate") == 0)
		code = cmd_validate(argc - 1, argv + 1);
	else if (strcmp(argv[1], "explain") == 0)
		code = cmd_explain(argc - 1, argv + 1);
	else
		code = usage_error("unknown command '%s'", argv[1]);
	log_free();
	return code;
}
