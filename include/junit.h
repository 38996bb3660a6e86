/* junit.h: JUnit XML reports (the format Jenkins, GitLab and GitHub read): one testcase per plan for
 * validate, one per step for run. */
#ifndef STOPPLAN_JUNIT_H
#define STOPPLAN_JUNIT_H

#include <stddef.h>

#include "util.h"

struct journal;
struct report_item;
struct run;

/* Appends the <testcase> of one validated unit to b. */
void junit_validate_case(struct buf *b, const struct report_item *it);
/* Prints the document holding the testcases in `cases` on stdout. */
void junit_validate_print(const struct buf *cases, size_t tests, size_t failures, size_t skipped);
/* Writes the report of run r (ended with exit code `code`) to PATH, replacing it: one testcase per
 * step, a failure with the step's failure line and its FILE:LINE:COL. Returns 0, or -1 with errno. */
int junit_write_run(const char *path, const struct run *r, const struct journal *j, int code);

#endif
