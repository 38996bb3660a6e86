/* main.c: the command line: run, validate, explain, schema, install, --help, --version. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "check.h"
#include "config.h"
#include "event.h"
#include "explain.h"
#include "install.h"
#include "journal.h"
#include "junit.h"
#include "load.h"
#include "log.h"
#include "node.h"
#include "once.h"
#include "plan.h"
#include "report.h"
#include "resolve.h"
#include "run.h"
#include "schema.h"
#include "start.h"
#include "util.h"
#include "validate.h"
#include "value.h"
#include "version.h"

static const char usage_text[] =
    "usage: stopplan run PLAN [-p NAME=VALUE]... [--deadline D] [--dry-run] [--log-format text|json]\n"
    "                [--log-file PATH]... [--once-file PATH] [--grace-period D] [--reserve D]\n"
    "                [--event failure|always|never] [--event-timeout D] [--probe] [--report junit=FILE]\n"
    "       stopplan validate [--format text|json|github|junit] [--grace-period D] [--reserve D]\n"
    "                [--skip-non-plans] PATH...\n"
    "       stopplan explain PLAN [-p NAME=VALUE]... [--deadline D] [--grace-period D] [--reserve D]\n"
    "       stopplan schema\n"
    "       stopplan install DIR\n"
    "       stopplan --help | --version\n";

enum command {
	CMD_RUN = 1,
	CMD_EXPLAIN = 2,
	CMD_VALIDATE = 4,
	CMD_SCHEMA = 8,
	CMD_INSTALL = 16,
};

/* What "stopplan COMMAND --help" prints. */
struct command_help {
	const char *name;
	enum command cmd;
	const char *text;
};

static const struct command_help command_helps[] = {
	{"run", CMD_RUN,
	    "usage: stopplan run PLAN [options]\n"
	    "Runs PLAN (\"-\": standard input) inside its deadline, logging each step on standard error.\n"
	    "  -p, --param NAME=VALUE   sets a param (repeatable)\n"
	    "  --deadline D             replaces the plan's deadline\n"
	    "  --dry-run                resolves and prints what would run; sends nothing\n"
	    "  --log-format text|json   the log's format (default text)\n"
	    "  --log-file PATH          also writes the log to PATH (repeatable; /proc/1/fd/1: kubectl logs)\n"
	    "  --once-file PATH         runs the plan once; a second delivery replays the first's exit\n"
	    "  --grace-period D         the pod's terminationGracePeriodSeconds: caps the deadline\n"
	    "  --reserve D              time kept for the app after the plan (with --grace-period)\n"
	    "  --event WHEN             posts a Kubernetes Event about the run: failure, always or never\n"
	    "                           (default failure in a pod with a service account token, else never)\n"
	    "  --event-timeout D        the most the event's post may take (default 1s)\n"
	    "  --probe                  a readiness probe: no log; one line on failure; exit 0 or 1\n"
	    "  --report junit=FILE      writes a JUnit XML report of the steps to FILE\n"},
	{"validate", CMD_VALIDATE,
	    "usage: stopplan validate [options] PATH...\n"
	    "Checks plans, plans held in ConfigMap manifests, and every plan below a directory.\n"
	    "  --format text|json|github|junit   the report's format (default text)\n"
	    "  --grace-period D            checks each plan's worst case against D - reserve\n"
	    "  --reserve D                 time kept for the app (with --grace-period)\n"
	    "  --skip-non-plans            YAML named on the command line may be something else\n"},
	{"explain", CMD_EXPLAIN,
	    "usage: stopplan explain PLAN [options]\n"
	    "Prints the resolved steps, their worst cases and whether they fit the deadline.\n"
	    "  -p, --param NAME=VALUE   sets a param (repeatable)\n"
	    "  --deadline D             replaces the plan's deadline\n"
	    "  --grace-period D         also checks the worst case against D - reserve\n"
	    "  --reserve D              time kept for the app (with --grace-period)\n"},
	{"schema", CMD_SCHEMA,
	    "usage: stopplan schema\n"
	    "Prints the JSON Schema (draft 2020-12) of the plan format.\n"},
	{"install", CMD_INSTALL,
	    "usage: stopplan install DIR\n"
	    "Copies this executable to DIR/stopplan, mode 0755 (an init container's command).\n"},
	{NULL, 0, NULL},
};

/* The help of command cmd. */
static const struct command_help *
command_help(enum command cmd)
{
	const struct command_help *h;

	for (h = command_helps; h->name && h->cmd != cmd; h++)
		;
	return h;
}

/* True when argv holds --help or -h before any "--"; prints cmd's help then. */
static bool
asked_help(int argc, char **argv, enum command cmd)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(command_help(cmd)->text, stdout);
			fputs("See stopplan(1).\n", stdout);
			return true;
		}
	}
	return false;
}

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
	enum event_when event;     /* --event */
	int64_t event_timeout;     /* --event-timeout */
	bool probe;                /* --probe: quiet, exit 0 or 1 */
	const char *junit_file;    /* --report junit=FILE */
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
	{"event", required_argument, NULL, 'E'},
	{"event-timeout", required_argument, NULL, 'T'},
	{"probe", no_argument, NULL, 'P'},
	{"report", required_argument, NULL, 'R'},
	{NULL, 0, NULL, 0},
};

/* The commands that take option c. */
static int
option_commands(int c)
{
	switch (c) {
	case 'p': case 'd': return CMD_RUN | CMD_EXPLAIN;
	case 'n': case 'f': case 'l': case 'o': case 'E': case 'T': case 'P': case 'R': return CMD_RUN;
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
	if (c == 'F' && (strcmp(arg, "text") == 0 || strcmp(arg, "json") == 0 || strcmp(arg, "github") == 0 ||
	    strcmp(arg, "junit") == 0)) {
		o->format = strcmp(arg, "json") == 0 ? REPORT_JSON : arg[0] == 'g' ? REPORT_GITHUB :
		    arg[0] == 'j' ? REPORT_JUNIT : REPORT_TEXT;
		return 0;
	}
	if (c == 'E' && event_parse_when(arg, &o->event) == 0)
		return 0;
	if (c == 'R' && strncmp(arg, "junit=", 6) == 0 && arg[6]) {
		o->junit_file = arg + 6;
		return 0;
	}
	usage_error(c == 'f' ? "--log-format %s: expected text or json" : c == 'E' ?
	    "--event %s: expected failure, always or never" : c == 'R' ? "--report %s: expected junit=FILE" :
	    "--format %s: expected text, json, github or junit", arg);
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
	case 'P':
		o->probe = true;
		return 0;
	case 'T':
		return duration_option(c, arg, 1, &o->event_timeout);
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

/* Reports an option getopt refused: c is ':' for a missing value, '?' for an unknown option. */
static void
option_error(int c, const char *arg)
{
	const char *names[sizeof(long_options) / sizeof(long_options[0])];
	char word[64], msg[160];
	const char *near;
	size_t n = 0;

	if (c == ':') {
		usage_error("option '%s' needs a value", arg);
		return;
	}
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg + strspn(arg, "-"), "="), arg + strspn(arg, "-"));
	for (n = 0; long_options[n].name; n++)
		names[n] = long_options[n].name;
	if (strncmp(arg, "--", 2) == 0 && (near = schema_suggest(word, names, n))) {
		snprintf(msg, sizeof(msg), "unknown option '%%s' (did you mean '--%s'?)", near);
		usage_error(msg, arg);
	} else {
		usage_error("unknown option '%s'", arg);
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
	o->event_timeout = EVENT_TIMEOUT_MS;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:", long_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			option_error(c, argv[optind - 1]);
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
	char *why;

	L->budget = budget_of(L->plan, o->grace, o->reserve, o->deadline);
	L->deadline = budget_run_deadline(L->plan, &L->budget, o->deadline);
	if (!(why = budget_problem(L->plan, &L->budget, L->deadline, false)))
		return 0;
	emit_error(file, why);
	free(why);
	return -1;
}

static void
loaded_free(struct loaded *L)
{
	if (L->plan)
		resolve_free_params(L->plan, L->params);
	plan_free(L->plan);
	free(L->text);
	memset(L, 0, sizeof(*L));
}

/* Frees what a run or explain loaded, on the way to the exit. musl's allocator (the static build)
 * gives each freed group of blocks back to the kernel with a munmap of its own: about 1 ms of CPU
 * per run where faults are slow, a fifth of the run (doc/performance.md, "The static executable"),
 * so there the exit reclaims it. The dynamic build frees everything, so that valgrind and ASan keep checking ownership. */
static void
plan_release(struct loaded *L, struct options *o)
{
#ifdef STOPPLAN_STATIC
	(void)L;
	(void)o;
#else
	loaded_free(L);
	options_free(o);
#endif
}

/* Loads, checks and resolves the plan in FILE; returns -1 after printing errors. */
static int
load_plan(const char *file, struct options *o, bool lenient, struct loaded *L)
{
	struct diag d;
	struct node **docs;
	size_t ndocs;

	diag_init(&d, strcmp(file, "-") == 0 ? "<stdin>" : file);
	/* The phases in order: load, check, resolve (run comes later). */
	if ((L->text || node_read_file(file, &L->text, &L->len, &d) == 0) && node_parse(L->text, L->len, &docs, &ndocs, &d) == 0) {
		L->plan = plan_load(file, docs, ndocs, &d);
		if (plan_check(L->plan, &d) < 0 || d.n > 0 ||
		    !(L->params = resolve_params(L->plan, o->sets, o->nsets, lenient, &d))) {
			plan_free(L->plan);
			L->plan = NULL;
		}
	}
	emit_diag(&d);
	diag_free(&d);
	if (L->plan && plan_timing(file, o, L) < 0)
		loaded_free(L);
	return L->plan ? 0 : -1;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The step whose failure line tells why s failed: s, or the first failed step nested in it. */
static const struct step *
failing_step(struct run *r, const struct step *s, const struct journal *j)
{
	const struct journal_step *js;
	const struct step *f;
	size_t i;

	for (i = 0; i < s->nkids; i++)
		if (run_outcome(r, s->kids[i]) == OUTCOME_FAILED && (f = failing_step(r, s->kids[i], j)))
			return f;
	js = journal_find(j, s->name);
	return js && js->failure ? s : NULL;
}

/* After the run: the probe's one line, the JUnit report and the Kubernetes Event. grace: the grace
 * period (0: unknown), which the event's post never outlasts. */
static void
run_reports(const struct options *o, struct run *r, const struct journal *j, int code, int64_t first,
    int64_t grace)
{
	int64_t timeout = o->event_timeout, took = now_ms() - run_started(r);
	const char *why;
	const struct step *where = run_stopped_at(r, &why);
	const struct step *f = where ? failing_step(r, where, j) : NULL;
	const struct journal_step *s = f ? journal_find(j, f->name) : NULL;
	struct event_run er = {0};
	char *msg;

	er.plan = run_plan(r)->name;
	er.code = code;
	er.line = why;
	if (s && s->failure) {
		er.step = f->name;
		er.line = s->failure;
	} else if (where) {
		er.step = where->name;
	}
	er.ms = took;
	er.first = first;
	er.last = wall_ms();
	if (o->probe && code) {
		msg = event_message(&er);
		fprintf(stderr, "stopplan: %s\n", msg);
		free(msg);
	}
	if (o->junit_file && junit_write_run(o->junit_file, r, j, code) < 0)
		log_event(NULL, "report", NULL, "warning: --report junit=%s: %s", o->junit_file, strerror(errno));
	if (grace > 0 && timeout > grace - (now_ms() - run_started(r)))
		timeout = grace - (now_ms() - run_started(r));
	event_post(event_resolve(o->event), &er, timeout > 0 ? timeout : 1, run_loop(r));
}

/* Runs the plan with the given deadline; the run takes over the params. */
static int
run_loaded(struct loaded *L, int64_t deadline, const struct options *o)
{
	struct run *r;
	struct journal j;
	int64_t first;
	int code;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		fatal("cannot initialise libcurl");
	r = run_create(L->plan, L->params, deadline);
	run_set_start(r, start_time());
	L->params = NULL;
	journal_start(&j);
	first = wall_ms();
	code = run_execute(r);
	run_reports(o, r, &j, code, first, L->budget.grace);
	journal_free(&j);
	run_free(r);
	curl_global_cleanup();
	return code;
}

/* --once-file: waits for a run of the same plan in progress, replays a finished one, or runs. */
static int
run_once(const char *path, struct loaded *L, const struct options *o)
{
	struct once *once;
	char extra[32], *when = NULL;
	int code, locked;

	if (!(once = once_open(path, once_identity(L->text, L->len, L->plan, L->params)))) {
		log_event(NULL, "once", NULL, "--once-file %s: %s; running without it", path, strerror(errno));
		return run_loaded(L, L->deadline, o);
	}
	if ((locked = once_lock(once, false, 0)) == 1) {
		log_event(NULL, "once", NULL, "waiting for the run in progress to end (--once-file %s)", path);
		locked = once_lock(once, true, start_time() + L->deadline);
	}
	if (locked != 0) {
		if (locked < 0)
			log_event(NULL, "once", NULL, "--once-file %s: %s; running without it", path, strerror(errno));
		else
			log_event(NULL, "once", "\"exit\":124", "the run in progress did not end before the deadline "
			    "(--once-file %s): exit 124", path);
		once_free(once);
		return locked < 0 ? run_loaded(L, L->deadline, o) : EXIT_DEADLINE;
	}
	if (once_recorded(once, &code, &when)) {
		snprintf(extra, sizeof(extra), "\"exit\":%d", code);
		log_event(NULL, "once", extra, "plan %s already ran with these params (exit %d at %s; --once-file %s): "
		    "not running it again, exit %d", L->plan->name, code, when, path, code);
		free(when);
		once_free(once);
		return code;
	}
	code = run_loaded(L, L->deadline, o);
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

/* The deadline while the plan is not known yet: --deadline, else the default one, cut to the
 * --grace-period budget. The plan's own deadline, once read, also counts from the start. */
static int64_t
reading_deadline(const struct options *o)
{
	int64_t d = o->deadline > 0 ? o->deadline : PLAN_DEFAULT_DEADLINE_MS;

	if (o->deadline <= 0 && o->grace > 0 && o->grace - (o->reserve > 0 ? o->reserve : 0) < d)
		d = o->grace - (o->reserve > 0 ? o->reserve : 0);
	return d > 0 ? d : 1;
}

/* run -: reads the plan from standard input, ending at the deadline or a signal; returns the exit
 * code (EXIT_OK: read, or an error recorded for load_plan to print). */
static int
read_stdin_plan(const struct options *o, struct loaded *L)
{
	struct diag d;
	int64_t limit = reading_deadline(o);
	int rc;

	diag_init(&d, "<stdin>");
	rc = start_read_stdin(start_time() + limit, &L->text, &L->len, &d);
	if (rc == -1)
		emit_diag(&d);
	diag_free(&d);
	if (rc == START_DEADLINE || rc == START_SIGNAL)
		return start_stopped(rc, "<stdin>", limit);
	return rc < 0 ? EXIT_USAGE : EXIT_OK;
}

/* run and explain: load, check and resolve one plan, then run it or print what it would do. */
static int
cmd_plan(int argc, char **argv, enum command cmd)
{
	struct options o;
	struct loaded L = {0};
	int i, code = EXIT_USAGE;

	if ((i = parse_options(argc, argv, &o, cmd)) < 0 || i != argc - 1) {
		if (i >= 0)
			usage_error("%s", i >= argc ? "no plan given" : "give one plan");
		goto out;
	}
	if (o.probe && (o.nlog_files || o.once_file)) {
		usage_error("%s", o.nlog_files ? "--probe writes no --log-file" : "--probe keeps no --once-file");
		goto out;
	}
	if (o.probe) {
		/* A probe every few seconds must not flood the log: nothing on success, one line on failure. */
		log_set_quiet(true);
		if (o.event == EVENT_DEFAULT)
			o.event = EVENT_NEVER;
	}
	if (cmd == CMD_RUN) {
		log_set_format(o.log_format);
		open_log_files(&o);
	}
	if (cmd == CMD_RUN && strcmp(argv[i], "-") == 0 && (code = read_stdin_plan(&o, &L)) != EXIT_OK) {
		if (o.probe)
			code = EXIT_FAILED;
		goto out;
	}
	if (load_plan(argv[i], &o, cmd == CMD_EXPLAIN, &L) < 0) {
		code = o.probe ? EXIT_FAILED : EXIT_USAGE;
		goto out;
	}
	resolve_register_secrets(L.plan, L.params);
	if (cmd == CMD_EXPLAIN || o.dry_run) {
		explain_print(stdout, L.plan, L.params, L.deadline, &L.budget, cmd == CMD_RUN);
		code = EXIT_OK;
	} else {
		code = o.once_file ? run_once(o.once_file, &L, &o) : run_loaded(&L, L.deadline, &o);
		if (o.probe && code != EXIT_OK)
			code = EXIT_FAILED;
	}
out:
	plan_release(&L, &o);
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

/* The command named NAME, or NULL. */
static const struct command_help *
command_named(const char *name)
{
	const struct command_help *h;

	for (h = command_helps; h->name; h++)
		if (strcmp(h->name, name) == 0)
			return h;
	return NULL;
}

static int
unknown_command(const char *name)
{
	const char *names[sizeof(command_helps) / sizeof(command_helps[0])];
	const char *near;
	char msg[96];
	size_t n;

	for (n = 0; command_helps[n].name; n++)
		names[n] = command_helps[n].name;
	if (!(near = schema_suggest(name, names, n)))
		return usage_error("unknown command '%s'", name);
	snprintf(msg, sizeof(msg), "unknown command '%%s' (did you mean '%s'?)", near);
	return usage_error(msg, name);
}

int
main(int argc, char **argv)
{
	const struct command_help *h;
	int code;

	/* run: the deadline's clock and the signal handlers start before anything else. */
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		start_begin();
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
	if ((h = command_named(argv[1])) && asked_help(argc - 1, argv + 1, h->cmd))
		code = finish(EXIT_OK);
	else if (strcmp(argv[1], "run") == 0)
		code = cmd_plan(argc - 1, argv + 1, CMD_RUN);
	else if (strcmp(argv[1], "validate") == 0)
		code = cmd_validate(argc - 1, argv + 1);
	else if (strcmp(argv[1], "explain") == 0)
		code = cmd_plan(argc - 1, argv + 1, CMD_EXPLAIN);
	else if (strcmp(argv[1], "schema") == 0)
		code = cmd_schema(argc - 1, argv + 1);
	else if (strcmp(argv[1], "install") == 0)
		code = cmd_install(argc - 1, argv + 1);
	else
		code = unknown_command(argv[1]);
	log_free();
	return code;
}
