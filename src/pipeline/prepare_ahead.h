/*
 * Files prepared (detected, extracted, cleaned, chunked: process_prepare)
 * on several threads, each with its own parser worker, ahead of the one
 * thread that takes them in their order and writes them to the store.
 * The order is the list's whatever the threads' speeds, so a run saves
 * the same documents in the same order with one thread or eight.  At most
 * a window of files is prepared and not yet taken, to bound memory.
 */
#ifndef PIPELINE_PREPARE_AHEAD_H
#define PIPELINE_PREPARE_AHEAD_H

#include "core/config.h"
#include "pipeline/flow.h"

struct prepare_ahead;

/*
 * Start preparing `files[0..n)` (p->f set, the rest zero) on `nthreads`
 * threads: with parser workers from `pool`, or in this process when
 * `pool` is NULL (then on one thread: MuPDF contexts made apart from one
 * another must not run at once).
 */
struct prepare_ahead *prepare_ahead_start(const struct config *cfg, struct parser_pool *pool,
					  int nthreads, struct prepared *files, size_t n);
/* Wait until file `i` is prepared (take them in order, each once) and return it. */
struct prepared *prepare_ahead_take(struct prepare_ahead *pa, size_t i);
/* Whether taking file `i` would return at once: prepared by a thread (not by the taker itself). */
int prepare_ahead_ready(struct prepare_ahead *pa, size_t i);
/*
 * Let no thread start a file, and wait until none is preparing one; then
 * resume.  For the taker, around work that forks (OCR workers).  NULL: nothing.
 */
void prepare_ahead_pause(struct prepare_ahead *pa);
void prepare_ahead_resume(struct prepare_ahead *pa);
/* Stop the threads (what was not taken is released) and free. */
void prepare_ahead_finish(struct prepare_ahead *pa);

#endif
