/*
 * The server short of memory; see memory_pressure.h.
 */
#include "serve/memory_pressure.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/mem_reserve.h"
#include "core/timeutil.h"
#include "serve/server_state.h"

int memory_admit(const struct request *rq, struct reply *rp)
{
	if (!rq->short_of_memory || mem_reserve_restore())
		return 1;
	reply_header(rp, MHD_HTTP_HEADER_RETRY_AFTER, "%d", MEMORY_RETRY_AFTER);
	reply_error(rp, 503, NULL,
		    "out of memory: the server gave back its memory reserve when an "
		    "allocation failed, and takes no new questions, feedback or admin changes until "
		    "it can take it again (serve.memory_reserve); retry in %d s",
		    MEMORY_RETRY_AFTER);
	return 0;
}

void memory_after_handler(struct reply *rp, unsigned unrecovered)
{
	if (!unrecovered || (rp->status >= 200 && rp->status < 300))
		return;
	/* What the handler said stays: it names what was not done. */
	json_t *j = rp->body ? json_loadb(rp->body, rp->len, 0, NULL) : NULL;
	const char *said = json_string_value(json_object_get(j, "error"));
	char what[512];
	snprintf(what, sizeof(what), "%s", said ? said : "the request was not carried out");
	json_decref(j);
	rp->static_body = NULL;
	reply_header(rp, MHD_HTTP_HEADER_RETRY_AFTER, "%d", MEMORY_RETRY_AFTER);
	if (strstr(what, "out of memory"))
		reply_error(rp, 503, NULL, "%s", what);
	else
		reply_error(rp, 503, NULL, "out of memory: %s", what);
}

void memory_log_changes(struct server *srv)
{
	struct mem_reserve_stats now, *was = &srv->memory_logged;
	char size[32];
	mem_reserve_stats(&now);
	pthread_mutex_lock(&srv->memory_lock);
	format_size(size, sizeof(size), (double)now.size);
	if (now.releases != was->releases)
		log_event(LOG_WARNING, 0, NULL, "serve",
			  "memory: an allocation of %zu bytes failed; "
			  "the %s reserve was given back and the allocation tried again: questions, "
			  "feedback and admin changes are refused (503) until the reserve can be mapped "
			  "again",
			  now.failed_size, size);
	else if (now.failures != was->failures)
		log_event(LOG_WARNING, 0, NULL, "serve",
			  "memory: %llu more allocation%s failed while "
			  "short of memory (the last of %zu bytes)",
			  now.failures - was->failures, now.failures - was->failures == 1 ? "" : "s",
			  now.failed_size);
	if (now.restores != was->restores)
		log_event(LOG_INFO, 0, NULL, "serve",
			  "memory: the reserve is mapped again after %.1f s: "
			  "new work is taken",
			  time_mono() - now.spent_since);
	*was = now;
	pthread_mutex_unlock(&srv->memory_lock);
}

void memory_health_check(struct health_report *r)
{
	struct mem_reserve_stats s;
	mem_reserve_stats(&s);
	if (!s.size || r->n == HEALTH_MAX_CHECKS)
		return;
	struct health_check *c = &r->checks[r->n++];
	char size[32];
	memset(c, 0, sizeof(*c));
	c->name = "memory";
	format_size(size, sizeof(size), (double)s.size);
	snprintf(c->threshold, sizeof(c->threshold), "%s reserve", size);
	if (!s.spent) {
		c->status = HEALTH_OK;
		snprintf(c->value, sizeof(c->value), "held");
		snprintf(c->message, sizeof(c->message),
			 "the memory reserve is held (%llu allocations "
			 "failed since the start)",
			 s.failures);
		return;
	}
	c->status = HEALTH_DEGRADED;
	snprintf(c->value, sizeof(c->value), "spent for %.0f s", time_mono() - s.spent_since);
	snprintf(c->message, sizeof(c->message),
		 "the memory reserve is spent: new questions, feedback "
		 "and admin changes are refused (503) until it can be mapped again (the last "
		 "allocation that failed: %zu bytes)",
		 s.failed_size);
	if (r->overall < HEALTH_DEGRADED)
		r->overall = HEALTH_DEGRADED;
}

void memory_metrics(struct strbuf *out)
{
	struct mem_reserve_stats s;
	mem_reserve_stats(&s);
	strbuf_addf(
		out,
		"# HELP ragops_memory_pressure 1 while the server's memory reserve is spent "
		"(questions, feedback and admin changes refused).\n"
		"# TYPE ragops_memory_pressure gauge\nragops_memory_pressure %d\n"
		"# HELP ragops_memory_reserve_bytes The memory reserve (serve.memory_reserve).\n"
		"# TYPE ragops_memory_reserve_bytes gauge\nragops_memory_reserve_bytes %zu\n"
		"# HELP ragops_memory_reserve_releases_total Times the reserve was given back.\n"
		"# TYPE ragops_memory_reserve_releases_total counter\n"
		"ragops_memory_reserve_releases_total %llu\n"
		"# HELP ragops_allocation_failures_total Allocations that failed (each tried again once).\n"
		"# TYPE ragops_allocation_failures_total counter\nragops_allocation_failures_total %llu\n",
		s.spent, s.size, s.releases, s.failures);
}
