/* check.h: the one assertion of the unit-test programs. CHECK(cond, fmt, ...) prints one numbered
 * "ok"/"not ok" line (with the failing line and expression); main ends with failures ? 1 : 0. */
#ifndef STOPPLAN_UNIT_CHECK_H
#define STOPPLAN_UNIT_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int failures, checks;

#define CHECK(cond, ...) check((cond), #cond, __LINE__, __VA_ARGS__)

static void check(int ok, const char *expr, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
check(int ok, const char *expr, int line, const char *fmt, ...)
{
	va_list ap;

	checks++;
	printf("%s %d - ", ok ? "ok" : "not ok", checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		printf(" (line %d: %s)", line, expr);
		failures++;
	}
	putchar('\n');
}

#endif
