/*
 * See ocr_worker.h.
 */
#include "pipeline/ocr_worker.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/wire.h"
#include "core/xalloc.h"
#include "pipeline/document_wire.h"
#include "pipeline/ocr_libs.h"
#include "pipeline/page_image.h"
#include "pipeline/page_reader.h"

enum ocr_op { OP_LOAD = 1, OP_RECOGNISE, OP_DROP };

/* --- in the worker -------------------------------------------------------- */

struct worker_state {
	const struct config *cfg;
	struct page_reader *reader;
	char *path; /* of the page held, for RAGOPS_PARSER_FAULT */
};

static void handle_load(struct worker_state *w, struct wire_reader *in, struct strbuf *reply)
{
	enum doc_type type = (enum doc_type)wire_get_u32(in);
	int page_no = (int)wire_get_u32(in);
	char *path = wire_get_strdup(in), *root = wire_get_strdup(in), *rel = wire_get_strdup(in);
	struct doc_source src = { path, root, rel, { 0 } };
	wire_get_stamp(in, &src.stamp);
	struct strbuf err = STRBUF_INIT;
	char hash[SHA256_HEX_LEN + 1] = "";
	int dpi = 0, rc = -1;
	if (!wire_done(in) || !path || !root || !rel) {
		strbuf_addstr(&err, "damaged request");
	} else {
		free(w->path);
		w->path = xstrdup(path);
		worker_fault("page", path, &err);
		if (!err.len)
			rc = page_reader_load(w->reader, &src, type, page_no, &dpi, hash, &err);
	}
	wire_put_u32(reply, (uint32_t)rc);
	if (rc) {
		wire_put_str(reply, err.buf);
	} else {
		wire_put_u32(reply, (uint32_t)dpi);
		wire_put_str(reply, hash);
	}
	strbuf_release(&err);
	free(path);
	free(root);
	free(rel);
}

static void handle_recognise(struct worker_state *w, struct strbuf *reply)
{
	struct strbuf err = STRBUF_INIT;
	struct ocr_result result;
	char *json = NULL;
	int rc = -1;
	worker_fault("recognise", w->path ? w->path : "", &err);
	if (!err.len && !page_reader_recognise(w->reader, &result, &err)) {
		json = ocr_result_to_json(&result, 0, 0);
		ocr_result_release(&result);
		rc = json ? 0 : -1;
		if (!json)
			strbuf_addstr(&err, "Tesseract's text could not be encoded");
	}
	wire_put_u32(reply, (uint32_t)rc);
	wire_put_str(reply, rc ? err.buf : json);
	free(json);
	strbuf_release(&err);
}

static void ocr_worker_main(int fd, const struct config *cfg)
{
	struct page_loader_pool *pool = page_loader_pool_new();
	struct worker_state w = { .cfg = cfg, .reader = page_reader_new_local(cfg, pool) };
	struct strbuf request = STRBUF_INIT, reply = STRBUF_INIT, err = STRBUF_INIT;
	page_reader_start(w.reader, &err); /* the model loads while the first page renders */
	double cpu_limit;
	while (!worker_receive(fd, &request, &cpu_limit)) {
		struct wire_reader in = WIRE_READER(request.buf, request.len);
		enum ocr_op op = (enum ocr_op)wire_get_u32(&in);
		strbuf_reset(&reply);
		if (op == OP_LOAD) {
			handle_load(&w, &in, &reply);
		} else if (op == OP_RECOGNISE) {
			handle_recognise(&w, &reply);
		} else if (op == OP_DROP) {
			page_reader_drop(w.reader);
			wire_put_u32(&reply, 0);
		} else {
			break;
		}
		if (worker_reply(fd, &reply))
			break;
	}
	strbuf_release(&request);
	strbuf_release(&reply);
	strbuf_release(&err);
	free(w.path);
	page_reader_free(w.reader);
	page_loader_pool_free(pool);
}

/* Tesseract and Leptonica (~60 MB of mappings) outside ingest.parser_memory; a failure is each page's to report. */
static void load_ocr_libs(void)
{
	struct strbuf ignored = STRBUF_INIT;
	ocr_libs_load(&ignored);
	strbuf_release(&ignored);
}

const struct worker_kind ocr_worker = { "ocr", ocr_worker_main, load_ocr_libs };

/* --- in the run ----------------------------------------------------------- */

/*
 * Loading stops at ingest.parser_timeout of CPU; recognising has
 * ocr.page_timeout besides (Tesseract is stopped then) for the model's
 * loading and the retry.
 */
static int call(struct worker_process *wp, const struct strbuf *request, int recognising,
		struct strbuf *reply, struct strbuf *err)
{
	const struct config *cfg = wp->cfg;
	if (recognising)
		return worker_process_call(wp, request,
					   cfg->ingest.parser_timeout + cfg->ocr.page_timeout,
					   "ingest.parser_timeout + ocr.page_timeout", reply, err);
	return worker_process_call(wp, request, cfg->ingest.parser_timeout, "ingest.parser_timeout",
				   reply, err);
}

/* The reply's code; its reason into err when not 0. */
static int reply_code(struct wire_reader *in, struct strbuf *err)
{
	int rc = (int)wire_get_u32(in);
	if (rc) {
		size_t len;
		const char *msg = wire_get_str(in, &len);
		if (msg)
			strbuf_add(err, msg, len);
		else
			strbuf_addstr(err, "the OCR worker failed and sent no reason");
	}
	return rc;
}

int ocr_worker_load(struct worker_process *wp, const struct doc_source *src, enum doc_type type,
		    int page_no, int *dpi, char hash[SHA256_HEX_LEN + 1], struct strbuf *err)
{
	struct strbuf request = STRBUF_INIT, reply = STRBUF_INIT;
	wire_put_u32(&request, OP_LOAD);
	wire_put_u32(&request, (uint32_t)type);
	wire_put_u32(&request, (uint32_t)page_no);
	wire_put_str(&request, src->path);
	wire_put_str(&request, src->root);
	wire_put_str(&request, src->rel);
	wire_put_stamp(&request, &src->stamp);
	worker_process_about(wp, src->path, "ocr");
	int rc = call(wp, &request, 0, &reply, err);
	if (!rc) {
		struct wire_reader in = WIRE_READER(reply.buf, reply.len);
		rc = reply_code(&in, err);
		if (!rc) {
			size_t len;
			*dpi = (int)wire_get_u32(&in);
			const char *h = wire_get_str(&in, &len);
			if (!wire_done(&in) || !h || len != SHA256_HEX_LEN) {
				strbuf_addstr(err, "the OCR worker sent a damaged message");
				rc = -1;
			} else {
				memcpy(hash, h, SHA256_HEX_LEN);
				hash[SHA256_HEX_LEN] = '\0';
			}
		}
	}
	strbuf_release(&request);
	strbuf_release(&reply);
	return rc;
}

int ocr_worker_recognise(struct worker_process *wp, struct ocr_result *out, struct strbuf *err)
{
	struct strbuf request = STRBUF_INIT, reply = STRBUF_INIT;
	wire_put_u32(&request, OP_RECOGNISE);
	int rc = call(wp, &request, 1, &reply, err);
	if (!rc) {
		struct wire_reader in = WIRE_READER(reply.buf, reply.len);
		rc = reply_code(&in, err);
		if (!rc) {
			int flagged;
			char *json = wire_get_strdup(&in);
			if (!wire_done(&in) || !json || ocr_result_from_json(json, out, &flagged)) {
				strbuf_addstr(err, "the OCR worker sent a damaged message");
				rc = -1;
			}
			free(json);
		}
	}
	strbuf_release(&request);
	strbuf_release(&reply);
	return rc;
}

void ocr_worker_drop(struct worker_process *wp)
{
	if (!worker_process_running(wp))
		return;
	struct strbuf request = STRBUF_INIT, reply = STRBUF_INIT, err = STRBUF_INIT;
	wire_put_u32(&request, OP_DROP);
	call(wp, &request, 0, &reply, &err); /* a lost worker held nothing more */
	strbuf_release(&request);
	strbuf_release(&reply);
	strbuf_release(&err);
}
