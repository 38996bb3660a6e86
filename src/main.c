/* main.c: the command line: run, validate, explain, schema, --help, --version. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "config.h"
#include "explain.h"
#include "install.h"
#include "log.h"
#include "node.h"
#include "once.h"
#include "plan.h"
#include "report.h"
#include "run.h"
#include "schema.h"
#include "util.h"
#include "validate.h"
#include "version.h"

static const char usage_text[] =
    "usage: stopplan run PLAN [-p NAME=VALUE]... [--deadline D] [--dry-run] [--log-format text|json]\n"
    "                [--log-file PATH]... [--once-file PATH] [--grace-period D] [--reserve D]\n"
    "       stopplan validate [--format text|json|github] [--grace-period D] [--reserve D]\n"
    "                [--skip-non-plans] PATH...\n"
    "       stopplan explain PLAN [-p NAME=VALUE]... [--deadline D] [--grace-period D] [--reserve D]\n"
    "       stopplan schema\n"
    "       stopplan install DIR\n"
    "       stopplan --help | --version\n";

enum command {
	CMD_RUN = 1,
	CMD_EXPLAIN = 2,
	CMD_VALIDATE = 4,
};

struct options {
	char **sets;               /* -p NAME=VALUE (point into argv) */
	size_t nsets;
	int64_t deadline;          /* -1: the plan's */
	int64_t grace, reserve;    /* -1: the plan's */
	bool dry_run;
	bool skip_non_plans;       /* validate: YAML named on the command line may be something else */
	enum log_format log_format;
	enum report_format format;
	char **log_files;          /* --log-file (point into argv) */
	size_t nlog_files;
	const char *once_file;
};

/* A plan named on the command line, loaded, checked and resolved, for run and explain. */
struct loaded {
	struct plan *plan;
	char **params;             /* resolved values; NULL once a run owns them */
	char *text;                /* the plan file's bytes, for --once-file */
	size_t len;
	struct budget budget;
	int64_t deadline;          /* the deadline the run uses */
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

/* ---- options ---- */

static const struct option long_options[] = {
	{"param", required_argument, NULL, 'p'},
	{"deadline", required_argument, NULL, 'd'},
	{"dry-run", no_argument, NULL, 'n'},
	{"log-format", required_argument, NULL, 'f'},
	{"log-file", required_argument, NULL, 'l'},
	{"once-file", required_argument, NULL, 'o'},
	{"grace-period", required_argument, NULL, 'g'},
	{"reserve", required_argument, NULL, 'r'},
	{"format", required_argument, NULL, 'F'},
	{"skip-non-plans", no_argument, NULL, 'S'},
	{NULL, 0, NULL, 0},
};

/* The commands that take option c. */
static int
option_commands(int c)
{
	switch (c) {
	case 'p': case 'd': return CMD_RUN | CMD_EXPLAIN;
	case 'n': case 'f': case 'l': case 'o': return CMD_RUN;
	case 'g': case 'r': return CMD_RUN | CMD_EXPLAIN | CMD_VALIDATE;
	case 'F': case 'S': return CMD_VALIDATE;
	}
	return 0;
}

static const char *
option_name(int c)
{
	size_t i;

	for (i = 0; long_options[i].name; i++)
		if (long_options[i].val == c)
			return long_options[i].name;
	return "?";
}

/* Parses a duration option; min_ms: the smallest value allowed. */
static int
duration_option(int c, const char *arg, int64_t min_ms, int64_t *out)
{
	const char *err;
	char msg[64];

	if (value_parse_duration(arg, out, &err) == 0 && *out >= min_ms)
		return 0;
	snprintf(msg, sizeof(msg), "--%s %%s: not a duration%s", option_name(c), min_ms > 0 ? " above 0" : "");
	usage_error(msg, arg);
	return -1;
}

static int
choice_option(int c, const char *arg, struct options *o)
{
	if (c == 'f' && (strcmp(arg, "text") == 0 || strcmp(arg, "json") == 0)) {
		o->log_format = arg[0] == 'j' ? LOG_JSON : LOG_TEXT;
		return 0;
	}
	if (c == 'F' && (strcmp(arg, "text") == 0 || strcmp(arg, "json") == 0 || strcmp(arg, "github") == 0)) {
		o->format = arg[0] == 'j' ? REPORT_JSON : arg[0] == 'g' ? REPORT_GITHUB : REPORT_TEXT;
		return 0;
	}
	usage_error(c == 'f' ? "--log-format %s: expected text or json" : "--format %s: expected text, json or github", arg);
	return -1;
}

static int
apply_option(int c, const char *arg, struct options *o)
{
	switch (c) {
	case 'p':
		o->sets = xgrow(o->sets, o->nsets, sizeof(*o->sets));
		o->sets[o->nsets++] = (char *)arg;
		return 0;
	case 'l':
		o->log_files = xgrow(o->log_files, o->nlog_files, sizeof(*o->log_files));
		o->log_files[o->nlog_files++] = (char *)arg;
		return 0;
	case 'o':
		o->once_file = arg;
		return 0;
	case 'n':
		o->dry_run = true;
		return 0;
	case 'S':
		o->skip_non_plans = true;
		return 0;
	case 'd':
		return duration_option(c, arg, 1, &o->deadline);
	case 'g':
		return duration_option(c, arg, 1, &o->grace);
	case 'r':
		return duration_option(c, arg, 0, &o->reserve);
	default:
		return choice_option(c, arg, o);
	}
}

/* Parses the options of command cmd; returns the index of the first operand, or -1 (usage error). */
static int
parse_options(int argc, char **argv, struct options *o, enum command cmd)
{
	int c;
	char msg[96];

	memset(o, 0, sizeof(*o));
	o->deadline = o->grace = o->reserve = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:", long_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			usage_error("%s: unknown option or missing value", argv[optind - 1]);
			return -1;
		}
		if (!(option_commands(c) & cmd)) {
			snprintf(msg, sizeof(msg), "%s%s is not an option of %%s", c == 'p' ? "-" : "--",
			    c == 'p' ? "p" : option_name(c));
			usage_error(msg, argv[0]);
			return -1;
		}
		if (apply_option(c, optarg, o) < 0)
			return -1;
	}
	return optind;
}

static void
options_free(struct options *o)
{
	free(o->sets);
	free(o->log_files);
}

/* ---- run and explain ---- */

/* Prints diagnostics on stderr and, for run, into the --log-file logs. */
static void
emit_diag(struct diag *d)
{
	char *text = diag_text(d);

	fputs(text, stderr);
	log_copy(text);
	free(text);
}

/* Prints a message about the plan file (not a diagnostic at a position) the same way. */
static void
emit_error(const char *file, const char *what)
{
	char *text = xasprintf("stopplan: %s: %s\n", file, what);

	fputs(text, stderr);
	log_copy(text);
	free(text);
}

/* Sets the budget and the run's deadline, and checks what only they can tell. */
static int
plan_timing(const char *file, struct options *o, struct loaded *L)
{
	struct plan *p = L->plan;
	char a[32], b[32], *why = NULL;

	L->budget = budget_of(p, o->grace, o->reserve, o->deadline);
	L->deadline = budget_run_deadline(p, &L->budget, o->deadline);
	if (L->budget.grace > 0 && L->budget.reserve >= L->budget.grace) {
		fmt_duration(a, sizeof(a), L->budget.reserve);
		fmt_duration(b, sizeof(b), L->budget.grace);
		why = xasprintf("reserve %s leaves no time for the plan in a grace period of %s", a, b);
	} else if (p->nfinally && p->worst_finally >= L->deadline) {
		fmt_duration(a, sizeof(a), p->worst_finally);
		why = xasprintf("finally steps may take %s, which leaves no time before the deadline", a);
	}
	if (!why)
		return 0;
	emit_error(file, why);
	free(why);
	return -1;
}

static void
loaded_free(struct loaded *L)
{
	if (L->plan)
		run_free_params(L->plan, L->params);
	plan_free(L->plan);
	free(L->text);
	memset(L, 0, sizeof(*L));
}

/* Loads, checks and resolves the plan in FILE; returns -1 after printing errors. */
static int
load_plan(const char *file, struct options *o, bool lenient, struct loaded *L)
{
	struct diag d;
	struct node **docs;
	size_t ndocs;

	diag_init(&d, strcmp(file, "-") == 0 ? "<stdin>" : file);
	if (node_read_file(file, &L->text, &L->len, &d) == 0 && node_parse(L->text, L->len, &docs, &ndocs, &d) == 0)
		L->plan = plan_from_docs(file, docs, ndocs, &d);
	if (L->plan && !(L->params = run_resolve(L->plan, o->sets, o->nsets, lenient, &d))) {
		plan_free(L->plan);
		L->plan = NULL;
	}
	emit_diag(&d);
	diag_free(&d);
	if (L->plan && plan_timing(file, o, L) < 0)
		loaded_free(L);
	return L->plan ? 0 : -1;
}

/* Runs the plan with the given deadline; the run takes over the params. */
static int
run_loaded(struct loaded *L, int64_t deadline)
{
	struct run *r;
	int code;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatal("cannot initialise libcurl");
	r = run_create(L->plan, L->params, deadline);
	L->params = NULL;
	code = run_execute(r);
	run_free(r);
	curl_global_cleanup();
	return code;
}

/* --once-file: waits for a run of the same plan in progress, replays a finished one, or runs. */
static int
run_once(const char *path, struct loaded *L)
{
	int64_t start = now_ms();
	struct once *once;
	char extra[32], *when = NULL;
	int code, locked;

	if (!(once = once_open(path, once_identity(L->text, L->len, L->plan, L->params)))) {
		log_event(NULL, "once", NULL, "--once-file %s: %s; running without it", path, strerror(errno));
		return run_loaded(L, L->deadline);
	}
	if ((locked = once_lock(once, false, 0)) == 1) {
		log_event(NULL, "once", NULL, "waiting for the run in progress to end (--once-file %s)", path);
		locked = once_lock(once, true, start + L->deadline);
	}
	if (locked != 0) {
		if (locked < 0)
			log_event(NULL, "once", NULL, "--once-file %s: %s; running without it", path, strerror(errno));
		else
			log_event(NULL, "once", "\"exit\":124", "the run in progress did not end before the deadline "
			    "(--once-file %s): exit 124", path);
		once_free(once);
		return locked < 0 ? run_loaded(L, L->deadline) : EXIT_DEADLINE;
	}
	if (once_recorded(once, &code, &when)) {
		snprintf(extra, sizeof(extra), "\"exit\":%d", code);
		log_event(NULL, "once", extra, "plan %s already ran with these params (exit %d at %s; --once-file %s): "
		    "not running it again, exit %d", L->plan->name, code, when, path, code);
		free(when);
		once_free(once);
		return code;
	}
	code = run_loaded(L, L->deadline - (now_ms() - start));
	if (once_finish(once, code, L->plan->name) < 0)
		log_event(NULL, "once", NULL, "--once-file %s: cannot record the run: %s", path, strerror(errno));
	return code;
}

static void
open_log_files(const struct options *o)
{
	size_t i;

	for (i = 0; i < o->nlog_files; i++)
		if (log_add_file(o->log_files[i]) < 0)
			log_event(NULL, "log-file", NULL, "--log-file %s: %s; logging without it", o->log_files[i],
			    strerror(errno));
}

static int
cmd_run(int argc, char **argv)
{
	struct options o;
	struct loaded L = {0};
	int i, code;

	if ((i = parse_options(argc, argv, &o, CMD_RUN)) < 0 || i != argc - 1) {
		if (i >= 0)
			usage_error("%s", i >= argc ? "no plan given" : "give one plan");
		options_free(&o);
		return EXIT_USAGE;
	}
	log_set_format(o.log_format);
	open_log_files(&o);
	if (load_plan(argv[i], &o, false, &L) < 0) {
		code = EXIT_USAGE;
	} else {
		run_register_secrets(L.plan, L.params);
		if (o.dry_run) {
			explain_print(stdout, L.plan, L.params, L.deadline, &L.budget, true);
			code = EXIT_OK;
		} else {
			code = o.once_file ? run_once(o.once_file, &L) : run_loaded(&L, L.deadline);
		}
	}
	loaded_free(&L);
	options_free(&o);
	return finish(code);
}

static int
cmd_explain(int argc, char **argv)
{
	struct options o;
	struct loaded L = {0};
	int i, code = EXIT_USAGE;

	if ((i = parse_options(argc, argv, &o, CMD_EXPLAIN)) < 0 || i != argc - 1) {
		if (i >= 0)
			usage_error("%s", i >= argc ? "no plan given" : "give one plan");
	} else if (load_plan(argv[i], &o, true, &L) == 0) {
		run_register_secrets(L.plan, L.params);
		explain_print(stdout, L.plan, L.params, L.deadline, &L.budget, false);
		code = EXIT_OK;
	}
	loaded_free(&L);
	options_free(&o);
	return finish(code);
}

static int
cmd_validate(int argc, char **argv)
{
	struct options o;
	struct validate_options vo;
	size_t invalid;
	int i;

	if ((i = parse_options(argc, argv, &o, CMD_VALIDATE)) < 0 || i >= argc) {
		if (i >= 0)
			usage_error("%s", "validate needs at least one path");
		options_free(&o);
		return EXIT_USAGE;
	}
	vo.grace = o.grace;
	vo.reserve = o.reserve;
	vo.format = o.format;
	vo.skip_non_plans = o.skip_non_plans;
	invalid = validate_paths(argv + i, (size_t)(argc - i), &vo);
	options_free(&o);
	return finish(invalid ? EXIT_USAGE : EXIT_OK);
}

static int
cmd_schema(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return usage_error("%s", "schema takes no arguments");
	fputs(schema_json, stdout);
	return finish(EXIT_OK);
}

/* install DIR: the executable copies itself to DIR/stopplan (init containers, see kubernetes.md). */
static int
cmd_install(int argc, char **argv)
{
	char err[512];

	if (argc != 2)
		return usage_error("%s", "install takes one argument, the directory");
	if (install_self(argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "stopplan: install: %s\n", err);
		return EXIT_FAILED;
	}
	return finish(EXIT_OK);
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
		version_print(stdout);
		return finish(EXIT_OK);
	}
	if (strcmp(argv[1], "run") == 0)
		code = cmd_run(argc - 1, argv + 1);
	else if (strcmp(argv[1], "validate") == 0)
		code = cmd_validate(argc - 1, argv + 1);
	else if (strcmp(argv[1], "explain") == 0)
		code = cmd_explain(argc - 1, argv + 1);
	else if (strcmp(argv[1], "schema") == 0)
		code = cmd_schema(argc - 1, argv + 1);
	else if (strcmp(argv[1], "install") == 0)
		code = cmd_install(argc - 1, argv + 1);
	else
		code = usage_error("unknown command '%s'", argv[1]);
	log_free();
	return code;
}
