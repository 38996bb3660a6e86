/* sockets.c: counts the local TCP sockets on given ports, for port-check: listeners through
 * netlink sock_diag (or the /proc/net tables), established connections from the /proc/net tables,
 * leaving out stopplan's own connections; and, for drain, lists the namespace's TCP sockets with
 * their tcp_info through sock_diag and reads the TCP counters of /proc/net/snmp. The only user of
 * netlink and /proc/net. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/tcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockets.h"
#include "util.h"

#define OWN_MAX 64                   /* own connections told apart in an established count */
#define DIAG_BUF (16 * 1024)         /* one sock_diag reply datagram */
#define TCP_ESTABLISHED 0x01
#define TCP_LISTEN 0x0a

/* One TCP connection: both ends as the /proc/net tables print them (an address is one 32-bit
 * word in tcp, four in tcp6, each the host-order value of the network-order word). */
struct tcp_conn {
	uint32_t laddr[4], raddr[4];
	unsigned lport, rport;
	unsigned state;
};

/* What a count found so far: per port, and stopplan's own connections to those ports. */
struct port_scan {
	const struct sockets_query *q;
	struct socket_counts *counts;
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

/* True when table entry t is one of our own connections: its far end (we are its peer) or, with
 * end, our own end of it. */
static bool
is_own(const struct port_scan *sc, const struct tcp_conn *t, bool v6, bool end)
{
	size_t i, n = v6 ? 4 * sizeof(uint32_t) : sizeof(uint32_t);
	struct tcp_conn c = *t;

	if (!end) {
		/* Seen from our side, the far end's local address is our remote one. */
		memcpy(c.laddr, t->raddr, sizeof(c.laddr));
		memcpy(c.raddr, t->laddr, sizeof(c.raddr));
		c.lport = t->rport;
		c.rport = t->lport;
	}
	for (i = 0; i < sc->nown; i++) {
		const struct tcp_conn *o = &sc->own[i];

		if (sc->own_v6[i] == v6 && o->lport == c.lport && o->rport == c.rport &&
		    memcmp(o->laddr, c.laddr, n) == 0 && memcmp(o->raddr, c.raddr, n) == 0)
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
		for (i = 0; i < sc->q->nports; i++)
			if ((unsigned)sc->q->ports[i] == o->rport) {
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
	const struct sockets_query *q = sc->q;
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
			for (i = 0; i < q->nports; i++) {
				if ((unsigned)q->ports[i] != t.lport)
					continue;
				if (t.state == TCP_LISTEN)
					sc->counts[i].listen++;
				else if (!is_own(sc, &t, v6, false))
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

/* Dumps the TCP sockets of one family (AF_INET or AF_INET6) whose state is in the mask `states`
 * through NETLINK_SOCK_DIAG, as ss(8) does, asking for the attributes in `ext` (a mask of
 * 1 << (INET_DIAG_x - 1)), and calls fn for each. Returns -1 when sock_diag is not available (no
 * inet_diag in the kernel, a seccomp filter) or the dump was cut short: fn may have been called
 * for some sockets then. */
static int
diag_dump(int family, unsigned states, unsigned char ext, void (*fn)(void *arg, const struct inet_diag_msg *m, int len),
    void *arg)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req;
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req r;
	} compat;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	const struct nlmsghdr *h;
	const void *msg = &req;
	size_t msglen = sizeof(req);
	int type = SOCK_DIAG_BY_FAMILY;
	char *buf;
	ssize_t n;
	int fd, len, rc = -1;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		return -1;
	if (family == AF_UNSPEC) {
		/* The older TCPDIAG_GETSOCK request dumps both families in one walk of the table of
		 * connections (SOCK_DIAG_BY_FAMILY needs one walk per family). */
		memset(&compat, 0, sizeof(compat));
		compat.nh.nlmsg_len = sizeof(compat);
		compat.nh.nlmsg_type = type = TCPDIAG_GETSOCK;
		compat.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		compat.r.idiag_states = states;
		compat.r.idiag_ext = ext;
		msg = &compat;
		msglen = sizeof(compat);
	} else {
		memset(&req, 0, sizeof(req));
		req.nh.nlmsg_len = sizeof(req);
		req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		req.r.sdiag_family = (unsigned char)family;
		req.r.sdiag_protocol = IPPROTO_TCP;
		req.r.idiag_states = states;
		req.r.idiag_ext = ext;
	}
	if (sendto(fd, msg, msglen, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
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
			if (h->nlmsg_type != type || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			fn(arg, NLMSG_DATA(h), (int)(h->nlmsg_len - NLMSG_LENGTH(0)));
		}
	}
out:
	free(buf);
	close(fd);
	return rc;
}

/* diag_dump's callback for diag_listening: counts a listener of a checked port. */
static void
count_listener(void *arg, const struct inet_diag_msg *m, int len)
{
	struct port_scan *sc = arg;
	size_t i;

	(void)len;
	if (m->idiag_state != TCP_LISTEN)
		return;
	for (i = 0; i < sc->q->nports; i++)
		if ((unsigned)sc->q->ports[i] == ntohs(m->id.idiag_sport))
			sc->counts[i].listen++;
}

/* Counts the listening sockets of the checked ports in one family (AF_INET: the tcp table,
 * AF_INET6: tcp6) through sock_diag. Asked for sockets in state LISTEN only, the kernel answers
 * from its small hash of listeners and never walks the hash of connections, which reading a
 * /proc/net table always does. Returns -1 when sock_diag is not available: then read the /proc
 * table. */
static int
diag_listening(int family, struct port_scan *sc)
{
	return diag_dump(family, 1u << TCP_LISTEN, 0, count_listener, sc);
}

/* Counts the checked ports' sockets in one family: listeners only through sock_diag when that is
 * all the check needs, else (or when sock_diag fails) from the /proc table. */
static void
scan_family(bool v6, struct port_scan *sc)
{
	int before[SOCKETS_MAX_PORTS];
	size_t i;

	if (!sc->q->established) {
		for (i = 0; i < sc->q->nports; i++)
			before[i] = sc->counts[i].listen;
		if (diag_listening(v6 ? AF_INET6 : AF_INET, sc) == 0)
			return;
		for (i = 0; i < sc->q->nports; i++)
			sc->counts[i].listen = before[i];       /* a dump cut short may have counted some */
	}
	scan_table(v6 ? "/proc/net/tcp6" : "/proc/net/tcp", v6, sc);
}

/* True when every port listens already, so the other table cannot change the answer. */
static bool
all_listening(const struct port_scan *sc)
{
	size_t i;

	for (i = 0; i < sc->q->nports; i++)
		if (!sc->counts[i].listen)
			return false;
	return true;
}

void
sockets_count(const struct sockets_query *q, struct socket_counts *counts)
{
	struct port_scan *sc = xcalloc(1, sizeof(*sc));

	sc->q = q;
	sc->counts = counts;
	memset(counts, 0, q->nports * sizeof(*counts));
	if (q->established)
		find_own(sc);
	/* A listener on [::] shows only in the ipv6 table, the usual case for Java and Go servers:
	 * read that one first, and the ipv4 one only when it can still change the answer. */
	if (q->ipv6)
		scan_family(true, sc);
	if (q->ipv4 && !(q->ipv6 && q->enough_if_listening && all_listening(sc)))
		scan_family(false, sc);
	free(sc);
}

/* What sockets_each is doing: the caller's callback, and the own connections to leave out. */
struct each_scan {
	struct port_scan sc;
	void (*fn)(void *arg, const struct sockets_entry *se);
	void *arg;
	size_t calls;                     /* sockets passed to fn */
};

/* True when the far end of t is in this network namespace too: a loopback address, or the
 * socket's own address (a pod connecting to its own IP). */
static bool
is_local_peer(const struct tcp_conn *t, bool v6)
{
	static const uint8_t loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const uint8_t *r = (const uint8_t *)t->raddr;

	if (!v6)
		return r[0] == 127 || t->raddr[0] == t->laddr[0];
	return memcmp(r, loop6, 16) == 0 || memcmp(t->raddr, t->laddr, 16) == 0;
}

/* diag_dump's callback for sockets_each: decodes one socket and its tcp_info. */
static void
each_socket(void *arg, const struct inet_diag_msg *m, int len)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct each_scan *es = arg;
	struct sockets_entry se = {0};
	struct tcp_conn t = {0};
	const struct rtattr *a;
	bool v6 = m->idiag_family == AF_INET6;
	int alen;

	se.cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	se.state = m->idiag_state;
	se.lport = t.lport = ntohs(m->id.idiag_sport);
	se.rport = t.rport = ntohs(m->id.idiag_dport);
	/* An IPv4 peer of a dual-stack socket shows as ::ffff:a.b.c.d: compare it as IPv4. */
	if (v6 && memcmp(m->id.idiag_src, v4mapped, 12) == 0 && memcmp(m->id.idiag_dst, v4mapped, 12) == 0) {
		v6 = false;
		memcpy(t.laddr, &m->id.idiag_src[3], 4);
		memcpy(t.raddr, &m->id.idiag_dst[3], 4);
	} else {
		memcpy(t.laddr, m->id.idiag_src, v6 ? 16 : 4);
		memcpy(t.raddr, m->id.idiag_dst, v6 ? 16 : 4);
	}
	se.own = es->sc.nown && (is_own(&es->sc, &t, v6, false) || is_own(&es->sc, &t, v6, true));
	se.local = is_local_peer(&t, v6);
	alen = len - (int)NLMSG_ALIGN(sizeof(*m));
	for (a = (const struct rtattr *)(const void *)((const char *)m + NLMSG_ALIGN(sizeof(*m))); RTA_OK(a, alen);
	     a = RTA_NEXT(a, alen)) {
		struct tcp_info ti;
		size_t n = RTA_PAYLOAD(a);

		if (a->rta_type != INET_DIAG_INFO)
			continue;
		/* An older kernel sends a shorter struct: what it lacks stays 0. */
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, RTA_DATA(a), n < sizeof(ti) ? n : sizeof(ti));
		se.info = true;
		se.bytes_received = ti.tcpi_bytes_received;
		se.data_segs_in = ti.tcpi_data_segs_in;
		se.last_data_recv = ti.tcpi_last_data_recv;
	}
	es->calls++;
	es->fn(es->arg, &se);
}

int
sockets_each(const struct sockets_query *q, unsigned states, bool info,
    void (*fn)(void *arg, const struct sockets_entry *se), void *arg)
{
	struct each_scan *es = xcalloc(1, sizeof(*es));
	unsigned char ext = info ? 1u << (INET_DIAG_INFO - 1) : 0;
	int rc = 0;

	es->sc.q = q;
	es->fn = fn;
	es->arg = arg;
	find_own(&es->sc);
	/* One dump for both families; the two others only when it failed before any socket. */
	if (q->ipv4 && q->ipv6) {
		if (diag_dump(AF_UNSPEC, states, ext, each_socket, es) == 0)
			goto out;
		if (es->calls) {
			rc = -1;
			goto out;
		}
	}
	if (q->ipv6 && diag_dump(AF_INET6, states, ext, each_socket, es) < 0)
		rc = -1;
	if (q->ipv4 && diag_dump(AF_INET, states, ext, each_socket, es) < 0)
		rc = -1;
out:
	free(es);
	return rc;
}

/* Returns counter NAME of the "Tcp:" lines of /proc/net/snmp (held in buf), or -1. */
static long long
snmp_tcp(const char *buf, const char *name)
{
	const char *tcp, *vals, *p, *end;
	size_t col = 0, i, len = strlen(name);

	/* Two lines: "Tcp: Name Name ..." then "Tcp: value value ...". */
	if (!(tcp = strstr(buf, "\nTcp: ")) || !(vals = strstr(tcp + 1, "\nTcp: ")))
		return -1;
	for (p = tcp + 6; *p && *p != '\n'; col++) {
		end = p + strcspn(p, " \n");
		if ((size_t)(end - p) == len && memcmp(p, name, len) == 0)
			break;
		p = *end == ' ' ? end + 1 : end;
	}
	if (!*p || *p == '\n')
		return -1;
	for (p = vals + 6, i = 0; i < col && *p && *p != '\n'; i++) {
		p += strcspn(p, " \n");
		if (*p == ' ')
			p++;
	}
	return *p >= '0' && *p <= '9' ? strtoll(p, NULL, 10) : -1;
}

int
sockets_tcp_counters(long long *passive_opens, long long *in_segs)
{
	char buf[8192];
	size_t have = 0;
	ssize_t n;
	int fd = open("/proc/net/snmp", O_RDONLY | O_CLOEXEC);

	*passive_opens = *in_segs = -1;
	if (fd < 0)
		return -1;
	while (have < sizeof(buf) - 1 && (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0)
		have += (size_t)n;
	close(fd);
	buf[have] = '\0';
	*passive_opens = snmp_tcp(buf, "PassiveOpens");
	*in_segs = snmp_tcp(buf, "InSegs");
	return *passive_opens < 0 || *in_segs < 0 ? -1 : 0;
}
