/*
 * The inbox watcher of `ragops serve` (watch.serve: true): a thread that
 * watches the inbox folders as `ragops run --watch` does
 * (pipeline/watch.h) and, after each batch of changes, starts a run as
 * POST /api/runs does (`ragops run --trigger watch`, a process of its own,
 * output in logs/runs-started-by-watcher.log).  While another run or a
 * retraining holds the data folder the batch waits and is tried again.
 */
#ifndef SERVE_INBOX_WATCHER_H
#define SERVE_INBOX_WATCHER_H

struct server;

/* Start it when watch.serve is true and the server can start runs; 0, or -1 (logged). */
int inbox_watcher_start(struct server *srv);
/* Stop it and wait for the thread; a run it started goes on.  Fine when not started. */
void inbox_watcher_stop(struct server *srv);

#endif
