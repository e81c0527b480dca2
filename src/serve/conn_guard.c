/*
 * Request deadlines and the connection budget; see conn_guard.h.
 *
 * The slots are a plain array scanned under one lock: a few hundred
 * connections at most (serve.max_connections), and a scan of 300 slots
 * takes about a microsecond, less than accepting the connection did.
 */
#include "serve/conn_guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/xalloc.h"

struct conn_slot {
	int fd;
	char client[48]; /* an IPv6 address fits */
	double since;    /* when its current request's clock started */
	int busy;        /* a whole request is being answered */
	int closing;     /* shut down by us; libmicrohttpd has yet to close it */
	size_t index;    /* in g->slots */
};

struct conn_guard {
	pthread_mutex_t lock;
	struct conn_guard_limits lim;
	struct conn_slot **slots;
	size_t n, alloc;
	struct conn_guard_stats stats;
	/* the watch thread */
	pthread_t watcher;
	int watching, stop;
	double interval;
	pthread_cond_t wake;
};

struct conn_guard *conn_guard_new(const struct conn_guard_limits *limits)
{
	struct conn_guard *g = xcalloc(1, sizeof(*g));
	pthread_condattr_t attr;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &attr);
	pthread_condattr_destroy(&attr);
	g->lim = *limits;
	return g;
}

static void *watch_main(void *arg)
{
	struct conn_guard *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		double next = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + g->interval;
		ts.tv_sec = (time_t)next;
		ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
		if (g->stop)
			break;
		pthread_mutex_unlock(&g->lock);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		conn_guard_reap(g, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

void conn_guard_watch(struct conn_guard *g, double interval)
{
	g->interval = interval;
	if (pthread_create(&g->watcher, NULL, watch_main, g) == 0)
		g->watching = 1;
}

void conn_guard_free(struct conn_guard **gp)
{
	struct conn_guard *g = *gp;
	if (!g)
		return;
	if (g->watching) {
		pthread_mutex_lock(&g->lock);
		g->stop = 1;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->watcher, NULL);
	}
	for (size_t i = 0; i < g->n; i++)
		free(g->slots[i]);
	free(g->slots);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
	*gp = NULL;
}

/*
 * Close `s` for good: the client sees the end of the stream, and
 * libmicrohttpd, reading it too, closes the socket and tells
 * conn_guard_close.  Under the lock, which conn_guard_close takes before
 * libmicrohttpd closes the descriptor: the number cannot name another
 * connection's socket yet.
 */
static void shut(struct conn_guard *g, struct conn_slot *s, unsigned long long *counter)
{
	shutdown(s->fd, SHUT_RDWR);
	s->closing = 1;
	(*counter)++;
}

/* The connection of `client` (any when NULL) waiting longest for its request, or NULL. */
static struct conn_slot *longest_waiting(struct conn_guard *g, const char *client)
{
	struct conn_slot *best = NULL;
	for (size_t i = 0; i < g->n; i++) {
		struct conn_slot *s = g->slots[i];
		if (s->busy || s->closing || (client && strcmp(s->client, client)))
			continue;
		if (!best || s->since < best->since)
			best = s;
	}
	return best;
}

/* Open connections not being closed: all, and those of `client`. */
static void count_open(struct conn_guard *g, const char *client, unsigned *all, unsigned *mine)
{
	*all = *mine = 0;
	for (size_t i = 0; i < g->n; i++) {
		if (g->slots[i]->closing)
			continue;
		(*all)++;
		*mine += !strcmp(g->slots[i]->client, client);
	}
}

/*
 * A 503 to a connection refused before it sent anything (libmicrohttpd has
 * not written to it either): better than a reset, and says when to retry.
 */
static void say_busy(int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
				   "Content-Length: 0\r\nConnection: close\r\n\r\n";
	while (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

struct conn_slot *conn_guard_open(struct conn_guard *g, int fd, const char *client, double now)
{
	struct conn_slot *s = xcalloc(1, sizeof(*s));
	unsigned all, mine;
	s->fd = fd;
	snprintf(s->client, sizeof(s->client), "%s", client);
	s->since = now;
	pthread_mutex_lock(&g->lock);
	ALLOC_GROW(g->slots, g->n + 1, g->alloc);
	s->index = g->n;
	g->slots[g->n++] = s;
	count_open(g, client, &all, &mine);
	if (mine > g->lim.per_client) {
		/* The newest is the one waiting least: it goes only when all others are busy. */
		struct conn_slot *v = longest_waiting(g, client);
		if (v == s) {
			say_busy(fd);
			shut(g, s, &g->stats.refused);
		} else {
			shut(g, v, &g->stats.client_budget);
		}
		all--;
	}
	if (!s->closing && all > g->lim.budget) {
		struct conn_slot *v = longest_waiting(g, NULL);
		if (v == s) {
			say_busy(fd);
			shut(g, s, &g->stats.refused);
		} else {
			shut(g, v, &g->stats.budget);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return s;
}

void conn_guard_close(struct conn_guard *g, struct conn_slot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&g->lock);
	struct conn_slot *last = g->slots[--g->n];
	g->slots[s->index] = last;
	last->index = s->index;
	pthread_mutex_unlock(&g->lock);
	free(s);
}

const char *conn_slot_client(const struct conn_slot *s)
{
	return s->client;
}

void conn_guard_busy(struct conn_guard *g, struct conn_slot *s)
{
	pthread_mutex_lock(&g->lock);
	s->busy = 1;
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_idle(struct conn_guard *g, struct conn_slot *s, double now)
{
	pthread_mutex_lock(&g->lock);
	s->busy = 0;
	s->since = now;
	pthread_mutex_unlock(&g->lock);
}

int conn_guard_reap(struct conn_guard *g, double now)
{
	int closed = 0;
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n; i++) {
		struct conn_slot *s = g->slots[i];
		if (!s->busy && !s->closing && now - s->since > g->lim.request_timeout) {
			shut(g, s, &g->stats.deadline);
			closed++;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return closed;
}

void conn_guard_stats(struct conn_guard *g, struct conn_guard_stats *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->stats;
	out->open = (unsigned)g->n;
	pthread_mutex_unlock(&g->lock);
}
