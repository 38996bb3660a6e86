/* event.c: builds a core/v1 Event about the run and POSTs it to the API server with the pod's
 * service account, through http.c on the run's loop once its steps have ended, within a bound that
 * never holds the hook. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#define EVENT_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define EVENT_FILE_MAX (64 * 1024)
#define EVENT_REPLY_MAX (64 * 1024)
#define EVENT_NAME_MAX 200          /* of the pod name in the event's name (a DNS subdomain, <= 253) */

int
event_parse_when(const char *s, enum event_when *out)
{
	if (strcmp(s, "failure") == 0)
		*out = EVENT_FAILURE;
	else if (strcmp(s, "always") == 0)
		*out = EVENT_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*out = EVENT_NEVER;
	else
		return -1;
	return 0;
}

const char *
event_sa_dir(void)
{
	const char *d = getenv("STOPPLAN_SERVICEACCOUNT_DIR");

	return d && *d ? d : EVENT_SA_DIR;
}

enum event_when
event_resolve(enum event_when w)
{
	char *token;
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	bool in_pod;

	if (w != EVENT_DEFAULT)
		return w;
	token = xasprintf("%s/token", event_sa_dir());
	in_pod = host && *host && access(token, R_OK) == 0;
	free(token);
	return in_pod ? EVENT_FAILURE : EVENT_NEVER;
}

/* Reads a small file whole, without trailing white space. NULL with errno set on failure. */
static char *
event_read(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *s = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return NULL;
	s = xmalloc(EVENT_FILE_MAX + 1);
	while (len < EVENT_FILE_MAX && ((n = read(fd, s + len, EVENT_FILE_MAX - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	e = errno;
	close(fd);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]))
		len--;
	s[len] = '\0';
	if (len == 0) {
		free(s);
		errno = e ? e : ENODATA;
		return NULL;
	}
	return s;
}

char *
event_message(const struct event_run *er)
{
	char *m;

	if (er->code == 0)
		m = xasprintf("plan %s succeeded in %lld ms", er->plan, (long long)er->ms);
	else if (er->step)
		m = xasprintf("plan %s failed (exit %d) at step %s: %s", er->plan, er->code, er->step,
		    er->line ? er->line : "failed");
	else
		m = xasprintf("plan %s failed (exit %d): %s", er->plan, er->code, er->line ? er->line : "failed");
	m[utf8_cut(m, strlen(m), EVENT_MESSAGE_MAX)] = '\0';
	return m;
}

static void
event_time(struct buf *b, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(b, "\"%s\"", s);
}

static void
event_str(struct buf *b, const char *key, const char *value, bool comma)
{
	buf_printf(b, "\"%s\":", key);
	json_escape(b, value, strlen(value));
	if (comma)
		buf_addc(b, ',');
}

/* The Event object, as JSON. */
static char *
event_body(const struct event_run *er, const char *pod, const char *ns)
{
	struct buf b = {0};
	const char *uid = getenv("POD_UID"), *node = getenv("NODE_NAME");
	char *name, *msg = event_message(er);
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	name = xasprintf("%.*s.stopplan.%llx", EVENT_NAME_MAX, pod,
	    (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
	buf_adds(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{");
	event_str(&b, "name", name, true);
	event_str(&b, "namespace", ns, false);
	buf_adds(&b, "},\"involvedObject\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",");
	if (uid && *uid)
		event_str(&b, "uid", uid, true);
	event_str(&b, "name", pod, true);
	event_str(&b, "namespace", ns, false);
	buf_adds(&b, "},");
	event_str(&b, "type", er->code ? "Warning" : "Normal", true);
	event_str(&b, "reason", er->code ? "StopPlanFailed" : "StopPlanSucceeded", true);
	event_str(&b, "message", msg, true);
	buf_adds(&b, "\"source\":{\"component\":\"stopplan\"");
	if (node && *node) {
		buf_addc(&b, ',');
		event_str(&b, "host", node, false);
	}
	buf_adds(&b, "},\"firstTimestamp\":");
	event_time(&b, er->first);
	buf_adds(&b, ",\"lastTimestamp\":");
	event_time(&b, er->last);
	buf_adds(&b, ",\"count\":1,\"reportingComponent\":\"stopplan\",");
	event_str(&b, "reportingInstance", pod, false);
	buf_adds(&b, "}");
	free(name);
	free(msg);
	return buf_take(&b);
}

/* Runs one request on loop run_loop (NULL: a loop of its own) until it ends or `timeout_ms` has
 * passed. Returns NULL when a reply arrived (status in *status, body in *reply), or why not (newly
 * allocated). */
static char *
event_transfer(const struct http_request *req, int64_t timeout_ms, long *status, char **reply,
    struct loop *run_loop)
{
	struct loop *l = run_loop ? run_loop : loop_create();
	struct http *h;
	const struct http_response *res;
	int64_t end = now_ms() + timeout_ms;
	char *err = NULL;

	if (!(h = http_start(l, req, &err))) {
		if (!run_loop)
			loop_free(l);
		return err;
	}
	for (;;) {
		loop_perform(l);
		res = http_response(h);
		if (res->done || now_ms() >= end)
			break;
		if (loop_signal(l)) {
			/* A signal stopped the run: loop_wait no longer waits; poll every 5 ms instead. */
			struct timespec ts = {0, 5 * 1000000L};

			nanosleep(&ts, NULL);
		} else {
			loop_wait(l, end);
		}
	}
	if (!res->done)
		err = xasprintf("no reply within %lld ms", (long long)timeout_ms);
	else if (res->curl_code != 0)
		err = res->timed_out ? xasprintf("no reply within %lld ms", (long long)timeout_ms) :
		    xstrdup(res->error ? res->error : "transfer failed");
	else {
		*status = res->status;
		*reply = xstrndup(res->body ? res->body : "", res->body_len);
	}
	http_free(h);
	if (!run_loop)
		loop_free(l);
	return err;
}

/* What a refusal says: the Status object's message, cut short; newly allocated. */
static char *
event_refusal(const char *reply)
{
	const char *m = strstr(reply, "\"message\"");
	char *s;
	size_t n;

	if (!m)
		return xstrdup("");
	for (m += strlen("\"message\""); *m == ' ' || *m == ':'; m++)
		;
	if (*m++ != '"')
		return xstrdup("");
	for (n = 0; m[n] && m[n] != '"' && n < 200; n++)
		if (m[n] == '\\' && m[n + 1])
			n++;
	s = xasprintf(": %.*s", (int)n, m);
	s[utf8_cut(s, strlen(s), 202)] = '\0';
	return s;
}

int
event_post(enum event_when w, const struct event_run *er, int64_t timeout_ms, struct loop *l)
{
	const char *dir = event_sa_dir(), *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT"), *proxy = getenv("STOPPLAN_EVENT_PROXY");
	const char *pod_env = getenv("POD_NAME"), *ns_env = getenv("POD_NAMESPACE");
	char *token = NULL, *ns = NULL, *ca = NULL, *url = NULL, *body = NULL, *reply = NULL, *why = NULL;
	char *headers[3], pod[256];
	struct http_request req;
	long status = 0;
	int rc = -1;

	if (w == EVENT_NEVER || (w == EVENT_FAILURE && er->code == 0))
		return 0;
	headers[0] = headers[1] = headers[2] = NULL;
	if (!host || !*host) {
		why = xstrdup("KUBERNETES_SERVICE_HOST is not set");
		goto out;
	}
	/* Read at post time: bound service account tokens are rotated while the pod runs. */
	if (!(token = event_read(dir, "token"))) {
		why = xasprintf("%s/token: %s", dir, strerror(errno));
		goto out;
	}
	log_add_secret(token);
	if (pod_env && *pod_env)
		snprintf(pod, sizeof(pod), "%s", pod_env);
	else if (gethostname(pod, sizeof(pod)) < 0 || !*pod) {
		why = xstrdup("no pod name (set POD_NAME from the downward API)");
		goto out;
	}
	pod[sizeof(pod) - 1] = '\0';
	if (ns_env && *ns_env)
		ns = xstrdup(ns_env);
	else if (!(ns = event_read(dir, "namespace"))) {
		why = xasprintf("no namespace: POD_NAMESPACE is not set and %s/namespace: %s", dir, strerror(errno));
		goto out;
	}
	if (!*ns || strlen(ns) > 63 || strspn(ns, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(ns)) {
		why = xasprintf("namespace '%s' is not a Kubernetes namespace name", ns);
		goto out;
	}
	ca = xasprintf("%s/ca.crt", dir);
	url = xasprintf(strchr(host, ':') ? "https://[%s]:%s/api/v1/namespaces/%s/events" :
	    "https://%s:%s/api/v1/namespaces/%s/events", host, port && *port ? port : "443", ns);
	body = event_body(er, pod, ns);
	headers[0] = xasprintf("Authorization: Bearer %s", token);
	headers[1] = xstrdup("Content-Type: application/json");
	headers[2] = xstrdup("Accept: application/json");
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.nheaders = 3;
	req.body = body;
	req.body_len = strlen(body);
	req.connect_timeout = req.timeout = timeout_ms;
	req.max_body = EVENT_REPLY_MAX;
	/* The service account's CA; without one (a token mounted alone), the store plan calls use
	 * (SSL_CERT_FILE, SSL_CERT_DIR, the image's bundle: ca.c). */
	req.ca_file = access(ca, F_OK) == 0 ? ca : NULL;
	req.proxy = proxy ? proxy : "";
	if ((why = event_transfer(&req, timeout_ms, &status, &reply, l)))
		goto out;
	if (status != 201 && status != 200) {
		char *said = event_refusal(reply);

		why = xasprintf("the API server answered %ld%s", status, said);
		free(said);
		goto out;
	}
	log_event(NULL, "event", NULL, "posted event %s %s about pod %s/%s", er->code ? "Warning" : "Normal",
	    er->code ? "StopPlanFailed" : "StopPlanSucceeded", ns, pod);
	rc = 0;
out:
	if (why)
		log_event(NULL, "event", NULL, "warning: Kubernetes event not posted: %s", why);
	free(headers[0]);
	free(headers[1]);
	free(headers[2]);
	free(token);
	free(ns);
	free(ca);
	free(url);
	free(body);
	free(reply);
	free(why);
	return rc;
}
