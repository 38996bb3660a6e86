/* step-port-check.c: the port-check step: local socket tables (/proc/net/tcp, tcp6) or a TCP
 * connect probe to a host. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "loop.h"
#include "node.h"
#include "plan.h"
#include "run.h"
#include "util.h"

#define PORT_MAX 64
#define OWN_MAX 64                   /* own connections told apart in an established count */
#define DIAG_BUF (16 * 1024)         /* one sock_diag reply datagram */
#define PROBE_DEFAULT_TIMEOUT_MS 3000
#define TCP_ESTABLISHED 0x01
#define TCP_LISTEN 0x0a

static const struct schema_key port_check_keys[] = {
	{"port", false}, {"ports", false}, {"state", false}, {"family", false}, {"established", false},
	{"host", false}, {"timeout", false},
	{NULL, false},
};

enum port_family { FAMILY_ANY, FAMILY_IPV4, FAMILY_IPV6 };

struct port_check {
	int ports[PORT_MAX];
	size_t nports;
	bool closed;                 /* state: closed */
	bool check_state;            /* state applies (always, unless only established was given) */
	enum port_family family;
	long long established;       /* -1: not checked */
	char *host;
	struct tmpl *timeout;
};

struct port_probe_state {
	struct http *probes[PORT_MAX];
};

static const char *const family_names[] = {"any", "ipv4", "ipv6"};

static int
load_ports(const struct node *n, struct port_check *c, struct diag *d)
{
	size_t i, count = n->type == NODE_SEQ ? n->nkids : 1;
	long long p;

	if (n->type == NODE_SEQ && n->nkids == 0) {
		diag_at(d, n, "ports needs at least one port");
		return -1;
	}
	if (count > PORT_MAX) {
		diag_at(d, n, "at most %d ports in one port-check", PORT_MAX);
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (value_int(n->type == NODE_SEQ ? n->kids[i] : n, d, 1, 65535, &p) < 0)
			return -1;
		c->ports[c->nports++] = (int)p;
	}
	return 0;
}

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

static void port_check_free(void *data);

static void *
port_check_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	static const char *const states[] = {"listening", "closed"};
	struct port_check *c;
	const struct node *n;
	int rc = 0, choice = 0;

	if (!schema_check(v, port_check_keys, "port-check", lc->d) && v->type != NODE_MAP)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->established = -1;
	c->check_state = true;
	if (!!node_get(v, "port") == !!node_get(v, "ports")) {
		diag_at(lc->d, v, "port-check needs port or ports (one of them)");
		rc = -1;
	} else if (load_ports(node_get(v, "port") ? node_get(v, "port") : node_get(v, "ports"), c, lc->d) < 0) {
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
		if (value_int(n, lc->d, 0, 1000000, &c->established) < 0)
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
	if (rc < 0) {
		port_check_free(c);
		return NULL;
	}
	return c;
}

static int64_t
port_check_worst(const struct step *s)
{
	const struct port_check *c = s->data;

	return c->host ? tmpl_ms(c->timeout, PROBE_DEFAULT_TIMEOUT_MS) : 0;
}

static void
port_list(const struct port_check *c, struct buf *out)
{
	size_t i;

	buf_adds(out, c->nports > 1 ? "ports " : "port ");
	for (i = 0; i < c->nports; i++)
		buf_printf(out, "%s%d", i ? ", " : "", c->ports[i]);
}

static void
port_check_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct port_check *c = s->data;

	(void)env;
	port_list(c, out);
	if (c->host)
		buf_printf(out, " on %s", c->host);
	if (c->check_state)
		buf_adds(out, c->closed ? " closed" : " listening");
	if (c->established >= 0)
		buf_printf(out, "%s at most %lld established", c->check_state ? "," : "", c->established);
	if (!c->host && c->family != FAMILY_ANY)
		buf_printf(out, " (%s)", family_names[c->family]);
}

/* One TCP connection: both ends as the /proc/net tables print them (an address is one 32-bit
 * word in tcp, four in tcp6, each the host-order value of the network-order word). */
struct tcp_conn {
	uint32_t laddr[4], raddr[4];
	unsigned lport, rport;
	unsigned state;
};

/* What a local check found: per port, and stopplan's own connections to those ports. */
struct port_scan {
	const struct port_check *c;
	struct port_count {
		int listen, established;
	} counts[PORT_MAX];
	struct tcp_conn own[OWN_MAX];    /* our connections to a checked port (state unused) */
	bool own_v6[OWN_MAX];
	size_t nown;
};

/* Reads a hexadecimal number of at most 8 digits (at least one) at *p and moves *p past it. */
static bool
parse_hex(const char **p, const char *end, uint32_t *out)
{
	const char *s = *p;
	uint32_t v = 0;
	int d;

	for (; s < end && s - *p < 8; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (*s | 0x20) - 'a' + 10;
		else
			break;
		v = v << 4 | (uint32_t)d;
	}
	if (s == *p)
		return false;
	*p = s;
	*out = v;
	return true;
}

/* Reads "ADDR:PORT" (ADDR of `words` 8-digit words) at *p. */
static bool
parse_endpoint(const char **p, const char *end, int words, uint32_t *addr, unsigned *port)
{
	uint32_t v;
	int i;

	for (i = 0; i < words; i++) {
		const char *s = *p;

		if (!parse_hex(p, end, &addr[i]) || *p - s != 8)
			return false;
	}
	if (*p == end || *(*p)++ != ':' || !parse_hex(p, end, &v) || v > 0xffff)
		return false;
	*port = v;
	return true;
}

/* Parses one table line, "SL: LOCAL:PORT REMOTE:PORT ST ...". Returns false for a line of
 * another shape. */
static bool
parse_tcp_line(const char *p, const char *end, int words, struct tcp_conn *t)
{
	uint32_t st;

	while (p < end && *p == ' ')
		p++;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == end || *p++ != ':')
		return false;
	while (p < end && *p == ' ')
		p++;
	if (!parse_endpoint(&p, end, words, t->laddr, &t->lport))
		return false;
	while (p < end && *p == ' ')
		p++;
	if (!parse_endpoint(&p, end, words, t->raddr, &t->rport))
		return false;
	while (p < end && *p == ' ')
		p++;
	if (!parse_hex(&p, end, &st))
		return false;
	t->state = st;
	return true;
}

/* True when table entry t is the far end of one of our own connections (we are its peer). */
static bool
is_own_peer(const struct port_scan *sc, const struct tcp_conn *t, bool v6)
{
	size_t i, n = v6 ? 4 * sizeof(uint32_t) : sizeof(uint32_t);

	for (i = 0; i < sc->nown; i++) {
		const struct tcp_conn *o = &sc->own[i];

		if (sc->own_v6[i] == v6 && o->rport == t->lport && o->lport == t->rport &&
		    memcmp(o->raddr, t->laddr, n) == 0 && memcmp(o->laddr, t->raddr, n) == 0)
			return true;
	}
	return false;
}

/* Lists stopplan's own TCP connections to the checked ports (a keep-alive connection that a
 * transfer still running elsewhere in a parallel group kept libcurl from closing, a port probe),
 * so that an established count leaves them out: they go away with stopplan. */
static void
find_own(struct port_scan *sc)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t i;

	if (!d)
		return;
	while ((de = readdir(d)) && sc->nown < OWN_MAX) {
		struct sockaddr_storage la, ra;
		socklen_t ll = sizeof(la), rl = sizeof(ra), tl;
		struct tcp_conn *o = &sc->own[sc->nown];
		int fd, type;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || (fd = atoi(de->d_name)) == dirfd(d))
			continue;
		tl = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM ||
		    getsockname(fd, (struct sockaddr *)&la, &ll) < 0 || getpeername(fd, (struct sockaddr *)&ra, &rl) < 0 ||
		    la.ss_family != ra.ss_family)
			continue;
		memset(o, 0, sizeof(*o));
		if (la.ss_family == AF_INET) {
			const struct sockaddr_in *l4 = (const struct sockaddr_in *)&la, *r4 = (const struct sockaddr_in *)&ra;

			memcpy(o->laddr, &l4->sin_addr, 4);
			memcpy(o->raddr, &r4->sin_addr, 4);
			o->lport = ntohs(l4->sin_port);
			o->rport = ntohs(r4->sin_port);
		} else if (la.ss_family == AF_INET6) {
			const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&la, *r6 = (const struct sockaddr_in6 *)&ra;

			memcpy(o->laddr, &l6->sin6_addr, 16);
			memcpy(o->raddr, &r6->sin6_addr, 16);
			o->lport = ntohs(l6->sin6_port);
			o->rport = ntohs(r6->sin6_port);
		} else {
			continue;
		}
		for (i = 0; i < sc->c->nports; i++)
			if ((unsigned)sc->c->ports[i] == o->rport) {
				sc->own_v6[sc->nown++] = la.ss_family == AF_INET6;
				break;
			}
	}
	closedir(d);
}

/* Adds the sockets of the checked ports in state LISTEN and ESTABLISHED (our own connections'
 * far ends left out) found in one /proc/net table to sc->counts. Reading a table makes the
 * kernel walk its whole hash of connections, which costs about a millisecond on a big machine
 * however few sockets the namespace holds: each table is read once for all the ports (with
 * read(2) and a parser of our own: stdio and scanf would cost more memory than the check). */
static void
scan_table(const char *path, bool v6, struct port_scan *sc)
{
	const struct port_check *c = sc->c;
	char buf[4096];
	size_t have = 0, i;
	ssize_t n;
	bool header = true;
	struct tcp_conn t;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		char *line = buf, *nl, *end = buf + have + (size_t)n;

		for (; (nl = memchr(line, '\n', (size_t)(end - line))); line = nl + 1) {
			if (header) {
				header = false;
				continue;
			}
			if (!parse_tcp_line(line, nl, v6 ? 4 : 1, &t) || (t.state != TCP_LISTEN && t.state != TCP_ESTABLISHED))
				continue;
			for (i = 0; i < c->nports; i++) {
				if ((unsigned)c->ports[i] != t.lport)
					continue;
				if (t.state == TCP_LISTEN)
					sc->counts[i].listen++;
				else if (!is_own_peer(sc, &t, v6))
					sc->counts[i].established++;
			}
		}
		have = (size_t)(end - line);
		if (have == sizeof(buf))
			have = 0;          /* a line longer than the buffer: not a socket line */
		memmove(buf, line, have);
	}
	close(fd);
}

/* Counts the listening sockets of the checked ports in one family (AF_INET: the tcp table,
 * AF_INET6: tcp6) through NETLINK_SOCK_DIAG, as ss(8) does. Asked for sockets in state LISTEN
 * only, the kernel answers from its small hash of listeners and never walks the hash of
 * connections, which reading a /proc/net table always does. Returns -1 when sock_diag is not
 * available (no inet_diag in the kernel, a seccomp filter): then read the /proc table. */
static int
diag_listening(int family, struct port_scan *sc)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	const struct nlmsghdr *h;
	const struct inet_diag_msg *m;
	char *buf;
	ssize_t n;
	size_t i;
	int fd, len, rc = -1;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = (unsigned char)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = 1u << TCP_LISTEN;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		close(fd);
		return -1;
	}
	buf = xmalloc(DIAG_BUF);
	for (;;) {
		/* MSG_TRUNC: the length of the datagram, even when it did not fit. */
		if ((n = recv(fd, buf, DIAG_BUF, MSG_TRUNC)) < 0 && errno == EINTR)
			continue;
		if (n <= 0 || n > DIAG_BUF)
			goto out;
		for (h = (const struct nlmsghdr *)(void *)buf, len = (int)n; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			m = NLMSG_DATA(h);
			if (m->idiag_state != TCP_LISTEN)
				continue;
			for (i = 0; i < sc->c->nports; i++)
				if ((unsigned)sc->c->ports[i] == ntohs(m->id.idiag_sport))
					sc->counts[i].listen++;
		}
	}
out:
	free(buf);
	close(fd);
	return rc;
}

/* Counts the checked ports' sockets in one family: listeners only through sock_diag when that is
 * all the check needs, else (or when sock_diag fails) from the /proc table. */
static void
scan_family(bool v6, struct port_scan *sc)
{
	int before[PORT_MAX];
	size_t i;

	if (sc->c->established < 0) {
		for (i = 0; i < sc->c->nports; i++)
			before[i] = sc->counts[i].listen;
		if (diag_listening(v6 ? AF_INET6 : AF_INET, sc) == 0)
			return;
		for (i = 0; i < sc->c->nports; i++)
			sc->counts[i].listen = before[i];       /* a dump cut short may have counted some */
	}
	scan_table(v6 ? "/proc/net/tcp6" : "/proc/net/tcp", v6, sc);
}

/* True when the counts already answer c whatever the other table holds: every port listens and
 * nothing else is asked. */
static bool
all_listening(const struct port_scan *sc)
{
	const struct port_check *c = sc->c;
	size_t i;

	if (!c->check_state || c->closed || c->established >= 0)
		return false;
	for (i = 0; i < c->nports; i++)
		if (!sc->counts[i].listen)
			return false;
	return true;
}

static int
check_local(struct exec *e)
{
	const struct port_check *c = e->step->data;
	struct port_scan *sc = xcalloc(1, sizeof(*sc));
	struct buf what = {0};
	size_t i;
	int rc = EXEC_OK;

	sc->c = c;
	/* stopplan's own connections never count: close the idle ones libcurl keeps for reuse
	 * (an earlier http-call to the app), which also lets the app see them go, and leave out
	 * any that a transfer still running elsewhere kept open. */
	if (c->established >= 0) {
		loop_close_idle(e->run->loop);
		find_own(sc);
	}
	/* A listener on [::] shows only in the ipv6 table, the usual case for Java and Go servers:
	 * read that one first, and the ipv4 one only when it can still change the answer. */
	if (c->family != FAMILY_IPV4)
		scan_family(true, sc);
	if (c->family == FAMILY_IPV4 || (c->family == FAMILY_ANY && !all_listening(sc)))
		scan_family(false, sc);
	port_list(c, &what);
	for (i = 0; i < c->nports && rc == EXEC_OK; i++) {
		int listen = sc->counts[i].listen, est = sc->counts[i].established;

		if (c->check_state && !c->closed && !listen)
			rc = exec_fail(e, "port %d is not listening%s%s", c->ports[i],
			    c->family != FAMILY_ANY ? " on " : "", c->family != FAMILY_ANY ? family_names[c->family] : "");
		else if (c->check_state && c->closed && listen)
			rc = exec_fail(e, "port %d is listening", c->ports[i]);
		else if (c->established >= 0 && est > c->established)
			rc = exec_fail(e, "port %d has %d established connection%s (at most %lld wanted)", c->ports[i],
			    est, est == 1 ? "" : "s", c->established);
	}
	if (rc == EXEC_OK)
		exec_detail(e, "%s %s", what.s, !c->check_state ? "drained" : c->closed ? "closed" : "listening");
	else
		exec_detail(e, "%s", what.s);
	buf_free(&what);
	free(sc);
	return rc;
}

static int
port_check_poll(struct exec *e)
{
	const struct port_check *c = e->step->data;
	struct port_probe_state *st = e->state;
	size_t i, ok = 0;
	const struct http_response *res;

	for (i = 0; i < c->nports; i++) {
		res = http_response(st->probes[i]);
		if (!res->done)
			return EXEC_RUNNING;
	}
	for (i = 0; i < c->nports; i++) {
		res = http_response(st->probes[i]);
		if (res->curl_code == 0)
			ok++;
		else if (res->timed_out && e->clipped)
			e->by_deadline = true;
	}
	if (c->closed ? ok == 0 : ok == c->nports) {
		struct buf what = {0};

		port_list(c, &what);
		exec_detail(e, "%s on %s %s", what.s, c->host, c->closed ? "closed" :
		    c->nports > 1 ? "accept connections" : "accepts connections");
		buf_free(&what);
		return EXEC_OK;
	}
	for (i = 0; i < c->nports; i++) {
		res = http_response(st->probes[i]);
		if (c->closed && res->curl_code == 0)
			return exec_fail(e, "%s:%d accepts connections", c->host, c->ports[i]);
		if (!c->closed && res->curl_code)
			return exec_fail(e, "cannot connect to %s:%d: %s", c->host, c->ports[i], res->error);
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
	for (i = 0; i < c->nports; i++) {
		snprintf(url, sizeof(url), "http://%s%s%s:%d/", v6 ? "[" : "", c->host, v6 ? "]" : "", c->ports[i]);
		req.url = url;
		st->probes[i] = http_start(e->run->loop, &req, &err);
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
	.load = port_check_load,
	.worst = port_check_worst,
	.describe = port_check_describe,
	.start = port_check_start,
	.poll = port_check_poll,
	.cancel = port_check_cancel,
	.free = port_check_free,
};
