/* step-port-check.c: the port-check step: the local sockets of some ports (see sockets.c) or a
 * TCP connect probe to a host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "node.h"
#include "sockets.h"
#include "step.h"
#include "util.h"

#define PORT_MAX (SOCKETS_MAX_PORTS < STEP_PORTS_MAX ? SOCKETS_MAX_PORTS : STEP_PORTS_MAX)
#define PROBE_DEFAULT_TIMEOUT_MS 3000

static const struct schema_key port_check_keys[] = {
	{"port", false}, {"ports", false}, {"state", false}, {"family", false}, {"established", false},
	{"host", false}, {"timeout", false},
	{NULL, false},
};

enum port_family { FAMILY_ANY, FAMILY_IPV4, FAMILY_IPV6 };

struct port_check {
	struct step_ports ports;
	bool closed;                 /* state: closed */
	bool check_state;            /* state applies (always, unless only established was given) */
	enum port_family family;
	long long established;       /* -1: not checked */
	char *host;
	struct tmpl *timeout;
};

struct port_probe_state {
	struct http *probes[PORT_MAX];
	int ports[PORT_MAX];
};

static const char *const family_names[] = {"any", "ipv4", "ipv6"};

static int
load_choice(const struct node *n, const char *const *names, size_t count, int *out, struct diag *d)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (node_is(n, names[i])) {
			*out = (int)i;
			return 0;
		}
	diag_at(d, n, "'%s': expected %s%s%s%s%s", n->type == NODE_SCALAR ? n->str : "?", names[0],
	    count > 2 ? ", " : " or ", names[1], count > 2 ? " or " : "", count > 2 ? names[2] : "");
	return -1;
}

static int
port_check_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	static const char *const states[] = {"listening", "closed"};
	struct port_check *c;
	const struct node *n;
	int rc = 0, choice = 0;

	if (!schema_check(v, port_check_keys, "port-check", lc->d) && v->type != NODE_MAP)
		return -1;
	c = s->data = xcalloc(1, sizeof(*c));
	c->established = -1;
	c->check_state = true;
	if (!!node_get(v, "port") == !!node_get(v, "ports")) {
		diag_at(lc->d, v, "port-check needs port or ports (one of them)");
		rc = -1;
	} else if (step_ports_load(s, node_get(v, "port") ? node_get(v, "port") : node_get(v, "ports"), &c->ports,
	    PORT_MAX, "port-check", lc) < 0) {
		rc = -1;
	}
	if ((n = node_get(v, "state"))) {
		if (load_choice(n, states, 2, &choice, lc->d) < 0)
			rc = -1;
		c->closed = choice == 1;
	}
	if ((n = node_get(v, "family"))) {
		if (load_choice(n, family_names, 3, &choice, lc->d) < 0)
			rc = -1;
		c->family = (enum port_family)choice;
	}
	if ((n = node_get(v, "established"))) {
		if (value_int(n, lc->d, (long long)schema_range("port-check.established")->min,
		    (long long)schema_range("port-check.established")->max, &c->established) < 0)
			rc = -1;
		c->check_state = node_get(v, "state") != NULL;
	}
	if ((n = node_get(v, "host"))) {
		c->host = value_string(n, lc->d, "host");
		if (!c->host)
			rc = -1;
		else if (c->established >= 0) {
			diag_at(lc->d, node_get(v, "established"), "established counts local connections: it cannot go with host");
			rc = -1;
		}
		if (node_get(v, "family")) {
			diag_at(lc->d, node_get(v, "family"), "family applies to local checks, not to host probes");
			rc = -1;
		}
	} else if ((n = node_get(v, "timeout"))) {
		diag_at(lc->d, n, "timeout applies to host probes only");
		rc = -1;
	}
	if ((n = node_get(v, "timeout")) && !(c->timeout = plan_tmpl(lc, s, n, TTYPE_TIMEOUT)))
		rc = -1;
	return rc;
}

static int64_t
port_check_worst(const struct step *s)
{
	const struct port_check *c = s->data;

	return c->host ? tmpl_ms(c->timeout, PROBE_DEFAULT_TIMEOUT_MS) : 0;
}

static void
port_check_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct port_check *c = s->data;

	step_ports_describe(&c->ports, env, out);
	if (c->host)
		buf_printf(out, " on %s", c->host);
	if (c->check_state)
		buf_adds(out, c->closed ? " closed" : " listening");
	if (c->established >= 0)
		buf_printf(out, "%s at most %lld established", c->check_state ? "," : "", c->established);
	if (!c->host && c->family != FAMILY_ANY)
		buf_printf(out, " (%s)", family_names[c->family]);
}

static int
check_local(struct exec *e)
{
	const struct port_check *c = e->step->data;
	struct socket_counts counts[PORT_MAX];
	int ports[PORT_MAX];
	struct sockets_query q = {
		.ports = ports,
		.nports = c->ports.n,
		.ipv4 = c->family != FAMILY_IPV6,
		.ipv6 = c->family != FAMILY_IPV4,
		.established = c->established >= 0,
		.enough_if_listening = c->check_state && !c->closed && c->established < 0,
	};
	struct buf what = {0};
	size_t i;
	int rc = EXEC_OK;

	/* stopplan's own connections never count: close the idle ones libcurl keeps for reuse (an
	 * earlier http-call to the app), which also lets the app see them go; sockets_count leaves
	 * out any that a transfer still running elsewhere kept open. */
	if (c->established >= 0)
		http_close_idle(exec_loop(e));
	step_ports_values(&c->ports, ports);
	sockets_count(&q, counts);
	step_ports_describe(&c->ports, NULL, &what);
	for (i = 0; i < c->ports.n && rc == EXEC_OK; i++) {
		int listen = counts[i].listen, est = counts[i].established;

		if (c->check_state && !c->closed && !listen)
			rc = exec_fail(e, "port %d is not listening%s%s", ports[i],
			    c->family != FAMILY_ANY ? " on " : "", c->family != FAMILY_ANY ? family_names[c->family] : "");
		else if (c->check_state && c->closed && listen)
			rc = exec_fail(e, "port %d is listening", ports[i]);
		else if (c->established >= 0 && est > c->established)
			rc = exec_fail(e, "port %d has %d established connection%s (at most %lld wanted)", ports[i],
			    est, est == 1 ? "" : "s", c->established);
	}
	if (rc == EXEC_OK)
		exec_detail(e, "%s %s", what.s, !c->check_state ? "drained" : c->closed ? "closed" : "listening");
	else
		exec_detail(e, "%s", what.s);
	buf_free(&what);
	return rc;
}

static int
port_check_poll(struct exec *e)
{
	const struct port_check *c = e->step->data;
	struct port_probe_state *st = e->state;
	size_t i, ok = 0;
	const struct http_response *res;

	for (i = 0; i < c->ports.n; i++) {
		res = http_response(st->probes[i]);
		if (!res->done)
			return EXEC_RUNNING;
	}
	for (i = 0; i < c->ports.n; i++) {
		res = http_response(st->probes[i]);
		if (res->curl_code == 0)
			ok++;
		else if (res->timed_out && e->clipped)
			e->by_deadline = true;
	}
	if (c->closed ? ok == 0 : ok == c->ports.n) {
		struct buf what = {0};

		step_ports_describe(&c->ports, NULL, &what);
		exec_detail(e, "%s on %s %s", what.s, c->host, c->closed ? "closed" :
		    c->ports.n > 1 ? "accept connections" : "accepts connections");
		buf_free(&what);
		return EXEC_OK;
	}
	for (i = 0; i < c->ports.n; i++) {
		res = http_response(st->probes[i]);
		if (c->closed && res->curl_code == 0)
			return exec_fail(e, "%s:%d accepts connections", c->host, st->ports[i]);
		if (!c->closed && res->curl_code)
			return exec_fail(e, "cannot connect to %s:%d: %s", c->host, st->ports[i], res->error);
	}
	return EXEC_FAILED;
}

static int
port_check_start(struct exec *e)
{
	const struct port_check *c = e->step->data;
	struct port_probe_state *st;
	struct http_request req = {0};
	char url[512], *err = NULL;
	size_t i;
	bool v6 = c->host && strchr(c->host, ':') && c->host[0] != '[';

	if (!c->host)
		return check_local(e);
	st = xcalloc(1, sizeof(*st));
	e->state = st;
	req.connect_only = true;
	req.connect_timeout = req.timeout = exec_clip(e, tmpl_ms(c->timeout, PROBE_DEFAULT_TIMEOUT_MS));
	req.max_body = 1;
	step_ports_values(&c->ports, st->ports);
	for (i = 0; i < c->ports.n; i++) {
		snprintf(url, sizeof(url), "http://%s%s%s:%d/", v6 ? "[" : "", c->host, v6 ? "]" : "", st->ports[i]);
		req.url = url;
		st->probes[i] = http_start(exec_loop(e), &req, &err);
		if (!st->probes[i]) {
			int rc = exec_fail(e, "%s", err);

			free(err);
			return rc;
		}
	}
	return port_check_poll(e);
}

static void
port_check_cancel(struct exec *e)
{
	struct port_probe_state *st = e->state;
	size_t i;

	if (!st)
		return;
	for (i = 0; i < PORT_MAX; i++)
		http_free(st->probes[i]);
	free(st);
	e->state = NULL;
}

static void
port_check_free(void *data)
{
	struct port_check *c = data;

	free(c->host);
	free(c);
}

const struct step_kind step_port_check_kind = {
	.name = "port-check",
	.keys = port_check_keys,
	.load = port_check_load,
	.worst = port_check_worst,
	.describe = port_check_describe,
	.start = port_check_start,
	.poll = port_check_poll,
	.cancel = port_check_cancel,
	.free = port_check_free,
};
