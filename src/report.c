/* report.c: validate's output. The same results in three shapes: text for people, one JSON object
 * for programs, GitHub workflow commands so that errors show up on the lines of a pull request. */
#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "diag.h"
#include "junit.h"
#include "plan.h"
#include "report.h"
#include "util.h"

static const char *const status_names[] = {"ok", "invalid", "skipped"};

void
report_init(struct report *r, enum report_format f)
{
	memset(r, 0, sizeof(*r));
	r->format = f;
}

/* "configmap NAME key KEY: " for plans in ConfigMaps, else "". */
static void
unit_prefix(const struct report_item *it, struct buf *b)
{
	if (it->configmap)
		buf_printf(b, "configmap %s key %s: ", it->configmap, it->key);
	else
		buf_adds(b, "");
}

/* GitHub workflow commands: data escapes %, CR, LF; properties also ':' and ','. */
static void
gh_escape(struct buf *b, const char *s, bool property)
{
	for (; *s; s++) {
		switch (*s) {
		case '%': buf_adds(b, "%25"); break;
		case '\r': buf_adds(b, "%0D"); break;
		case '\n': buf_adds(b, "%0A"); break;
		case ':': buf_adds(b, property ? "%3A" : ":"); break;
		case ',': buf_adds(b, property ? "%2C" : ","); break;
		default: buf_addc(b, *s);
		}
	}
}

static void
print_errors(const struct report_item *it, bool github)
{
	struct buf b = {0}, pre = {0};
	size_t i;

	unit_prefix(it, &pre);
	for (i = 0; it->d && i < it->d->n; i++) {
		const struct diag_entry *e = &it->d->v[i];

		b.len = 0;
		if (github) {
			buf_adds(&b, "::error file=");
			gh_escape(&b, it->file, true);
			if (e->line > 0)
				buf_printf(&b, ",line=%d,col=%d", e->line, e->col);
			buf_adds(&b, "::");
			gh_escape(&b, pre.s, false);
			gh_escape(&b, e->msg, false);
			buf_addc(&b, '\n');
			fputs(b.s, stdout);
		} else {
			if (e->line > 0)
				buf_printf(&b, "%s:%d:%d: error: %s%s\n", it->file, e->line, e->col, pre.s, e->msg);
			else
				buf_printf(&b, "%s: error: %s%s\n", it->file, pre.s, e->msg);
			fputs(b.s, stderr);
		}
	}
	buf_free(&b);
	buf_free(&pre);
}

static void
print_text(const struct report_item *it, bool github)
{
	struct buf pre = {0};

	unit_prefix(it, &pre);
	if (it->status == REPORT_OK)
		printf("%s: %sok\n", it->file, pre.s);
	else if (it->status == REPORT_SKIPPED)
		printf("%s: skipped (%s)\n", it->file, it->reason);
	else
		print_errors(it, github);
	buf_free(&pre);
}

static void
json_str_member(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, ",\"%s\":", name);
	json_escape(b, v, strlen(v));
}

static void
json_item(struct buf *b, const struct report_item *it)
{
	size_t i;

	if (b->len)
		buf_addc(b, ',');
	buf_adds(b, "{\"file\":");
	json_escape(b, it->file, strlen(it->file));
	if (it->configmap) {
		json_str_member(b, "configmap", it->configmap);
		json_str_member(b, "key", it->key);
	}
	json_str_member(b, "status", status_names[it->status]);
	if (it->reason)
		json_str_member(b, "reason", it->reason);
	if (it->plan) {
		json_str_member(b, "plan", it->plan->name);
		buf_printf(b, ",\"worst_ms\":%lld,\"deadline_ms\":%lld", (long long)(it->plan->worst_main +
		    it->plan->worst_finally), (long long)it->plan->deadline);
	}
	if (it->budget && it->budget->grace > 0)
		buf_printf(b, ",\"grace_period_ms\":%lld,\"reserve_ms\":%lld,\"budget_ms\":%lld",
		    (long long)it->budget->grace, (long long)it->budget->reserve,
		    (long long)(it->budget->grace - it->budget->reserve));
	buf_adds(b, ",\"errors\":[");
	for (i = 0; it->d && it->status == REPORT_INVALID && i < it->d->n; i++) {
		const struct diag_entry *e = &it->d->v[i];

		buf_adds(b, i ? ",{" : "{");
		if (e->line > 0)
			buf_printf(b, "\"line\":%d,\"col\":%d,", e->line, e->col);
		buf_adds(b, "\"message\":");
		json_escape(b, e->msg, strlen(e->msg));
		buf_addc(b, '}');
	}
	buf_adds(b, "]}");
}

void
report_add(struct report *r, const struct report_item *it)
{
	if (it->d)
		diag_sort(it->d);
	switch (it->status) {
	case REPORT_OK: r->nok++; break;
	case REPORT_INVALID: r->ninvalid++; r->nerrors += it->d ? it->d->n : 0; break;
	case REPORT_SKIPPED: r->nskipped++; break;
	}
	if (r->format == REPORT_JSON)
		json_item(&r->json, it);
	else if (r->format == REPORT_JUNIT)
		junit_validate_case(&r->json, it);
	else
		print_text(it, r->format == REPORT_GITHUB);
}

/* "12 plans: 11 ok, 1 with errors, 3 files skipped" */
static void
print_summary(const struct report *r)
{
	size_t plans = r->nok + r->ninvalid;

	printf("%zu plan%s: %zu ok, %zu with errors", plans, plans == 1 ? "" : "s", r->nok, r->ninvalid);
	if (r->nskipped)
		printf(", %zu file%s skipped", r->nskipped, r->nskipped == 1 ? "" : "s");
	putchar('\n');
}

void
report_finish(struct report *r)
{
	if (r->format == REPORT_JSON)
		printf("{\"ok\":%s,\"valid\":%zu,\"invalid\":%zu,\"skipped\":%zu,\"errors\":%zu,\"results\":[%s]}\n",
		    r->ninvalid ? "false" : "true", r->nok, r->ninvalid, r->nskipped, r->nerrors,
		    r->json.s ? r->json.s : "");
	else if (r->format == REPORT_JUNIT)
		junit_validate_print(&r->json, r->nok + r->ninvalid + r->nskipped, r->ninvalid, r->nskipped);
	else if (r->summary)
		print_summary(r);
	buf_free(&r->json);
}
