/*
 * HTTP traffic counters; see http_stats.h.
 */
#include "serve/http_stats.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static const double latency_bounds[] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBOUNDS   (sizeof(latency_bounds) / sizeof(latency_bounds[0]))
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
	unsigned in_progress;
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

void http_stats_begin(struct http_stats *s)
{
	pthread_mutex_lock(&s->lock);
	s->in_progress++;
	pthread_mutex_unlock(&s->lock);
}

void http_stats_end(struct http_stats *s)
{
	pthread_mutex_lock(&s->lock);
	s->in_progress--;
	pthread_mutex_unlock(&s->lock);
}

unsigned http_stats_in_progress(struct http_stats *s)
{
	pthread_mutex_lock(&s->lock);
	unsigned n = s->in_progress;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/*
 * Routes that share a path (GET and POST /api/runs) share their series: a
 * scrape must not hold two samples with the same labels.  Adds one
 * route's figures to `sum`.
 */
static void add_counts(struct route_counts *sum, const struct route_counts *rc)
{
	for (int i = 0; i < MAX_CODES && rc->codes[i].status; i++) {
		for (int k = 0; k < MAX_CODES; k++) {
			if (sum->codes[k].status == rc->codes[i].status || !sum->codes[k].status) {
				sum->codes[k].status = rc->codes[i].status;
				sum->codes[k].n += rc->codes[i].n;
				break;
			}
		}
	}
	for (size_t i = 0; i < NBOUNDS; i++)
		sum->le[i] += rc->le[i];
	sum->count += rc->count;
	sum->sum += rc->sum;
}

/* Route r's series summed with those of later routes of the same name; 0 when an earlier one has it. */
static int route_series(const struct http_stats *s, int r, struct route_counts *sum)
{
	for (int e = 0; e < r; e++)
		if (!strcmp(s->names[e], s->names[r]))
			return 0;
	memset(sum, 0, sizeof(*sum));
	for (int o = r; o < s->nroutes; o++)
		if (!strcmp(s->names[o], s->names[r]))
			add_counts(sum, &s->r[o]);
	return 1;
}

void http_stats_expose(struct http_stats *s, struct strbuf *out)
{
	struct route_counts rc;
	pthread_mutex_lock(&s->lock);
	strbuf_addstr(out,
		      "# HELP ragops_http_requests_total HTTP requests answered, by route and status.\n"
		      "# TYPE ragops_http_requests_total counter\n");
	for (int r = 0; r < s->nroutes; r++)
		for (int i = 0; route_series(s, r, &rc) && i < MAX_CODES && rc.codes[i].status; i++)
			strbuf_addf(out, "ragops_http_requests_total{route=\"%s\",status=\"%d\"} %lld\n",
				    s->names[r], rc.codes[i].status, rc.codes[i].n);
	strbuf_addstr(out, "# HELP ragops_http_request_duration_seconds Time to answer a request.\n"
			   "# TYPE ragops_http_request_duration_seconds histogram\n");
	for (int r = 0; r < s->nroutes; r++) {
		if (!route_series(s, r, &rc) || !rc.count)
			continue;
		for (size_t i = 0; i < NBOUNDS; i++)
			strbuf_addf(
				out,
				"ragops_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
				s->names[r], latency_bounds[i], rc.le[i]);
		strbuf_addf(out,
			    "ragops_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n"
			    "ragops_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
			    "ragops_http_request_duration_seconds_count{route=\"%s\"} %lld\n",
			    s->names[r], rc.count, s->names[r], rc.sum, s->names[r], rc.count);
	}
	strbuf_addf(
		out,
		"# HELP ragops_http_requests_in_progress Requests read and not yet answered "
		"(this scrape included): queued, being answered or being sent.\n"
		"# TYPE ragops_http_requests_in_progress gauge\nragops_http_requests_in_progress %u\n",
		s->in_progress);
	pthread_mutex_unlock(&s->lock);
}
