/*
 * A run's heartbeat: a thread that refreshes the run's heartbeat_at in
 * the store, on a connection of its own, a few times per
 * flow.heartbeat_timeout.  Whoever finds a run "running" whose heartbeat
 * is older than that (the next run, the scheduler, `ragops runs`,
 * `ragops health`) records it crashed, even when its pid is alive: the
 * pid was reused, or the process hung, or it runs on a host that lost
 * the store.
 */
#ifndef PIPELINE_HEARTBEAT_H
#define PIPELINE_HEARTBEAT_H

#include "core/config.h"
#include "store/store.h"

struct heartbeat;

/* NULL when it cannot start (logged; the run goes on, judged by its pid alone). */
struct heartbeat *heartbeat_start(const struct config *cfg, long long run_id);
void heartbeat_stop(struct heartbeat **hb);
/* Crash the runs that stopped beating (and those whose process is gone); how many, or -1. */
int heartbeat_reap(struct store *st, const struct config *cfg, struct strbuf *err);

#endif
