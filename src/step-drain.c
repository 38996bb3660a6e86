/* step-drain.c: the drain step: waits until local TCP ports have had no traffic for a while (no
 * connection accepted, no data received on an established one), read from the kernel's socket
 * table (sock_diag with tcp_info, see sockets.c) every interval.
 *
 * How traffic is seen, sample by sample:
 * - Every socket on a watched port (other than a listener and stopplan's own) is known by its
 *   cookie. A cookie not seen in the previous sample is a connection accepted since; TIME_WAIT
 *   entries keep the cookie of their connection, so a connection that the app closed between
 *   two samples is still seen as new.
 * - A known connection whose tcpi_bytes_received grew received data, at tcpi_last_data_recv ago.
 * - A connection that opened and closed between two samples and left no TIME_WAIT entry on the
 *   accepting side (the client closed first, or a reset) is caught by the namespace's
 *   PassiveOpens counter (/proc/net/snmp): opens matched neither by a new cookie on a listening
 *   port of the namespace nor by the new client end of a connection made within the namespace
 *   count as accepted on the watched ports. That counter is namespace-wide: such a connection on
 *   another port (a kubelet tcpSocket probe) counts too.
 * - No sample reads the table when the namespace's InSegs counter has not moved since the last
 *   one: nothing can have changed.
 *
 * When samples are read: every interval, except while traffic goes on only over connections the
 * drain already knows. Then the kernel dates the last data of each (tcpi_last_data_recv), so no
 * sample before that date plus quiet could end the wait: the next one is read then. What such a
 * longer gap hides is still caught, dated at the sample that finds it (later than it happened, so
 * the wait can only grow): a connection opened (a new cookie, PassiveOpens) and one of the app's
 * connections gone, whose last data the kernel can no longer date. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "loop.h"
#include "node.h"
#include "sockets.h"
#include "step.h"
#include "util.h"

#define DRAIN_PORT_MAX STEP_PORTS_MAX
#define DRAIN_QUIET_MS 1000
#define DRAIN_INTERVAL_MS 100
#define DRAIN_INTERVAL_MIN_MS 10
#define DRAIN_INTERVAL_MAX_MS 1000
#define DRAIN_TRACK_MAX (1 << 20)      /* sockets followed at once; the kernel bounds them anyway */
/* Every state but SYN_SENT, SYN_RECV (a request socket, whose full socket gets its own cookie)
 * and CLOSE (never hashed). */
#define DRAIN_STATES (0xfffu & ~(1u << 0 | 1u << 2 | 1u << 3 | 1u << 7))
#define TCP_LISTEN_STATE 10

static const struct schema_key drain_keys[] = {
	{"port", false}, {"ports", false}, {"quiet", false}, {"min", false}, {"interval", false},
	{"timeout", false},
	{NULL, false},
};

/* The step's outputs, ${steps.NAME.FIELD} (set by drain_outputs). */
static const char *const drain_outputs_names[] = {"waited", "accepted", "segments", "bytes"};

struct drain {
	struct step_ports ports;
	struct tmpl *quiet, *min, *timeout;
	int64_t interval;
	const struct plan *plan;       /* for the deadline, the bound of a drain without timeout */
};

/* A socket followed from one sample to the next. */
struct drain_conn {
	uint64_t cookie;
	uint64_t bytes;
	uint32_t segs;
	unsigned port, rport;          /* local and remote port */
	bool local;                    /* the far end is in the namespace too */
	bool client;                   /* the client end of a connection to a listening port here */
	bool ours;                     /* on a watched port (else on another listening port) */
	bool info;                     /* bytes and segs came with this sample (not in TIME_WAIT) */
};

struct drain_state {
	int ports[DRAIN_PORT_MAX];     /* the ports, templates resolved */
	size_t nports;
	int64_t start, end, last_activity, prev_sample, next;
	bool first;
	struct drain_conn *conns, *cur;  /* sorted by cookie: the previous sample, the one being read */
	size_t nconns, ncur, capconns, capcur;
	uint8_t *listening;            /* bitmap of the namespace's listening ports */
	long long accepted, segments, unseen;
	unsigned long long bytes;
	long long passive0, new_passive, excess_max;   /* PassiveOpens bookkeeping; passive0 -1: none */
	long long in_segs;             /* InSegs at the last dump */
	bool live;                     /* the first sample found a listener or a connection */
	bool dated;                    /* the last sample saw traffic, all of it dated by the kernel */
	bool skipping;                 /* the current wait is longer than interval (see above) */
};

static bool
drain_watched(const struct drain_state *st, unsigned port)
{
	size_t i;

	for (i = 0; i < st->nports; i++)
		if ((unsigned)st->ports[i] == port)
			return true;
	return false;
}

static int
drain_load(struct step *s, const struct node *v, struct load_ctx *lc)
{
	struct drain *d;
	const struct node *n;
	int rc = 0;

	if (!schema_check(v, drain_keys, "drain", lc->d) && v->type != NODE_MAP)
		return -1;
	d = s->data = xcalloc(1, sizeof(*d));
	d->plan = lc->plan;
	d->interval = DRAIN_INTERVAL_MS;
	if (!!node_get(v, "port") == !!node_get(v, "ports")) {
		diag_at(lc->d, v, "drain needs port or ports (one of them)");
		rc = -1;
	} else if (step_ports_load(s, node_get(v, "port") ? node_get(v, "port") : node_get(v, "ports"), &d->ports,
	    DRAIN_PORT_MAX, "drain", lc) < 0) {
		rc = -1;
	}
	if ((n = node_get(v, "quiet")) && !(d->quiet = plan_tmpl(lc, s, n, TTYPE_TIMEOUT)))
		rc = -1;
	if ((n = node_get(v, "min")) && !(d->min = plan_tmpl(lc, s, n, TTYPE_DURATION)))
		rc = -1;
	if ((n = node_get(v, "timeout")) && !(d->timeout = plan_tmpl(lc, s, n, TTYPE_TIMEOUT)))
		rc = -1;
	if ((n = node_get(v, "interval"))) {
		if (value_duration(n, lc->d, &d->interval) < 0) {
			rc = -1;
		} else if (d->interval < DRAIN_INTERVAL_MIN_MS || d->interval > DRAIN_INTERVAL_MAX_MS) {
			diag_at(lc->d, n, "interval must be between 10ms and 1s");
			rc = -1;
		}
	}
	if (!node_get(v, "timeout") && !lc->plan->deadline_node) {
		diag_at(lc->d, v, "a drain needs a timeout, or a deadline in the plan, to bound its wait");
		rc = -1;
	}
	return rc;
}

/* The worst case of the steps that run before (with before) or after s in its sequence and in
 * the sequences around it (steps of a parallel group run beside it, not before or after it). */
static int64_t
worst_around(const struct step *s, const struct plan *p, bool before)
{
	struct step *const *list;
	size_t n, i;
	int64_t rest = 0;
	bool after;

	for (; s; s = s->parent) {
		list = s->parent ? s->parent->kids : s->in_finally ? p->finally : p->steps;
		n = s->parent ? s->parent->nkids : s->in_finally ? p->nfinally : p->nsteps;
		after = false;
		for (i = 0; i < n; i++) {
			if (list[i] == s)
				after = true;
			else if ((after || before) && !(s->parent && s->parent->kind->concurrent))
				rest = dur_add(rest, plan_step_worst(list[i]));
		}
	}
	return rest;
}

/* Without timeout: what the plan's deadline leaves after every other step (before and after it,
 * and finally), so that the plan's worst case is its deadline. */
static int64_t
drain_worst(const struct step *s)
{
	const struct drain *d = s->data;
	const struct step *top = s;
	int64_t w;
	size_t i;

	if (d->timeout)
		return tmpl_ms(d->timeout, 0);
	w = d->plan->deadline - worst_around(s, d->plan, true);
	while (top->parent)
		top = top->parent;
	for (i = 0; !top->in_finally && i < d->plan->nfinally && w > 0; i++)
		w -= plan_step_worst(d->plan->finally[i]);
	return w > 0 ? w : 0;
}

static bool
drain_has_field(const struct step *s, const char *field)
{
	size_t i;

	(void)s;
	for (i = 0; i < LEN(drain_outputs_names); i++)
		if (strcmp(field, drain_outputs_names[i]) == 0)
			return true;
	return false;
}

static size_t
drain_fields(const struct step *s, const char **names, size_t max)
{
	size_t i;

	(void)s;
	for (i = 0; i < LEN(drain_outputs_names) && i < max; i++)
		names[i] = drain_outputs_names[i];
	return i;
}

static void
drain_describe(const struct step *s, const struct tmpl_env *env, struct buf *out)
{
	const struct drain *d = s->data;
	char q[32], m[32];

	fmt_duration(q, sizeof(q), tmpl_ms(d->quiet, DRAIN_QUIET_MS));
	buf_adds(out, "drain ");
	step_ports_describe(&d->ports, env, out);
	buf_printf(out, " (quiet %s", q);
	if (tmpl_ms(d->min, 0) > 0) {
		fmt_duration(m, sizeof(m), tmpl_ms(d->min, 0));
		buf_printf(out, ", min %s", m);
	}
	buf_adds(out, ")");
}

/* Formats n with a comma every three digits ("1,204"). */
static void
fmt_count(char *out, size_t size, unsigned long long n)
{
	char digits[32];
	size_t len, i, o = 0;

	len = (size_t)snprintf(digits, sizeof(digits), "%llu", n);
	for (i = 0; i < len && o + 2 < size; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* Appends "41 connections accepted, 1,204 data segments received" to out. */
static void
traffic_text(const struct drain_state *st, struct buf *out)
{
	char a[32], g[32];

	fmt_count(a, sizeof(a), (unsigned long long)st->accepted);
	fmt_count(g, sizeof(g), (unsigned long long)st->segments);
	buf_printf(out, "%s connection%s accepted, %s data segment%s received", a, st->accepted == 1 ? "" : "s", g,
	    st->segments == 1 ? "" : "s");
	if (st->unseen)
		buf_printf(out, ", %lld of the connections seen only in PassiveOpens", st->unseen);
}

static int
cookie_cmp(const void *a, const void *b)
{
	const struct drain_conn *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

/* The run's context while one sample is read. */
struct drain_sample {
	const struct drain *d;
	struct drain_state *st;
	int64_t now;
	long long new_passive;          /* new cookies on listening ports (ours, others, own) */
	unsigned dated, undated;        /* traffic dated by the kernel, dated at this sample */
};

/* Traffic the kernel dated: data received at `when`. */
static void
note_data(struct drain_sample *sa, int64_t when)
{
	sa->dated++;
	if (when > sa->st->last_activity)
		sa->st->last_activity = when;
}

/* Traffic seen only now (a new connection, one gone): dated at the sample. */
static void
note_event(struct drain_sample *sa)
{
	sa->undated++;
	if (sa->now > sa->st->last_activity)
		sa->st->last_activity = sa->now;
}

/* The connection of the previous sample with c's cookie, or NULL. */
static const struct drain_conn *
find_conn(const struct drain_state *st, const struct drain_conn *c)
{
	return st->nconns ? bsearch(c, st->conns, st->nconns, sizeof(*c), cookie_cmp) : NULL;
}

/* sockets_each's callback: keeps the sockets of one sample; listeners go into the bitmap. */
static void
sample_socket(void *arg, const struct sockets_entry *se)
{
	struct drain_sample *sa = arg;
	struct drain_state *st = sa->st;
	struct drain_conn *c;

	if (se->state == TCP_LISTEN_STATE) {
		st->listening[se->lport >> 3] |= (uint8_t)(1u << (se->lport & 7));
		return;
	}
	if (se->own) {
		/* stopplan's own connection never counts, but its opening is one PassiveOpens explained. */
		if (!st->first && drain_watched(st, se->lport)) {
			struct drain_conn key = {.cookie = se->cookie};

			if (!find_conn(st, &key))
				sa->new_passive++;
		}
		return;
	}
	if (st->ncur == st->capcur) {
		if (st->capcur >= DRAIN_TRACK_MAX)
			return;
		st->capcur = st->capcur ? st->capcur * 2 : 64;
		st->cur = xreallocarray(st->cur, st->capcur, sizeof(*st->cur));
	}
	c = &st->cur[st->ncur++];
	c->cookie = se->cookie;
	c->port = se->lport;
	c->rport = se->rport;
	c->local = se->local;
	c->ours = drain_watched(st, se->lport);
	c->info = se->info;
	c->bytes = se->info ? se->bytes_received : 0;
	c->segs = se->info ? se->data_segs_in : 0;
	if (c->ours && c->info && !st->first) {
		const struct drain_conn *old = find_conn(st, c);

		if (old && c->bytes > old->bytes) {
			st->segments += (long long)(c->segs - old->segs);
			st->bytes += c->bytes - old->bytes;
			note_data(sa, sa->now - (int64_t)se->last_data_recv);
		}
	}
}

#define LISTENING(st, port) ((st)->listening[(port) >> 3] & (1u << ((port) & 7)))

/* True when the sample holds the accepting end of client end c's connection. */
static bool
has_server_end(const struct drain_state *st, const struct drain_conn *c)
{
	size_t i;

	for (i = 0; i < st->ncur; i++)
		if (!st->cur[i].client && st->cur[i].port == c->rport && st->cur[i].rport == c->port)
			return true;
	return false;
}

/* True when the sample holds a connection with c's cookie. */
static bool
in_sample(const struct drain_state *st, const struct drain_conn *c)
{
	return st->ncur && bsearch(c, st->cur, st->ncur, sizeof(*c), cookie_cmp);
}

/* Compares the sample just read with the previous one: new connections, connections gone after
 * a long gap, the PassiveOpens balance. The previous sample is then replaced. */
static void
compare_sample(struct drain_sample *sa, long long passive)
{
	struct drain_state *st = sa->st;
	size_t i, o = 0;

	/* Keep the accepted connections (a listening port's sockets) and the client ends of
	 * connections made within the namespace to one of its listening ports; drop the rest. */
	for (i = 0; i < st->ncur; i++) {
		struct drain_conn *c = &st->cur[i];

		c->client = false;
		if (!c->ours && !LISTENING(st, c->port)) {
			if (!c->local || !LISTENING(st, c->rport))
				continue;
			c->client = true;
		}
		st->cur[o++] = *c;
	}
	st->ncur = o;
	/* After a gap longer than interval, an accepted connection gone may have received data the
	 * kernel can no longer date. */
	if (st->skipping)
		for (i = 0; i < st->nconns; i++)
			if (st->conns[i].ours && !st->conns[i].client && !in_sample(st, &st->conns[i])) {
				note_event(sa);
				break;
			}
	for (i = 0; i < st->ncur; i++) {
		struct drain_conn *c = &st->cur[i];
		const struct drain_conn *old = NULL;

		if (!st->first)
			old = find_conn(st, c);
		if (old && !c->info) {
			/* TIME_WAIT and the like carry no tcp_info: keep what was known. */
			c->bytes = old->bytes;
			c->segs = old->segs;
		}
		if (old || st->first)
			continue;
		if (c->client) {
			/* A connection made here whose accepting end is gone already (or is its pair in
			 * this sample, which counts it): one PassiveOpens explained. */
			if (has_server_end(st, c))
				continue;
			sa->new_passive++;
			if (drain_watched(st, c->rport)) {
				st->accepted++;
				note_event(sa);
			}
			continue;
		}
		sa->new_passive++;
		if (c->ours) {
			st->accepted++;
			st->segments += c->segs;
			st->bytes += c->bytes;
			note_event(sa);
		}
	}
	/* Connections that came and went unseen: PassiveOpens grew more than the new cookies. */
	if (passive >= 0 && st->passive0 >= 0) {
		long long excess;

		st->new_passive += sa->new_passive;
		excess = passive - st->passive0 - st->new_passive;
		if (excess > st->excess_max) {
			st->unseen += excess - st->excess_max;
			st->accepted += excess - st->excess_max;
			st->excess_max = excess;
			note_event(sa);
		}
	} else if (st->first) {
		st->passive0 = passive;
	}
}

/* Reads one sample. Returns -1 when the socket table cannot be read. */
static int
drain_sample(struct exec *e)
{
	const struct drain *d = e->step->data;
	struct drain_state *st = e->state;
	struct sockets_query q = {.ports = st->ports, .nports = st->nports, .ipv4 = true, .ipv6 = true};
	struct drain_sample sa = {.d = d, .st = st};
	struct drain_conn *t;
	long long passive, in_segs;
	size_t i;

	/* The counters first: a connection counted there is then in the dump (or already gone). */
	sockets_tcp_counters(&passive, &in_segs);
	sa.now = now_ms();
	/* No TCP segment came into the namespace since the last look: no connection was opened
	 * and no data came, so the socket table has nothing new to say. This spares the walk of
	 * the kernel's table of connections while the ports are quiet. */
	if (!st->first && in_segs >= 0 && in_segs == st->in_segs) {
		st->prev_sample = sa.now;
		st->dated = false;
		return 0;
	}
	st->in_segs = in_segs;
	memset(st->listening, 0, 65536 / 8);
	st->ncur = 0;
	if (sockets_each(&q, DRAIN_STATES, true, sample_socket, &sa) < 0)
		return -1;
	if (st->ncur > 1)
		qsort(st->cur, st->ncur, sizeof(*st->cur), cookie_cmp);
	compare_sample(&sa, passive);
	st->dated = sa.dated && !sa.undated;
	if (st->first) {
		for (i = 0; i < st->nports; i++)
			if (LISTENING(st, (unsigned)st->ports[i]))
				st->live = true;
		for (i = 0; i < st->ncur; i++)
			if (st->cur[i].ours && !st->cur[i].client)
				st->live = true;
	}
	t = st->conns;
	st->conns = st->cur;
	st->nconns = st->ncur;
	st->cur = t;
	st->ncur = 0;
	i = st->capconns;
	st->capconns = st->capcur;
	st->capcur = i;
	st->first = false;
	st->prev_sample = sa.now;
	return 0;
}

static void
drain_outputs(struct exec *e, int64_t waited)
{
	struct drain_state *st = e->state;
	char v[32];

	snprintf(v, sizeof(v), "%lld", (long long)waited);
	exec_output(e, "waited", v, strlen(v));
	snprintf(v, sizeof(v), "%lld", st->accepted);
	exec_output(e, "accepted", v, strlen(v));
	snprintf(v, sizeof(v), "%lld", st->segments);
	exec_output(e, "segments", v, strlen(v));
	snprintf(v, sizeof(v), "%llu", st->bytes);
	exec_output(e, "bytes", v, strlen(v));
}

static int
drain_poll(struct exec *e)
{
	const struct drain *d = e->step->data;
	struct drain_state *st = e->state;
	int64_t now, quiet = tmpl_ms(d->quiet, DRAIN_QUIET_MS), min = tmpl_ms(d->min, 0), ready, wake;
	struct buf what = {0}, traffic = {0};
	char q[32], waited[32];
	int rc = EXEC_RUNNING;

	if (now_ms() < st->next) {
		loop_wake_at(exec_loop(e), st->next);
		return EXEC_RUNNING;
	}
	if (drain_sample(e) < 0)
		return exec_fail(e, "cannot read the socket table through netlink sock_diag");
	now = st->prev_sample;
	step_ports_describe(&d->ports, NULL, &what);
	traffic_text(st, &traffic);
	fmt_duration(q, sizeof(q), quiet);
	/* The time waited as durations print elsewhere ("2.3s", "600ms"), to a tenth of a second. */
	fmt_duration(waited, sizeof(waited), (now - st->start + 50) / 100 * 100);
	ready = st->last_activity + quiet;
	if (ready < st->start + min)
		ready = st->start + min;
	if (!st->live && min == 0) {
		drain_outputs(e, now - st->start);
		exec_detail(e, "%s: nothing listening and no connection: already drained", what.s);
		rc = EXEC_OK;
	} else if (now >= ready) {
		drain_outputs(e, now - st->start);
		exec_detail(e, "%s quiet for %s after %s (%s)", what.s, q, waited, traffic.s);
		rc = EXEC_OK;
	} else if (now >= st->end) {
		char ago[32];

		drain_outputs(e, now - st->start);
		fmt_duration(ago, sizeof(ago), now - st->last_activity);
		exec_detail(e, "drain %s", what.s);
		if (st->accepted || st->segments || st->bytes)
			rc = exec_fail(e, "still traffic after %s (%s; the last %s ago, %s of quiet wanted)", waited,
			    traffic.s, ago, q);
		else
			rc = exec_fail(e, "no traffic seen, but the bound came after %s, before %s of quiet%s", waited, q,
			    min > quiet ? " and min" : "");
		if (e->clipped)
			e->by_deadline = true;
	} else {
		/* While the only traffic is data the kernel dated, nothing before ready can end the
		 * wait: skip the samples in between (see the top of the file). */
		wake = now + d->interval;
		if (st->dated ? ready > wake : ready < wake)
			wake = ready;
		if (st->end < wake)
			wake = st->end;
		st->skipping = wake > now + d->interval;
		st->next = wake;
		loop_wake_at(exec_loop(e), wake);
	}
	buf_free(&what);
	buf_free(&traffic);
	return rc;
}

/* The time a drain without timeout may wait: up to the deadline of its phase, less the worst
 * case of the steps after it. */
static int64_t
share_end(struct exec *e)
{
	return exec_deadline(e) - worst_around(e->step, exec_plan(e), false);
}

static int
drain_start(struct exec *e)
{
	const struct drain *d = e->step->data;
	struct drain_state *st = xcalloc(1, sizeof(*st));

	e->state = st;
	step_ports_values(&d->ports, st->ports);
	st->nports = d->ports.n;
	st->listening = xcalloc(1, 65536 / 8);
	st->first = true;
	st->passive0 = -1;
	/* stopplan's own idle keep-alive connections (an earlier http-call to the app) go now. */
	http_close_idle(exec_loop(e));
	st->start = st->last_activity = now_ms();
	if (d->timeout) {
		st->end = st->start + exec_clip(e, tmpl_ms(d->timeout, 0));
	} else {
		st->end = share_end(e);
		if (st->end > exec_deadline(e))
			st->end = exec_deadline(e);
	}
	st->next = st->start;
	return drain_poll(e);
}

static void
drain_cancel(struct exec *e)
{
	struct drain_state *st = e->state;

	if (!st)
		return;
	free(st->conns);
	free(st->cur);
	free(st->listening);
	free(st);
	e->state = NULL;
}

static void
drain_free(void *data)
{
	free(data);
}

const struct step_kind step_drain_kind = {
	.name = "drain",
	.keys = drain_keys,
	.load = drain_load,
	.worst = drain_worst,
	.has_field = drain_has_field,
	.fields = drain_fields,
	.describe = drain_describe,
	.start = drain_start,
	.poll = drain_poll,
	.cancel = drain_cancel,
	.free = drain_free,
};
