/* journal.c: listens to the log (log_set_hook) and keeps, per step, its failure line and times. */
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "log.h"
#include "util.h"

static struct journal_step *
journal_step(struct journal *j, const char *name)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (strcmp(j->steps[i].name, name) == 0)
			return &j->steps[i];
	j->steps = xgrow(j->steps, j->n, sizeof(*j->steps));
	memset(&j->steps[j->n], 0, sizeof(j->steps[j->n]));
	j->steps[j->n].name = xstrdup(name);
	return &j->steps[j->n++];
}

static void
journal_replace(char **slot, const char *s)
{
	free(*slot);
	*slot = xstrdup(s);
}

static void
journal_note(void *arg, const char *step, const char *event, const char *msg)
{
	struct journal *j = arg;
	struct journal_step *s;
	bool failure = strcmp(event, "failed") == 0 || strcmp(event, "interrupted") == 0;

	if (!step) {
		if (strcmp(event, "summary") == 0)
			journal_replace(&j->summary, msg);
		return;
	}
	s = journal_step(j, step);
	if (strcmp(event, "start") == 0 && !s->started)
		s->started = now_ms();
	if (strcmp(event, "ok") == 0 || strcmp(event, "skipped") == 0 || failure)
		s->ended = now_ms();
	if (!failure)
		return;
	journal_replace(&s->failure, msg);
	journal_replace(&j->fail_step, step);
	journal_replace(&j->fail_line, msg);
}

void
journal_start(struct journal *j)
{
	memset(j, 0, sizeof(*j));
	log_set_hook(journal_note, j);
}

void
journal_free(struct journal *j)
{
	size_t i;

	log_set_hook(NULL, NULL);
	for (i = 0; i < j->n; i++) {
		free(j->steps[i].name);
		free(j->steps[i].failure);
	}
	free(j->steps);
	free(j->fail_step);
	free(j->fail_line);
	free(j->summary);
	memset(j, 0, sizeof(*j));
}

const struct journal_step *
journal_find(const struct journal *j, const char *name)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (strcmp(j->steps[i].name, name) == 0)
			return &j->steps[i];
	return NULL;
}
