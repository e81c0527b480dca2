/*
 * Starting this program again as a child (/proc/self/exe): for the runs a
 * server starts and the notifier.  The child gets SIGINT, SIGTERM, SIGPIPE
 * and SIGCHLD back to their defaults and no signal blocked, whatever the
 * parent set up for itself.
 */
#ifndef CORE_SPAWN_H
#define CORE_SPAWN_H

#include <sys/types.h>

#include "core/strbuf.h"

struct spawn_io {
	int stdin_fd;         /* the child's stdin; -1: /dev/null */
	int close_fd;         /* a descriptor the child must not keep (a pipe's other end); -1: none */
	const char *out_path; /* stdout and stderr appended there; NULL: /dev/null */
	int new_session;      /* setsid: a server stopping, or a terminal's Ctrl-C, leaves it be */
};

/* Start argv (argv[0] names it; /proc/self/exe is run); its pid, or -1 with the reason. */
pid_t spawn_self(char *const *argv, const struct spawn_io *io, struct strbuf *err);

#endif
