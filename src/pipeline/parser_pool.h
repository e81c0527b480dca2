/*
 * Parsers in worker processes.  MuPDF, gumbo and cmark read bytes anyone
 * can drop in an inbox; a bug in one of them must cost one document, not
 * the run.  Each worker is a process of its own (worker_process.h) with a memory ceiling
 * (ingest.parser_memory), a CPU-time limit per document
 * (ingest.parser_timeout) and no network; a worker that crashes, runs out
 * of memory or overruns its time fails the document it held with that
 * reason, and a fresh one takes the next.
 */
#ifndef PIPELINE_PARSER_POOL_H
#define PIPELINE_PARSER_POOL_H

#include "core/config.h"
#include "core/strbuf.h"
#include "pipeline/detect.h"
#include "pipeline/document.h"
#include "pipeline/extract_source.h"
#include "pipeline/worker_process.h"

/* The worker that extracts documents. */
extern const struct worker_kind parser_worker;

struct parser_pool;

/* `nworkers` workers, each started on its first request. */
struct parser_pool *parser_pool_new(const struct config *cfg, int nworkers);
/*
 * Fork every worker not running, best effort.  Only while no other thread
 * of the run is inside a library: a child forked while another thread
 * holds a lock (an allocator's) can hang for ever on it.
 */
void parser_pool_start(struct parser_pool *pool);
/* Whether slot's worker is running (one killed between requests is reaped here). */
int parser_pool_ready(struct parser_pool *pool, int slot);
/* Stops the workers (they exit when their socket closes). */
void parser_pool_free(struct parser_pool *pool);

/*
 * extract_document (extract.h), in worker `slot` (0 to nworkers - 1).
 * Calls on different slots may run at once, one thread a slot, on slots
 * that are ready: a slot not ready is started here, which only a run
 * with no other thread may do (see parser_pool_start).
 */
int parser_pool_extract(struct parser_pool *pool, int slot, const struct doc_source *src,
			enum doc_type *type, struct extracted *out, struct strbuf *err);
/* extract_source_pages (extract_source.h) in worker `slot`, as above. */
struct pdf_part;
int parser_pool_extract_pages(struct parser_pool *pool, int slot, const struct doc_source *src,
			      int first, int limit, enum doc_type *type, struct extracted *out,
			      struct pdf_part *part, struct strbuf *err);

#endif
