/* event.h: a Kubernetes Event (core/v1) about the run, posted to the API server from inside the pod. */
#ifndef STOPPLAN_EVENT_H
#define STOPPLAN_EVENT_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* --event */
enum event_when {
	EVENT_DEFAULT,              /* failure in a pod (token file and KUBERNETES_SERVICE_HOST), else never */
	EVENT_NEVER,
	EVENT_FAILURE,
	EVENT_ALWAYS,
};

#define EVENT_TIMEOUT_MS 1000
#define EVENT_MESSAGE_MAX 1024

/* What the event tells about the run. */
struct event_run {
	const char *plan;
	int code;                   /* the run's exit code */
	const char *step;           /* the failing step, or NULL */
	const char *line;           /* its failure line (or why the plan stopped), or NULL */
	int64_t ms;                 /* how long the run took */
	int64_t first, last;        /* wall clock (CLOCK_REALTIME ms) of the run's start and end */
};

/* Parses "failure", "always" or "never"; returns -1 for anything else. */
int event_parse_when(const char *s, enum event_when *out);
/* Resolves EVENT_DEFAULT from the environment. */
enum event_when event_resolve(enum event_when w);
/* The directory holding token, ca.crt and namespace: $STOPPLAN_SERVICEACCOUNT_DIR or
 * /var/run/secrets/kubernetes.io/serviceaccount. Static storage. */
const char *event_sa_dir(void);
/* The event's message: plan, failing step and failure line, cut to EVENT_MESSAGE_MAX bytes on a
 * UTF-8 character boundary. Newly allocated. */
char *event_message(const struct event_run *er);
/* Posts the event when `w` (resolved) asks for one for this outcome, within timeout_ms, on loop l (the
 * run's, after its steps have ended; NULL: a loop of its own). Never fails the run: a post that cannot
 * be made or is refused is one warning line on the log. Returns 0 when the API server accepted the
 * event or none was wanted, -1 after the warning. */
int event_post(enum event_when w, const struct event_run *er, int64_t timeout_ms, struct loop *l);

#endif
