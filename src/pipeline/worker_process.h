/*
 * One isolated worker process: where MuPDF, gumbo, cmark, Leptonica and
 * Tesseract read bytes anyone can drop in an inbox, so that a bug in one
 * of them costs one document or one page, not the run.  The worker is the
 * ragops binary started again (`ragops __worker KIND PID`, its settings
 * sent over the socket), so any thread may start one; a program using
 * libragops forks instead (start them while it has no other thread).  It
 * is limited in memory (ingest.parser_memory) and in CPU time per request,
 * and denied the network; requests and replies are length-framed messages
 * over a socket pair, and what it writes on stderr is logged with its file.  A worker that crashes, runs out of memory or overruns its
 * time is reaped, the call fails with that reason, and the owner starts a
 * fresh one for the next request.
 */
#ifndef PIPELINE_WORKER_PROCESS_H
#define PIPELINE_WORKER_PROCESS_H

#include <sys/types.h>

#include "core/config.h"
#include "core/strbuf.h"

struct worker_process {
	const struct config *cfg;
	pid_t pid;          /* 0: not running */
	int fd;             /* our end of its socket */
	int err_fd;         /* its stderr, read by us (-1: none) */
	struct strbuf said; /* what it wrote there during the request */
	char file[512];     /* what it reads now, for the log */
	const char *stage;
};

/* The descriptor of a worker's socket, in the worker. */
#define WORKER_FD 3

/* What a worker does: serve requests on `fd` until it closes, then return. */
struct worker_kind {
	const char *name; /* on the command line of a started worker */
	void (*main)(int fd, const struct config *cfg);
	/* Or NULL; run before the limits: what the worker loads is not the document's to pay for. */
	void (*prepare)(void);
};

/* The ragops binary calls it once: its workers are started as new processes, not forked. */
void worker_process_use_exec(void);
/* main() of `ragops __worker KIND PID`: the worker of one of `kinds` (NULL-terminated). */
int worker_process_exec_main(int argc, char **argv, const struct worker_kind *const *kinds);

void worker_process_init(struct worker_process *wp, const struct config *cfg);
/* The file (and stage) the next requests are about: what the worker writes on stderr is logged with it. */
void worker_process_about(struct worker_process *wp, const char *file, const char *stage);
/* Start a worker of this kind; it exits when its loop returns or the run ends. */
int worker_process_start(struct worker_process *wp, const struct worker_kind *kind, struct strbuf *err);
/*
 * Whether it is running and can take a request: a worker that died
 * between requests (killed from outside) is reaped here, so that its
 * end is not blamed on the next file.
 */
int worker_process_running(struct worker_process *wp);

/*
 * Send `request` and wait for the reply.  `cpu_limit` seconds of CPU are
 * allowed for it (the worker enforces it; the wall clock waits twice that
 * plus 5 s), named `limit_key` in the reason when overrun.  On failure the
 * worker is gone, reaped, and `err` says why (a signal, memory, time).
 */
int worker_process_call(struct worker_process *wp, const struct strbuf *request, double cpu_limit,
			const char *limit_key, struct strbuf *reply, struct strbuf *err);
/* Close its socket (the worker exits) and reap it. */
void worker_process_stop(struct worker_process *wp);

/* --- the child's side ------------------------------------------------------ */

/* The next request, with its CPU budget; -1 when the socket closed. */
int worker_receive(int fd, struct strbuf *request, double *cpu_limit);
int worker_reply(int fd, const struct strbuf *reply);

/*
 * For the tests: RAGOPS_PARSER_FAULT=kind:name[,kind:name...] makes the
 * worker fail the way a parser bug would (segv, abort, oom, loop) while it
 * handles a file whose path contains `name`, or try the network (net: the
 * error says what socket() answered).  "kind@point:name" limits it to one
 * point ("extract", "page" for loading a page image, "recognise").
 */
void worker_fault(const char *point, const char *path, struct strbuf *err);

#endif
