/*
 * Starting this program again as a child; see spawn.h.
 */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID */
#include "core/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>

extern char **environ;

pid_t spawn_self(char *const *argv, const struct spawn_io *io, struct strbuf *err)
{
	posix_spawn_file_actions_t files;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	pid_t pid = -1;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGCHLD);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	posix_spawn_file_actions_init(&files);
	if (io->stdin_fd >= 0)
		posix_spawn_file_actions_adddup2(&files, io->stdin_fd, 0);
	else
		posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
	if (io->close_fd >= 0)
		posix_spawn_file_actions_addclose(&files, io->close_fd);
	if (io->out_path)
		posix_spawn_file_actions_addopen(&files, 1, io->out_path, O_WRONLY | O_CREAT | O_APPEND,
						 0644);
	else
		posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&files, 1, 2);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
						(io->new_session ? POSIX_SPAWN_SETSID : 0));
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	int rc = posix_spawn(&pid, "/proc/self/exe", &files, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&files);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		strbuf_addf(err, "cannot start a ragops process: %s", strerror(rc));
		return -1;
	}
	return pid;
}
