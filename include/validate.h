/* validate.h: the validate command: plan files, Kubernetes manifests and directories, reported in
 * one of the report formats. */
#ifndef STOPPLAN_VALIDATE_H
#define STOPPLAN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

struct validate_options {
	int64_t grace, reserve;      /* ms; -1: each plan's own grace-period and reserve */
	enum report_format format;
	bool skip_non_plans;         /* YAML named explicitly may be something else: skip it */
};

/* Validates every path (a file, "-" for standard input, or a directory walked recursively), printing
 * the report in o->format. Returns the number of invalid plans and files (0: all valid). */
size_t validate_paths(char *const *paths, size_t n, const struct validate_options *o);

#endif
