/*
 * Starting a pipeline run from the server; see run_trigger.h.
 */
#include "serve/run_trigger.h"

#include "core/spawn.h"

pid_t run_trigger_spawn(char *const *argv, const char *log_path, struct strbuf *err)
{
	struct spawn_io io = { .stdin_fd = -1, .close_fd = -1, .out_path = log_path, .new_session = 1 };
	return spawn_self(argv, &io, err);
}
