/* step-kinds.c: the table of step kinds. Adding a kind: a src/step-KIND.c, a line here, a line in
 * Makefile.am. */
#include <stddef.h>

#include "step.h"

extern const struct step_kind step_http_call_kind;
extern const struct step_kind step_port_check_kind;
extern const struct step_kind step_expect_regex_kind;
extern const struct step_kind step_expect_json_kind;
extern const struct step_kind step_log_kind;
extern const struct step_kind step_sleep_kind;
extern const struct step_kind step_steps_kind;
extern const struct step_kind step_parallel_kind;

const struct step_kind *const step_kinds[] = {
	&step_http_call_kind,
	&step_port_check_kind,
	&step_expect_regex_kind,
	&step_expect_json_kind,
	&step_log_kind,
	&step_sleep_kind,
	&step_steps_kind,
	&step_parallel_kind,
	NULL,
};
