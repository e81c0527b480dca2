/*
 * POST /api/runs starts `ragops run`, and POST /api/retrain `ragops retrain
 * run`, as a child process of its own session: the job keeps its own log,
 * threads and memory, and a server stopping does not stop it.
 */
#ifndef SERVE_RUN_TRIGGER_H
#define SERVE_RUN_TRIGGER_H

#include <sys/types.h>

#include "core/strbuf.h"

/*
 * Start argv (argv[0] is run as /proc/self/exe) with stdout and stderr
 * appended to `log_path`; the child is reaped by the system.  The pid, or
 * -1 with the reason.
 */
pid_t run_trigger_spawn(char *const *argv, const char *log_path, struct strbuf *err);

#endif
