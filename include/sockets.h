/* sockets.h: counts the local TCP sockets on given ports (listening and established), in the
 * network namespace stopplan runs in, never counting stopplan's own connections. */
#ifndef STOPPLAN_SOCKETS_H
#define STOPPLAN_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
