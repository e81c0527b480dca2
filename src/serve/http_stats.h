/*
 * Counters of the server's own traffic for /metrics: requests by route and
 * status, a latency histogram by route, and the requests in progress.
 */
#ifndef SERVE_HTTP_STATS_H
#define SERVE_HTTP_STATS_H

#include "core/strbuf.h"

struct http_stats;

/* Routes are numbered 0..nroutes-1 and named by the caller. */
struct http_stats *http_stats_new(const char *const *route_names, int nroutes);
void http_stats_free(struct http_stats *s);
void http_stats_record(struct http_stats *s, int route, int status, double seconds);
/* A request began (its headers were read) or ended (answered or cut). */
void http_stats_begin(struct http_stats *s);
void http_stats_end(struct http_stats *s);
/* Requests begun and not yet ended: read, queued, being answered or sent. */
unsigned http_stats_in_progress(struct http_stats *s);
/*
 * Append ragops_http_requests_total, ragops_http_request_duration_seconds
 * and ragops_http_requests_in_progress.
 */
void http_stats_expose(struct http_stats *s, struct strbuf *out);

#endif
