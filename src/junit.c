/* junit.c: JUnit XML for validate and run. Text is escaped for XML 1.0: markup characters become
 * entities, control characters and bytes that are not UTF-8 become '?'. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "journal.h"
#include "junit.h"
#include "node.h"
#include "plan.h"
#include "report.h"
#include "run.h"

/* The length of the character at s (1-4 bytes) when XML 1.0 allows it (valid UTF-8; no control
 * but tab, line feed and carriage return; not U+FFFE or U+FFFF), else 0. */
static size_t
junit_utf8(const unsigned char *s)
{
	size_t n = utf8_len(s, strnlen((const char *)s, 4));

	if (n == 1 && s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r')
		return 0;
	if (n == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
		return 0;
	return n;
}

/* attr: inside an attribute value, where white space other than ' ' must be a reference. */
static void
junit_escape(struct buf *b, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		switch (*p) {
		case '&': buf_adds(b, "&amp;"); p++; continue;
		case '<': buf_adds(b, "&lt;"); p++; continue;
		case '>': buf_adds(b, "&gt;"); p++; continue;
		case '"': buf_adds(b, "&quot;"); p++; continue;
		case '\n': buf_adds(b, attr ? "&#10;" : "\n"); p++; continue;
		case '\r': buf_adds(b, "&#13;"); p++; continue;
		case '\t': buf_adds(b, attr ? "&#9;" : "\t"); p++; continue;
		}
		if ((n = junit_utf8(p)) == 0) {
			buf_addc(b, '?');
			p++;
			continue;
		}
		buf_add(b, (const char *)p, n);
		p += n;
	}
}

/* name="value" with a leading space. */
static void
junit_attr(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, " %s=\"", name);
	junit_escape(b, value, true);
	buf_addc(b, '"');
}

static void
junit_timestamp(struct buf *b)
{
	time_t t = time(NULL);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	junit_attr(b, "timestamp", s);
}

/* ---- validate ---- */

void
junit_validate_case(struct buf *b, const struct report_item *it)
{
	struct buf name = {0}, text = {0};
	size_t i;

	buf_adds(&name, it->file);
	if (it->configmap)
		buf_printf(&name, " (configmap %s key %s)", it->configmap, it->key);
	buf_adds(b, "    <testcase");
	junit_attr(b, "name", it->plan ? it->plan->name : name.s);
	junit_attr(b, "classname", name.s);
	junit_attr(b, "file", it->file);
	buf_adds(b, " time=\"0\"");
	if (it->status == REPORT_OK) {
		buf_adds(b, "/>\n");
	} else if (it->status == REPORT_SKIPPED) {
		buf_adds(b, ">\n      <skipped");
		junit_attr(b, "message", it->reason ? it->reason : "skipped");
		buf_adds(b, "/>\n    </testcase>\n");
	} else {
		for (i = 0; it->d && i < it->d->n; i++) {
			const struct diag_entry *e = &it->d->v[i];

			if (e->line > 0)
				buf_printf(&text, "%s:%d:%d: error: %s\n", it->file, e->line, e->col, e->msg);
			else
				buf_printf(&text, "%s: error: %s\n", it->file, e->msg);
		}
		buf_adds(b, ">\n      <failure type=\"invalid\"");
		if (it->d && it->d->n) {
			const struct diag_entry *e = &it->d->v[0];
			char *first = e->line > 0 ? xasprintf("%s:%d:%d: %s%s", it->file, e->line, e->col, e->msg,
			    it->d->n > 1 ? " (and more)" : "") : xasprintf("%s: %s", it->file, e->msg);

			junit_attr(b, "message", first);
			free(first);
		} else {
			junit_attr(b, "message", "invalid");
		}
		buf_addc(b, '>');
		junit_escape(b, text.s ? text.s : "", false);
		buf_adds(b, "</failure>\n    </testcase>\n");
	}
	buf_free(&name);
	buf_free(&text);
}

void
junit_validate_print(const struct buf *cases, size_t tests, size_t failures, size_t skipped)
{
	struct buf b = {0};

	buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_printf(&b, "<testsuites name=\"stopplan validate\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
	    tests, failures);
	buf_printf(&b, "  <testsuite name=\"stopplan validate\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	    "skipped=\"%zu\" time=\"0\"", tests, failures, skipped);
	junit_timestamp(&b);
	buf_adds(&b, ">\n");
	buf_adds(&b, cases->s ? cases->s : "");
	buf_adds(&b, "  </testsuite>\n</testsuites>\n");
	fputs(b.s, stdout);
	buf_free(&b);
}

/* ---- run ---- */

static void
junit_step(struct buf *b, const struct run *r, const struct step *s, const struct journal *j, size_t *fails,
    size_t *skips)
{
	const struct journal_step *js = journal_find(j, s->name);
	const struct plan *p = run_plan(r);
	enum outcome o = run_outcome(r, s);
	const char *why, *line_why;
	int64_t ms = js && js->started && js->ended >= js->started ? js->ended - js->started : 0;
	int line = s->node ? s->node->line : 0, col = s->node ? s->node->col : 0;
	char *pos;

	buf_adds(b, "    <testcase");
	junit_attr(b, "name", s->name);
	junit_attr(b, "classname", p->name);
	junit_attr(b, "file", p->file);
	buf_printf(b, " line=\"%d\" time=\"%lld.%03lld\"", line, (long long)(ms / 1000), (long long)(ms % 1000));
	if (o == OUTCOME_OK) {
		buf_adds(b, "/>\n");
		return;
	}
	if (o == OUTCOME_SKIPPED || o == OUTCOME_NOT_RUN) {
		(*skips)++;
		buf_adds(b, ">\n      <skipped");
		junit_attr(b, "message", o == OUTCOME_SKIPPED ? "skipped (when)" : "not run (the plan stopped before it)");
		buf_adds(b, "/>\n    </testcase>\n");
		return;
	}
	(*fails)++;
	line_why = run_stopped_at(r, &why) == s && why ? why : "failed";
	if (js && js->failure)
		line_why = js->failure;
	pos = xasprintf("%s:%d:%d: step %s: %s\n", p->file, line, col, s->name, line_why);
	buf_adds(b, ">\n      <failure type=\"failed\"");
	junit_attr(b, "message", line_why);
	buf_addc(b, '>');
	junit_escape(b, pos, false);
	buf_adds(b, "</failure>\n    </testcase>\n");
	free(pos);
}

int
junit_write_run(const char *path, const struct run *r, const struct journal *j, int code)
{
	struct buf cases = {0}, b = {0};
	size_t fails = 0, skips = 0, i;
	const struct plan *p = run_plan(r);
	int64_t ms = now_ms() - run_started(r);
	FILE *f;
	int rc = 0;

	for (i = 0; i < p->nall; i++)
		junit_step(&cases, r, p->all[i], j, &fails, &skips);
	buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	junit_attr(&b, "name", p->name);
	buf_printf(&b, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"%lld.%03lld\">\n  <testsuite",
	    p->nall, fails, (long long)(ms / 1000), (long long)(ms % 1000));
	junit_attr(&b, "name", p->name);
	buf_printf(&b, " tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%lld.%03lld\"",
	    p->nall, fails, skips, (long long)(ms / 1000), (long long)(ms % 1000));
	junit_timestamp(&b);
	buf_adds(&b, ">\n    <properties>\n      <property name=\"exit\"");
	buf_printf(&b, " value=\"%d\"/>\n    </properties>\n", code);
	buf_adds(&b, cases.s ? cases.s : "");
	if (j->summary) {
		buf_adds(&b, "    <system-out>");
		junit_escape(&b, j->summary, false);
		buf_adds(&b, "</system-out>\n");
	}
	buf_adds(&b, "  </testsuite>\n</testsuites>\n");
	if (!(f = fopen(path, "we"))) {
		rc = -1;
	} else {
		if (fputs(b.s, f) == EOF)
			rc = -1;
		if (fclose(f) == EOF)
			rc = -1;
	}
	buf_free(&cases);
	buf_free(&b);
	return rc;
}
