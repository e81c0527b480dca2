/*
 * The entry point of a worker process started by ragops itself: main()
 * hands it `ragops __worker KIND PID` before anything else.
 */
#ifndef PIPELINE_WORKER_EXEC_H
#define PIPELINE_WORKER_EXEC_H

#define WORKER_COMMAND "__worker"

int worker_exec_main(int argc, char **argv);

#endif
