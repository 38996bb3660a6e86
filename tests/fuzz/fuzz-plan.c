/* fuzz-plan.c: libFuzzer target over load + check: any bytes as a plan file must give a plan or
 * diagnostics, never a crash, a leak or unbounded memory. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "diag.h"
#include "load.h"
#include "node.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d;
	struct node **docs;
	size_t ndocs;
	struct plan *p;

	if (size > NODE_MAX_FILE)
		return 0;
	diag_init(&d, "fuzz.yaml");
	if (node_parse((const char *)data, size, &docs, &ndocs, &d) == 0) {
		p = plan_load("fuzz.yaml", docs, ndocs, &d);
		plan_check(p, &d);
		plan_free(p);
	}
	diag_free(&d);
	return 0;
}
