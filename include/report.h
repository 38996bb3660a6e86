/* report.h: what validate prints, as text, one JSON report, or GitHub workflow annotations. */
#ifndef STOPPLAN_REPORT_H
#define STOPPLAN_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct budget;
struct diag;
struct plan;

enum report_format {
	REPORT_TEXT,        /* "FILE: ok" on stdout, "FILE:LINE:COL: error: MESSAGE" on stderr */
	REPORT_JSON,        /* one JSON object on stdout once every file is done */
	REPORT_GITHUB,      /* "::error file=F,line=L,col=C::MESSAGE" on stdout */
	REPORT_JUNIT,       /* one JUnit XML document on stdout, one testcase per plan (junit.c) */
};

enum report_status {
	REPORT_OK,
	REPORT_INVALID,
	REPORT_SKIPPED,
};

/* One validated unit: a plan file, a plan in a ConfigMap, or a file that was skipped. */
struct report_item {
	const char *file;                   /* as named in messages */
	const char *configmap, *key;        /* the ConfigMap and data key holding the plan, or NULL */
	enum report_status status;
	const char *reason;                 /* SKIPPED: why */
	struct diag *d;                     /* INVALID: the errors (sorted by report_add); may be NULL */
	const struct plan *plan;            /* the loaded plan, or NULL */
	const struct budget *budget;        /* its budget, or NULL */
};

struct report {
	enum report_format format;
	struct buf json;                    /* JSON and JUnit: the results so far */
	size_t nok, ninvalid, nskipped, nerrors;
	bool summary;                       /* text and github: end with "N plans: N ok, ..." */
};

/* Starts a report in format f. */
void report_init(struct report *r, enum report_format f);
/* Reports one unit: text and github print at once, json keeps it for report_finish. */
void report_add(struct report *r, const struct report_item *it);
/* Ends the report (json prints the object) and frees what it holds. */
void report_finish(struct report *r);

#endif
