/* schema-keys.c: prints the key tables and number ranges compiled into stopplan as JSON, for
 * tests/schema-keys.test to compare with doc/stopplan.schema.json. */
#include <stdio.h>

#include "schema.h"
#include "step.h"

static void
print_keys(const char *name, const struct schema_key *keys, int *first)
{
	size_t i;

	printf("%s\n    \"%s\": [", *first ? "" : ",", name);
	for (i = 0; keys[i].name; i++)
		printf("%s[\"%s\", %s]", i ? ", " : "", keys[i].name, keys[i].required ? "true" : "false");
	printf("]");
	*first = 0;
}

int
main(void)
{
	int first = 1;
	size_t i;

	printf("{\n  \"maps\": {");
	print_keys("plan", schema_plan_keys, &first);
	print_keys("param", schema_param_keys, &first);
	print_keys("retry", schema_retry_keys, &first);
	print_keys("when", schema_when_keys, &first);
	print_keys("fail-policy.warn", schema_warn_keys, &first);
	print_keys("fail-policy.exit", schema_exit_keys, &first);
	printf("\n  },\n  \"kinds\": {");
	for (i = 0; step_kinds[i]; i++) {
		const struct schema_key *k = step_kinds[i]->keys;
		size_t j;

		printf("%s\n    \"%s\": ", i ? "," : "", step_kinds[i]->name);
		if (!k) {
			printf("null");
			continue;
		}
		printf("[");
		for (j = 0; k[j].name; j++)
			printf("%s[\"%s\", %s]", j ? ", " : "", k[j].name, k[j].required ? "true" : "false");
		printf("]");
	}
	printf("\n  },\n  \"ranges\": {");
	for (i = 0; schema_ranges[i].name; i++)
		printf("%s\n    \"%s\": [%g, %g]", i ? "," : "", schema_ranges[i].name, schema_ranges[i].min,
		    schema_ranges[i].max);
	printf("\n  }\n}\n");
	return ferror(stdout) ? 1 : 0;
}
