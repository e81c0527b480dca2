/*
 * Counters of the server's own traffic for /metrics: requests by route and
 * status, and a latency histogram by route.
 */
#ifndef SERVE_HTTP_STATS_H
#define SERVE_HTTP_STATS_H

#include "core/strbuf.h"

struct http_stats;

/* Routes are numbered 0..nroutes-1 and named by the caller. */
struct http_stats *http_stats_new(const char *const *route_names, int nroutes);
void http_stats_free(struct http_stats *s);
void http_stats_record(struct http_stats *s, int route, int status, double seconds);
/* Append ragops_http_requests_total and ragops_http_request_duration_seconds. */
void http_stats_expose(struct http_stats *s, struct strbuf *out);

#endif
