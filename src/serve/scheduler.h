/*
 * The deployments' scheduler, a thread of `ragops serve`: it starts each
 * deployment's runs on time (as `ragops deployment run NAME`, a process of
 * its own), records the times it skips and why, and applies the missed
 * and overlap policies.  Several servers on one data folder share the
 * work: a scheduled time is claimed in the store before it is run.
 */
#ifndef SERVE_SCHEDULER_H
#define SERVE_SCHEDULER_H

struct server;

/*
 * Start the thread when the server can start runs: it runs the
 * deployments when flow.scheduler is true, and in any case the
 * housekeeping (runs that stopped beating are crashed; retention once a
 * day).  0, or -1 (logged).
 */
int scheduler_start(struct server *srv);
/* Whether it starts the deployments' runs (flow.scheduler). */
int scheduler_runs_deployments(const struct server *srv);
/*
 * `ragops ... deployment run NAME [--scheduled-for MS]` with the server's
 * configuration (free the array, not its strings); needs commands.deployment.
 */
char **scheduler_command(const struct server *srv, const char *name, const char *scheduled_for);
/* Stop it and wait for the thread; runs already started go on.  Fine when not started. */
void scheduler_stop(struct server *srv);

#endif
