/* sockets.h: counts the local TCP sockets on given ports (listening and established), in the
 * network namespace stopplan runs in, never counting stopplan's own connections. */
#ifndef STOPPLAN_SOCKETS_H
#define STOPPLAN_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOCKETS_MAX_PORTS 64

struct sockets_query {
	const int *ports;             /* at most SOCKETS_MAX_PORTS */
	size_t nports;
	bool ipv4, ipv6;              /* which tables to look in */
	bool established;             /* count ESTABLISHED connections too */
	bool enough_if_listening;     /* skip the ipv4 table when every port listens in ipv6 */
};

struct socket_counts {
	int listen, established;
};

/* Fills counts[i] (caller-owned, q->nports entries) for q->ports[i]. Tables that cannot be read
 * count as empty. */
void sockets_count(const struct sockets_query *q, struct socket_counts *counts);

/* One TCP socket of the namespace, as sock_diag reports it (for the drain step). */
struct sockets_entry {
	uint64_t cookie;              /* the kernel's id of the socket, kept in TIME_WAIT */
	int state;                    /* TCP state: 1 ESTABLISHED, 6 TIME_WAIT, 10 LISTEN, ... */
	unsigned lport, rport;
	bool own;                     /* one of stopplan's own connections, or its far end */
	bool local;                   /* the far end is in this namespace too (loopback, own address) */
	bool info;                    /* the tcp_info fields below were sent (not for TIME_WAIT) */
	uint64_t bytes_received;      /* data bytes received (tcpi_bytes_received) */
	uint32_t data_segs_in;        /* segments that carried data (tcpi_data_segs_in) */
	uint32_t last_data_recv;      /* ms since data last came in (tcpi_last_data_recv) */
};

/* Calls fn for every TCP socket of the namespace in the families q->ipv4 / q->ipv6 whose state
 * is in `states` (a mask of 1 << state), with tcp_info when info is set; marks the far ends of
 * stopplan's own connections to q->ports. Needs no privilege. Returns 0, or -1 when sock_diag
 * cannot be used or a dump was cut short (fn may have been called for some sockets). */
int sockets_each(const struct sockets_query *q, unsigned states, bool info,
    void (*fn)(void *arg, const struct sockets_entry *se), void *arg);
/* Reads the namespace's counts of passively opened TCP connections and of TCP segments received
 * (PassiveOpens and InSegs in /proc/net/snmp). Returns 0, or -1 (a count that cannot be read is
 * set to -1). */
int sockets_tcp_counters(long long *passive_opens, long long *in_segs);

#endif
