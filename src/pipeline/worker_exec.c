/*
 * `ragops __worker KIND PID`: the kinds of worker process the binary can
 * be started as (worker_process.h).
 */
#include "pipeline/worker_exec.h"

#include "pipeline/ocr_worker.h"
#include "pipeline/parser_pool.h"

int worker_exec_main(int argc, char **argv)
{
	static const struct worker_kind *const kinds[] = { &parser_worker, &ocr_worker, NULL };
	return worker_process_exec_main(argc, argv, kinds);
}
