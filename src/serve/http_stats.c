/*
 * HTTP traffic counters; see http_stats.h.
 */
#include "serve/http_stats.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/xalloc.h"

static const double latency_bounds[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBOUNDS (sizeof(latency_bounds) / sizeof(latency_bounds[0]))
#define MAX_CODES 16

struct route_counts {
	struct {
		int status;
		long long n;
	} codes[MAX_CODES];
	long long le[NBOUNDS], count;
	double sum;
};

struct http_stats {
	pthread_mutex_t lock;
	const char *const *names;
	int nroutes;
	struct route_counts *r;
};

struct http_stats *http_stats_new(const char *const *route_names, int nroutes)
{
	struct http_stats *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->names = route_names;
	s->nroutes = nroutes;
	s->r = xcalloc((size_t)nroutes, sizeof(*s->r));
	return s;
}

void http_stats_free(struct http_stats *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->r);
	free(s);
}

void http_stats_record(struct http_stats *s, int route, int status, double seconds)
{
	if (route < 0 || route >= s->nroutes)
		return;
	pthread_mutex_lock(&s->lock);
	struct route_counts *rc = &s->r[route];
	for (int i = 0; i < MAX_CODES; i++) {
		/* A route answers with a handful of codes; a 17th distinct one is not counted. */
		if (rc->codes[i].status == status || !rc->codes[i].status) {
			rc->codes[i].status = status;
			rc->codes[i].n++;
			break;
		}
	}
	for (size_t i = 0; i < NBOUNDS; i++)
		rc->le[i] += seconds <= latency_bounds[i];
	rc->count++;
	rc->sum += seconds;
	pthread_mutex_unlock(&s->lock);
}

void http_stats_expose(struct http_stats *s, struct strbuf *out)
{
	pthread_mutex_lock(&s->lock);
	strbuf_addstr(out, "# HELP ragops_http_requests_total HTTP requests answered, by route and status.\n"
			   "# TYPE ragops_http_requests_total counter\n");
	for (int r = 0; r < s->nroutes; r++)
		for (int i = 0; i < MAX_CODES && s->r[r].codes[i].status; i++)
			strbuf_addf(out, "ragops_http_requests_total{route=\"%s\",status=\"%d\"} %lld\n",
				    s->names[r], s->r[r].codes[i].status, s->r[r].codes[i].n);
	strbuf_addstr(out, "# HELP ragops_http_request_duration_seconds Time to answer a request.\n"
			   "# TYPE ragops_http_request_duration_seconds histogram\n");
	for (int r = 0; r < s->nroutes; r++) {
		const struct route_counts *rc = &s->r[r];
		if (!rc->count)
			continue;
		for (size_t i = 0; i < NBOUNDS; i++)
			strbuf_addf(out, "ragops_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
				    s->names[r], latency_bounds[i], rc->le[i]);
		strbuf_addf(out, "ragops_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n"
				 "ragops_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
				 "ragops_http_request_duration_seconds_count{route=\"%s\"} %lld\n",
			    s->names[r], rc->count, s->names[r], rc->sum, s->names[r], rc->count);
	}
	pthread_mutex_unlock(&s->lock);
}
