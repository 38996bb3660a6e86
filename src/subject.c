/* subject.c: what a matching kind (expect-regex, expect-json) matches at run time: the rendered
 * subject template, or the reply body of the previous sibling. Kinds never look at each other. */
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "run.h"
#include "step.h"
#include "util.h"

int
exec_subject(struct exec *e, const struct tmpl *t, struct subject *sub)
{
	const struct step *prev = e->step->prev;

	memset(sub, 0, sizeof(*sub));
	if (t) {
		if (exec_render(e, t, &sub->buf) < 0)
			return -1;
		buf_add(&sub->buf, "", 0);
		sub->bytes = sub->buf.s;
		sub->len = sub->buf.len;
		sub->label = xstrdup("subject");
		return 0;
	}
	sub->label = xasprintf("body of %s", prev->name);
	sub->bytes = run_output(e->run, prev, "body", &sub->len);
	if (!sub->bytes)
		return exec_fail(e, "%s has no reply body to match", prev->name), -1;
	return 0;
}

void
subject_free(struct subject *sub)
{
	free(sub->label);
	buf_free(&sub->buf);
	memset(sub, 0, sizeof(*sub));
}
