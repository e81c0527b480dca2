/*
 * See page_reader.h.  The local reader does the work; the isolated one
 * asks a worker process that runs a local reader (ocr_worker.h).
 */
#include "pipeline/page_reader.h"

#include <unistd.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/ocr_worker.h"

/*
 * Loading a Tesseract model takes about 0.4 s: it loads on a thread of
 * its own while the first page renders, and is waited for only when there
 * is a page to recognise.
 */
struct engine_loading {
	pthread_t thread;
	int started;
	const struct config *cfg;
	struct ocr_engine *engine;
	struct strbuf err;
};

struct page_reader {
	const struct config *cfg;
	int isolated;
	/* local */
	struct page_loader *loader;
	struct ocr_engine *engine;
	struct engine_loading loading;
	struct page_image img;
	int holding; /* img is a loaded page */
	/* isolated */
	struct worker_process worker;
};

size_t ocr_visible_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s != ' ' && *s != '\n' && ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

int ocr_result_is_weak(const struct config *cfg, const struct ocr_result *r)
{
	return r->confidence < cfg->ocr.min_confidence ||
	       ocr_visible_chars(r->text) < cfg->ocr.min_chars;
}

struct page_reader *page_reader_new_local(const struct config *cfg, struct page_loader_pool *pool)
{
	struct page_reader *r = xcalloc(1, sizeof(*r));
	r->cfg = cfg;
	r->loader = page_loader_new(pool);
	strbuf_init(&r->loading.err, 0);
	return r;
}

struct page_reader *page_reader_new_isolated(const struct config *cfg)
{
	struct page_reader *r = xcalloc(1, sizeof(*r));
	r->cfg = cfg;
	r->isolated = 1;
	worker_process_init(&r->worker, cfg);
	strbuf_init(&r->loading.err, 0);
	return r;
}

static void *load_engine(void *arg)
{
	struct engine_loading *l = arg;
	l->engine = ocr_engine_new(l->cfg->ocr.tessdata, l->cfg->ocr.languages, &l->err);
	return NULL;
}

/* The model, loaded by now or waited for; NULL with the reason when it cannot load. */
static struct ocr_engine *engine(struct page_reader *r, struct strbuf *err)
{
	struct engine_loading *l = &r->loading;
	if (!r->engine && l->started) {
		pthread_join(l->thread, NULL);
		l->started = 0;
		r->engine = l->engine;
		if (!r->engine)
			strbuf_add(err, l->err.buf, l->err.len);
		return r->engine;
	}
	if (!r->engine)
		r->engine = ocr_engine_new(r->cfg->ocr.tessdata, r->cfg->ocr.languages, err);
	return r->engine;
}

void page_reader_free(struct page_reader *r)
{
	if (!r)
		return;
	if (r->loading.started) {
		pthread_join(r->loading.thread, NULL);
		ocr_engine_free(r->loading.engine);
	}
	strbuf_release(&r->loading.err);
	page_reader_drop(r);
	ocr_engine_free(r->engine);
	page_loader_free(r->loader);
	worker_process_stop(&r->worker);
	free(r);
}

int page_reader_start(struct page_reader *r, struct strbuf *err)
{
	if (r->isolated)
		return worker_process_running(&r->worker)
			       ? 0
			       : worker_process_start(&r->worker, &ocr_worker, err);
	if (!r->engine && !r->loading.started) {
		r->loading.cfg = r->cfg;
		r->loading.started = pthread_create(&r->loading.thread, NULL, load_engine,
						    &r->loading) == 0;
	}
	return 0;
}

int page_reader_ready(struct page_reader *r)
{
	return !r->isolated || worker_process_running(&r->worker);
}

int page_reader_load(struct page_reader *r, const struct doc_source *src, enum doc_type type,
		     int page_no, int *dpi, char hash[SHA256_HEX_LEN + 1], struct strbuf *err)
{
	if (r->isolated)
		return ocr_worker_load(&r->worker, src, type, page_no, dpi, hash, err);
	page_reader_drop(r);
	/* Through the descriptor checked against the stamp: never another file's pages. */
	int fd = doc_source_open(src, err);
	if (fd < 0)
		return -1;
	char fd_path[DOC_SOURCE_FD_PATH];
	doc_source_fd_path(fd, fd_path);
	size_t from = err->len;
	int rc = page_image_load(r->loader, fd_path, type, page_no, r->cfg, &r->img, err);
	doc_source_name_in(err, from, fd_path, src->path);
	close(fd);
	if (rc)
		return -1;
	r->holding = 1;
	*dpi = r->img.dpi;
	memcpy(hash, r->img.hash, SHA256_HEX_LEN + 1);
	return 0;
}

void page_reader_drop(struct page_reader *r)
{
	if (r->isolated) {
		ocr_worker_drop(&r->worker);
		return;
	}
	if (r->holding)
		page_image_release(&r->img);
	r->holding = 0;
}

/* Recognise, and retry a weak page once: upright if it is turned, else as one block. */
static int recognise(const struct config *cfg, struct ocr_engine *e, struct page_image *img,
		     struct ocr_result *out, struct strbuf *err)
{
	double budget = cfg->ocr.page_timeout, t0 = time_mono();
	if (ocr_engine_read(e, img, OCR_PSM_AUTO, cfg->ocr.low_word_confidence, budget, out, err))
		return -1;
	if (!out->words || !ocr_result_is_weak(cfg, out))
		return 0;
	struct ocr_result second;
	struct strbuf err2 = STRBUF_INIT;
	int rotation = page_image_upright_rotation(img);
	if (rotation)
		page_image_rotate(img, rotation);
	double left = budget - (time_mono() - t0);
	int rc = left > 0 ? ocr_engine_read(e, img, rotation ? OCR_PSM_AUTO : OCR_PSM_SINGLE_BLOCK,
					    cfg->ocr.low_word_confidence, left, &second, &err2)
			  : -1;
	if (rc == 0 && second.confidence > out->confidence) {
		second.seconds += out->seconds;
		second.rotation = rotation;
		ocr_result_release(out);
		*out = second;
	} else if (rc == 0) {
		out->seconds += second.seconds;
		ocr_result_release(&second);
	}
	strbuf_release(&err2);
	return 0;
}

int page_reader_recognise(struct page_reader *r, struct ocr_result *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	if (r->isolated)
		return ocr_worker_recognise(&r->worker, out, err);
	if (!r->holding) {
		strbuf_addstr(err, "no page loaded");
		return -1;
	}
	struct ocr_engine *e = engine(r, err);
	int rc = e ? recognise(r->cfg, e, &r->img, out, err) : -1;
	page_reader_drop(r);
	return rc;
}
