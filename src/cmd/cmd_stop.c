/*
 * Stopping a run by signal; see cmd_catch_stop_signals in cmd.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "pipeline/run.h"

static int stop_pipe[2] = { -1, -1 };
static const char *stop_message; /* said instead of the run's (cmd_stop_says) */

void cmd_stop_says(const char *message)
{
	stop_message = message;
}
static volatile sig_atomic_t signals_seen;

/* Any thread may take it (OpenBLAS's too): only async-signal-safe calls. */
static void on_stop_signal(int sig)
{
	int saved = errno;
	if (signals_seen++) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	pipeline_request_stop();
	static const char msg[] = "\nragops: stopping once the documents in flight are done; the "
				  "run ends cancelled (a second signal stops at once)\n";
	static const char late[] = "\nragops: the run is past its documents: it finishes its release "
				   "first (a second signal stops at once)\n";
	if (stop_message)
		(void)!write(STDERR_FILENO, stop_message, strlen(stop_message));
	else if (pipeline_stop_too_late())
		(void)!write(STDERR_FILENO, late, sizeof(late) - 1);
	else
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)!write(stop_pipe[1], "x", 1);
	errno = saved;
}

int cmd_catch_stop_signals(void)
{
	if (stop_pipe[0] < 0) {
		if (pipe(stop_pipe))
			return -1;
		for (int i = 0; i < 2; i++)
			if (fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC) ||
			    fcntl(stop_pipe[i], F_SETFL, O_NONBLOCK))
				return -1;
	}
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -1;
	return 0;
}

int cmd_stop_fd(void)
{
	return stop_pipe[0];
}
