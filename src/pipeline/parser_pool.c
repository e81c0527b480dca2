/*
 * See parser_pool.h.  A worker is forked on its slot's first request and
 * kept for the run: the cost of fork and of a MuPDF context is paid once a
 * worker, not once a document.  A request is the document's source (its
 * path, where to open it and its stamp: extract_source.h); the reply, the
 * type found and the wire-encoded result (document_wire.h).
 */
#include "pipeline/parser_pool.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/wire.h"
#include "core/xalloc.h"
#include "pipeline/document_wire.h"
#include "pipeline/extract.h"
#include "pipeline/extract_source.h"
#include "pipeline/pdf_part.h"
#include "pipeline/worker_process.h"

struct parser_pool {
	const struct config *cfg;
	struct worker_process *workers;
	int nworkers;
};

/*
 * A request: the document's source, then the pages wanted of a PDF (first,
 * limit, and 1 when they are wanted as a part).  The reply: the type, 1
 * when a part follows (its outcome, then the part or why not), else the
 * extracted document.
 */
static void extract_worker_main(int fd, const struct config *cfg)
{
	struct extractor *ex = extractor_new(cfg);
	struct strbuf request = STRBUF_INIT, reply = STRBUF_INIT, err = STRBUF_INIT;
	double cpu_limit;
	while (!worker_receive(fd, &request, &cpu_limit)) {
		struct wire_reader r = WIRE_READER(request.buf, request.len);
		char *path = wire_get_strdup(&r), *root = wire_get_strdup(&r),
		     *rel = wire_get_strdup(&r);
		struct doc_source src = { path, root, rel, { 0 } };
		wire_get_stamp(&r, &src.stamp);
		int first = (int)wire_get_u32(&r), limit = (int)wire_get_u32(&r);
		int want_part = (int)wire_get_u32(&r);
		if (!wire_done(&r) || !path || !root || !rel) {
			free(path);
			free(root);
			free(rel);
			break;
		}
		struct extracted doc = { 0 };
		struct pdf_part part = { 0 };
		enum doc_type type = TYPE_BINARY;
		strbuf_reset(&err);
		strbuf_reset(&reply);
		worker_fault("extract", path, &err);
		int rc = err.len ? -1
				 : extract_source_pages(ex, &src, first, limit, &type, &doc,
							want_part ? &part : NULL, &err);
		int in_part = want_part && type == TYPE_PDF;
		wire_put_u32(&reply, (uint32_t)type);
		wire_put_u32(&reply, (uint32_t)in_part);
		if (!in_part) {
			wire_put_extracted(&reply, rc, &doc, err.buf);
		} else {
			wire_put_u32(&reply, (uint32_t)rc);
			if (rc)
				wire_put_str(&reply, err.buf);
			else
				wire_put_pdf_part(&reply, &part);
		}
		extracted_release(&doc);
		pdf_part_release(&part);
		free(path);
		free(root);
		free(rel);
		if (worker_reply(fd, &reply))
			break;
	}
	strbuf_release(&request);
	strbuf_release(&reply);
	strbuf_release(&err);
	extractor_free(ex);
}

const struct worker_kind parser_worker = { "parse", extract_worker_main, NULL };

struct parser_pool *parser_pool_new(const struct config *cfg, int nworkers)
{
	struct parser_pool *pool = xcalloc(1, sizeof(*pool));
	pool->cfg = cfg;
	pool->nworkers = nworkers > 0 ? nworkers : 1;
	pool->workers = xcalloc((size_t)pool->nworkers, sizeof(*pool->workers));
	for (int i = 0; i < pool->nworkers; i++)
		worker_process_init(&pool->workers[i], cfg);
	return pool;
}

void parser_pool_start(struct parser_pool *pool)
{
	struct strbuf err = STRBUF_INIT;
	for (int i = 0; i < pool->nworkers; i++)
		if (!worker_process_running(&pool->workers[i]))
			worker_process_start(&pool->workers[i], &parser_worker, &err);
	strbuf_release(&err);
}

int parser_pool_ready(struct parser_pool *pool, int slot)
{
	return worker_process_running(&pool->workers[slot]);
}

/* The reply's part, or why there is none. */
static int read_part(struct wire_reader *r, struct pdf_part *part, struct strbuf *err)
{
	int rc = (int)wire_get_u32(r);
	if (!r->bad && rc) {
		size_t n;
		const char *msg = wire_get_str(r, &n);
		if (msg)
			strbuf_add(err, msg, n);
		return r->bad || !wire_done(r) ? -2 : -1;
	}
	if (r->bad || wire_get_pdf_part(r, part) || !wire_done(r)) {
		pdf_part_release(part);
		return -2;
	}
	return 0;
}

int parser_pool_extract_pages(struct parser_pool *pool, int slot, const struct doc_source *src,
			      int first, int limit, enum doc_type *type, struct extracted *out,
			      struct pdf_part *part, struct strbuf *err)
{
	struct worker_process *worker = &pool->workers[slot];
	struct strbuf request = STRBUF_INIT, reply = STRBUF_INIT;
	wire_put_str(&request, src->path);
	wire_put_str(&request, src->root);
	wire_put_str(&request, src->rel);
	wire_put_stamp(&request, &src->stamp);
	wire_put_u32(&request, (uint32_t)first);
	wire_put_u32(&request, (uint32_t)limit);
	wire_put_u32(&request, part != NULL);
	int rc = -1;
	if (!worker_process_running(worker) && worker_process_start(worker, &parser_worker, err))
		goto out;
	worker_process_about(worker, src->path, "extract");
	rc = worker_process_call(worker, &request, pool->cfg->ingest.parser_timeout,
				 "ingest.parser_timeout", &reply, err);
	if (!rc) {
		struct wire_reader r = WIRE_READER(reply.buf, reply.len);
		*type = (enum doc_type)wire_get_u32(&r);
		int in_part = (int)wire_get_u32(&r);
		if (r.bad || (in_part && !part))
			rc = -2;
		else if (in_part)
			rc = read_part(&r, part, err);
		else
			rc = wire_get_extracted(r.p, (size_t)(r.end - r.p), out, err);
		if (rc == -2) {
			strbuf_reset(err);
			strbuf_addstr(err, "the parser worker's reply is damaged");
			rc = -1;
		}
	}
out:
	strbuf_release(&request);
	strbuf_release(&reply);
	return rc;
}

int parser_pool_extract(struct parser_pool *pool, int slot, const struct doc_source *src,
			enum doc_type *type, struct extracted *out, struct strbuf *err)
{
	return parser_pool_extract_pages(pool, slot, src, 0, 0, type, out, NULL, err);
}

void parser_pool_free(struct parser_pool *pool)
{
	if (!pool)
		return;
	for (int i = 0; i < pool->nworkers; i++)
		worker_process_stop(&pool->workers[i]);
	free(pool->workers);
	free(pool);
}
