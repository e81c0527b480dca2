/*
 * What keeps slow clients from taking the server's connections (slowloris):
 *
 *  - a deadline per request: from the moment a connection opens, or its
 *    previous reply went out, a client has serve.request_timeout seconds
 *    to send a whole request (line, headers, body).  A client that trickles
 *    a byte now and then is closed all the same; libmicrohttpd's own
 *    timeout (serve.timeout) only closes connections that send nothing.
 *  - a budget of connections, for the server (serve.max_connections) and
 *    for each client address (serve.max_client_connections), that a new
 *    connection gets into by pushing out the connection that has waited
 *    longest for its request, rather than being turned away: a slow client
 *    holds its place only until someone else needs it.  A new connection
 *    is refused only when every other one is busy with a request.
 *
 * Connections are told about by the server's libmicrohttpd callbacks and
 * closed with shutdown(2): libmicrohttpd sees the end of the stream and
 * closes the socket itself (it still owns it).  Thread-safe.
 */
#ifndef SERVE_CONN_GUARD_H
#define SERVE_CONN_GUARD_H

struct conn_guard;
struct conn_slot;

struct conn_guard_limits {
	unsigned budget;        /* connections at once, all clients */
	unsigned per_client;    /* connections at once from one address */
	double request_timeout; /* seconds to send a whole request */
};

/* Why connections were closed, for /metrics. */
struct conn_guard_stats {
	unsigned open;                    /* connections open now */
	unsigned long long deadline;      /* closed: no whole request in time */
	unsigned long long budget;        /* closed: made room for another client */
	unsigned long long client_budget; /* closed: made room for the same address */
	unsigned long long refused;       /* new connections refused: all others busy */
};

struct conn_guard *conn_guard_new(const struct conn_guard_limits *limits);
/*
 * Check the deadlines every `interval` seconds on a thread of its own
 * until conn_guard_free().
 */
void conn_guard_watch(struct conn_guard *g, double interval);
/* Stops the watch; every slot must have been closed. NULL is fine. */
void conn_guard_free(struct conn_guard **g);

/*
 * A connection opened on socket `fd` from `client` (a numeric address, kept
 * as the request's client); its slot.  When it takes the server or its
 * address over budget, the connection waiting longest for its request is
 * shut down, or this one when all others are busy.
 */
struct conn_slot *conn_guard_open(struct conn_guard *g, int fd, const char *client, double now);
/* The connection closed: its slot is freed (NULL is fine). */
void conn_guard_close(struct conn_guard *g, struct conn_slot *s);
/* The client's address, as given to conn_guard_open. */
const char *conn_slot_client(const struct conn_slot *s);
/* The request is whole (headers and body): it has no deadline while it is answered. */
void conn_guard_busy(struct conn_guard *g, struct conn_slot *s);
/* Its reply went out: the clock of the next request starts at `now`. */
void conn_guard_idle(struct conn_guard *g, struct conn_slot *s, double now);
/* Shut down the connections past their deadline at `now`; how many. */
int conn_guard_reap(struct conn_guard *g, double now);
void conn_guard_stats(struct conn_guard *g, struct conn_guard_stats *out);

#endif
