/*
 * `ragops __worker KIND PID`: the kinds of worker process the binary can
 * be started as (worker_process.h).
 */
#include "pipeline/worker_exec.h"

#include <signal.h>

#include "pipeline/ocr_worker.h"
#include "pipeline/parser_pool.h"

int worker_exec_main(int argc, char **argv)
{
	static const struct worker_kind *const kinds[] = { &parser_worker, &ocr_worker, NULL };
	/*
	 * Ctrl-C reaches the terminal's whole process group: the run decides
	 * how to stop (its documents in flight finish), and a worker it
	 * leaves sees its pipe close.
	 */
	signal(SIGINT, SIG_IGN);
	return worker_process_exec_main(argc, argv, kinds);
}
