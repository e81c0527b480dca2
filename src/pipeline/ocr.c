/*
 * The OCR stage; see ocr.h.
 */
#include "pipeline/ocr.h"

#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/clean.h"
#include "pipeline/ocr_engine.h"
#include "pipeline/page_image.h"

/*
 * Loading a Tesseract model takes about 0.4 s.  Each worker's model loads
 * on a thread of its own while the worker renders its first page, and the
 * worker waits for it only when it has a page to read.
 */
struct engine_loading {
	pthread_t thread;
	int started;
	const struct config *cfg;
	struct ocr_engine *engine;
	struct strbuf err;
};

struct ocr_stage {
	const struct config *cfg;
	struct store *st;
	pthread_mutex_t lock;	/* the store connection and the progress callback */
	ocr_page_done_fn on_page;
	void *on_page_ctx;
	int nthreads;
	struct page_loader_pool *pool;
	struct page_loader **loaders;
	struct ocr_engine **engines; /* created on first use: loading models takes time */
	struct engine_loading *loading; /* per thread: the model loading under way */
	char *settings;		/* what besides the image decides the result */
};

enum job_state { JOB_DONE, JOB_CACHED, JOB_FAILED };

struct page_job {
	size_t doc;		/* index in the batch */
	int page_no;
	enum job_state state;
	struct ocr_result result;
	char key[SHA256_HEX_LEN + 1];
	int dpi, flagged;
	struct strbuf error;
};

struct doc_work {
	struct ocr_stage *stage;
	struct ocr_input *docs;
	struct page_job *jobs;
	size_t njobs, next;
	pthread_mutex_t next_lock;
};

struct ocr_stage *ocr_stage_new(const struct config *cfg, struct store *st,
				ocr_page_done_fn on_page, void *ctx)
{
	struct ocr_stage *s = xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	s->st = st;
	s->on_page = on_page;
	s->on_page_ctx = ctx;
	pthread_mutex_init(&s->lock, NULL);
	s->nthreads = ocr_thread_count(cfg);
	/*
	 * Tesseract allocates and frees buffers of several megabytes for every
	 * page; with glibc's defaults each is a fresh mmap and page faults,
	 * which two threads pay for together (sys time 0.6 -> 1.0 s on 10
	 * pages).  Keep such blocks in the heap and reuse them.
	 */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	s->settings = xasprintf("engine=%s;languages=%s;dpi=%u;image_dpi=%u;strategy=%d;"
				"min_confidence=%g;min_chars=%u;low_word=%g",
				ocr_engine_version(), cfg->ocr.languages, cfg->ocr.dpi,
				cfg->ocr.image_dpi, OCR_STRATEGY_VERSION, cfg->ocr.min_confidence,
				cfg->ocr.min_chars, cfg->ocr.low_word_confidence);
	s->loaders = xcalloc((size_t)s->nthreads, sizeof(*s->loaders));
	s->engines = xcalloc((size_t)s->nthreads, sizeof(*s->engines));
	s->loading = xcalloc((size_t)s->nthreads, sizeof(*s->loading));
	return s;
}

void ocr_stage_free(struct ocr_stage *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nthreads; i++) {
		if (s->loading[i].started) {
			pthread_join(s->loading[i].thread, NULL);
			ocr_engine_free(s->loading[i].engine);
			strbuf_release(&s->loading[i].err);
		}
		page_loader_free(s->loaders[i]);
		ocr_engine_free(s->engines[i]);
	}
	free(s->loading);
	free(s->loaders);
	free(s->engines);
	page_loader_pool_free(s->pool);
	pthread_mutex_destroy(&s->lock);
	free(s->settings);
	free(s);
}

int ocr_thread_count(const struct config *cfg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cfg->ocr.threads ? (int)cfg->ocr.threads : (int)(cores > 0 ? cores : 1);
}

static int wants_ocr(const struct config *cfg, const struct page_record *p)
{
	if (!strcmp(cfg->ocr.mode, "skip"))
		return 0;
	if (!strcmp(cfg->ocr.mode, "force"))
		return p->method == PAGE_TEXT || p->method == PAGE_NEEDS_OCR || p->method == PAGE_EMPTY;
	return p->method == PAGE_NEEDS_OCR;
}

int ocr_pages_wanted(const struct config *cfg, const struct extracted *doc)
{
	int n = 0;
	for (size_t i = 0; i < doc->npages; i++)
		n += wants_ocr(cfg, &doc->pages[i]);
	return n;
}

static size_t count_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s != ' ' && *s != '\n' && ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int is_weak(const struct ocr_stage *s, const struct ocr_result *r)
{
	return r->confidence < s->cfg->ocr.min_confidence ||
	       count_chars(r->text) < s->cfg->ocr.min_chars;
}

/* --- results as JSON (the cache's format) -------------------------------- */

static char *result_to_json(const struct ocr_result *r, int dpi, int flagged)
{
	json_t *lines = json_array(), *low = json_array();
	for (size_t i = 0; i < r->nlines; i++) {
		const struct ocr_line *l = &r->lines[i];
		json_array_append_new(lines, json_pack("[I, I, i, f, i]", (json_int_t)l->start,
						       (json_int_t)l->end, l->para,
						       (double)l->confidence, l->height));
	}
	for (size_t i = 0; i < r->nlow; i++)
		json_array_append_new(low, json_pack("[I, I, f]", (json_int_t)r->low[i].start,
						     (json_int_t)r->low[i].end,
						     (double)r->low[i].confidence));
	json_t *j = json_pack("{s:s, s:o, s:o, s:i, s:f, s:i, s:i, s:f, s:i, s:i}",
			      "text", r->text, "lines", lines, "low", low, "words", r->words,
			      "confidence", (double)r->confidence, "psm", r->psm,
			      "rotation", r->rotation, "seconds", r->seconds, "dpi", dpi,
			      "flagged", flagged);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

static int result_from_json(const char *text, struct ocr_result *r, int *flagged)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr), *lines, *low;
	const char *t;
	double conf, secs;
	int dpi;
	memset(r, 0, sizeof(*r));
	if (!j || json_unpack(j, "{s:s, s:o, s:o, s:i, s:F, s:i, s:i, s:F, s:i, s:i}", "text", &t,
			      "lines", &lines, "low", &low, "words", &r->words, "confidence", &conf,
			      "psm", &r->psm, "rotation", &r->rotation, "seconds", &secs, "dpi", &dpi,
			      "flagged", flagged)) {
		json_decref(j);
		return -1;
	}
	r->text = xstrdup(t);
	r->confidence = (float)conf;
	r->seconds = secs;
	size_t textlen = strlen(r->text);
	r->nlines = json_array_size(lines);
	r->lines = xcalloc(r->nlines + 1, sizeof(*r->lines));
	for (size_t i = 0; i < r->nlines; i++) {
		json_int_t a = 0, b = 0;
		double c = 0;
		struct ocr_line *l = &r->lines[i];
		json_unpack(json_array_get(lines, i), "[I, I, i, F, i]", &a, &b, &l->para, &c, &l->height);
		l->start = (size_t)a <= textlen ? (size_t)a : textlen;
		l->end = (size_t)b <= textlen && b >= a ? (size_t)b : l->start;
		l->confidence = (float)c;
	}
	r->nlow = json_array_size(low);
	r->low = xcalloc(r->nlow + 1, sizeof(*r->low));
	for (size_t i = 0; i < r->nlow; i++) {
		json_int_t a = 0, b = 0;
		double c = 0;
		json_unpack(json_array_get(low, i), "[I, I, F]", &a, &b, &c);
		r->low[i].start = (size_t)a <= textlen ? (size_t)a : textlen;
		r->low[i].end = (size_t)b <= textlen && b >= a ? (size_t)b : r->low[i].start;
		r->low[i].confidence = (float)c;
	}
	json_decref(j);
	return 0;
}

int ocr_result_render(const char *result_json, const char *mark_open, const char *mark_close,
		      struct strbuf *out, struct strbuf *err)
{
	struct ocr_result r;
	int flagged;
	if (result_from_json(result_json, &r, &flagged)) {
		strbuf_addstr(err, "the cached OCR result is unreadable");
		return -1;
	}
	size_t pos = 0;
	for (size_t i = 0; i < r.nlow; i++) {
		if (r.low[i].start < pos)
			continue;
		strbuf_add(out, r.text + pos, r.low[i].start - pos);
		strbuf_addstr(out, mark_open);
		strbuf_add(out, r.text + r.low[i].start, r.low[i].end - r.low[i].start);
		strbuf_addstr(out, mark_close);
		pos = r.low[i].end;
	}
	strbuf_addstr(out, r.text + pos);
	ocr_result_release(&r);
	return 0;
}

/* --- the work on one page ------------------------------------------------ */

static void *load_engine(void *arg)
{
	struct engine_loading *l = arg;
	l->engine = ocr_engine_new(l->cfg->ocr.tessdata, l->cfg->ocr.languages, &l->err);
	return NULL;
}

static void start_loading(struct ocr_stage *s, int t)
{
	struct engine_loading *l = &s->loading[t];
	if (s->engines[t] || l->started)
		return;
	l->cfg = s->cfg;
	strbuf_init(&l->err, 0);
	l->started = pthread_create(&l->thread, NULL, load_engine, l) == 0;
}

static struct ocr_engine *engine_for(struct ocr_stage *s, int t, struct strbuf *err)
{
	struct engine_loading *l = &s->loading[t];
	if (!s->engines[t] && l->started) {
		pthread_join(l->thread, NULL);
		l->started = 0;
		s->engines[t] = l->engine;
		if (!l->engine)
			strbuf_add(err, l->err.buf, l->err.len);
		strbuf_release(&l->err);
	}
	if (!s->engines[t])
		s->engines[t] = ocr_engine_new(s->cfg->ocr.tessdata, s->cfg->ocr.languages, err);
	return s->engines[t];
}

/* Recognise, and retry a weak page once: upright if it is turned, else as one block. */
static int recognise(struct ocr_stage *s, struct ocr_engine *e, struct page_image *img,
		     struct page_job *job)
{
	const struct config *cfg = s->cfg;
	double budget = cfg->ocr.page_timeout, t0 = time_mono();
	if (ocr_engine_read(e, img, OCR_PSM_AUTO, cfg->ocr.low_word_confidence, budget,
			    &job->result, &job->error))
		return -1;
	if (!job->result.words || !is_weak(s, &job->result))
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
	if (rc == 0 && second.confidence > job->result.confidence) {
		second.seconds += job->result.seconds;
		second.rotation = rotation;
		ocr_result_release(&job->result);
		job->result = second;
	} else {
		if (rc == 0) {
			job->result.seconds += second.seconds;
			ocr_result_release(&second);
		}
	}
	strbuf_release(&err2);
	return 0;
}

/* Save a fresh result at once: a crash later must not cost this OCR again. */
static void cache_result(struct ocr_stage *s, const char *path, struct page_job *job)
{
	char *json = result_to_json(&job->result, job->dpi, job->flagged);
	struct strbuf err = STRBUF_INIT;
	pthread_mutex_lock(&s->lock);
	if (store_ocr_cache_put(s->st, job->key, ocr_engine_version(), s->cfg->ocr.languages,
				job->dpi, job->result.confidence, job->result.words,
				(int)job->result.nlow, job->result.seconds, json, &err))
		log_event(LOG_WARNING, 0, path, "ocr", "cannot cache page %d: %s", job->page_no,
			  err.buf);
	pthread_mutex_unlock(&s->lock);
	strbuf_release(&err);
	free(json);
}

static void run_job(struct doc_work *w, int t, struct page_job *job)
{
	struct ocr_stage *s = w->stage;
	const struct ocr_input *in = &w->docs[job->doc];
	struct page_image img;
	if (page_image_load(s->loaders[t], in->path, in->type, job->page_no, s->cfg, &img,
			    &job->error)) {
		job->state = JOB_FAILED;
		return;
	}
	job->dpi = img.dpi;
	struct strbuf key = STRBUF_INIT;
	strbuf_addf(&key, "%s|%s", img.hash, s->settings);
	sha256_hex(key.buf, key.len, job->key);
	strbuf_release(&key);

	char *cached = NULL;
	pthread_mutex_lock(&s->lock);
	int hit = store_ocr_cache_get(s->st, job->key, &cached, &job->error);
	pthread_mutex_unlock(&s->lock);
	if (hit == 0 && result_from_json(cached, &job->result, &job->flagged) == 0) {
		job->state = JOB_CACHED;
	} else {
		strbuf_reset(&job->error);
		struct ocr_engine *e = engine_for(s, t, &job->error);
		if (!e || recognise(s, e, &img, job)) {
			job->state = JOB_FAILED;
		} else {
			job->state = JOB_DONE;
			job->flagged = job->result.words && is_weak(s, &job->result);
			cache_result(s, in->path, job);
		}
	}
	free(cached);
	page_image_release(&img);
}

static void *worker(void *arg)
{
	struct doc_work *w = ((void **)arg)[0];
	int t = (int)(long)((void **)arg)[1];
	for (;;) {
		pthread_mutex_lock(&w->next_lock);
		size_t i = w->next++;
		pthread_mutex_unlock(&w->next_lock);
		if (i >= w->njobs)
			break;
		run_job(w, t, &w->jobs[i]);
		if (w->stage->on_page) {
			pthread_mutex_lock(&w->stage->lock);
			w->stage->on_page(w->stage->on_page_ctx);
			pthread_mutex_unlock(&w->stage->lock);
		}
	}
	return NULL;
}

/* --- putting the text into the document ---------------------------------- */

static int median_height(const struct ocr_result *r)
{
	int *h = xcalloc(r->nlines + 1, sizeof(int)), n = 0;
	for (size_t i = 0; i < r->nlines; i++)
		if (r->lines[i].height > 0) {
			int v = r->lines[i].height, j = n++;
			while (j > 0 && h[j - 1] > v) {
				h[j] = h[j - 1];
				j--;
			}
			h[j] = v;
		}
	int m = n ? h[n / 2] : 0;
	free(h);
	return m;
}

/* A heading is words: "oF © NN" in tall type is a smudge or a logo. */
static int mostly_letters(const char *s)
{
	size_t letters = 0, other = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == ' ' || c == '\n' || (c & 0xC0) == 0x80)
			continue;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0xC0)
			letters++;
		else
			other++;
	}
	return letters >= 4 && letters >= 4 * other;
}

/*
 * Paragraphs become blocks; garbage lines are dropped; a short paragraph
 * set in clearly taller type than the page's text is a heading.
 */
static void add_blocks(struct extracted *doc, int page, const struct ocr_result *r,
		       const struct config *cfg)
{
	struct strbuf para = STRBUF_INIT;
	int median = median_height(r);
	for (size_t i = 0; i < r->nlines;) {
		size_t j = i;
		int min_height = 1 << 30, lines = 0;
		strbuf_reset(&para);
		for (; j < r->nlines && r->lines[j].para == r->lines[i].para; j++) {
			const struct ocr_line *l = &r->lines[j];
			const char *text = r->text + l->start;
			size_t len = l->end - l->start;
			if (clean_is_garbage_ocr_line(text, len, l->confidence, cfg))
				continue;
			if (para.len)
				strbuf_addch(&para, '\n');
			strbuf_add(&para, text, len);
			if (l->height < min_height)
				min_height = l->height;
			lines++;
		}
		if (para.len) {
			int level = 0;
			if (median > 0 && lines <= 2 && para.len < 120 && mostly_letters(para.buf)) {
				if (min_height * 10 >= median * 18)
					level = 1;
				else if (min_height * 100 >= median * 135)
					level = 2;
			}
			extracted_add_block(doc, level ? BLOCK_HEADING : BLOCK_PARAGRAPH, level, page,
					    para.buf, para.len);
		}
		i = j;
	}
	strbuf_release(&para);
}

static void apply_job(struct ocr_stage *s, struct extracted *doc, struct page_record *p,
		      struct page_job *job, struct ocr_stats *stats)
{
	stats->pages++;
	extracted_drop_page_blocks(doc, p->page_no);
	if (job->state == JOB_FAILED) {
		p->method = PAGE_OCR_FAILED;
		p->chars = 0;
		p->error = extracted_keep(doc, xasprintf("page %d: %s", p->page_no, job->error.buf));
		stats->failed++;
		return;
	}
	const struct ocr_result *r = &job->result;
	p->ocr_key = extracted_keep(doc, xstrdup(job->key));
	p->confidence = r->confidence;
	p->words = r->words;
	p->low_words = (int)r->nlow;
	p->seconds = r->seconds;
	p->flagged = job->flagged;
	p->chars = (int)count_chars(r->text);
	p->method = r->words ? PAGE_OCR : PAGE_EMPTY;
	stats->cached += job->state == JOB_CACHED;
	if (!r->words) {
		stats->empty++;
		return;
	}
	stats->seconds += job->state == JOB_CACHED ? 0 : r->seconds;
	stats->confidence_sum += r->confidence;
	stats->confidence_pages++;
	if (job->flagged)
		stats->flagged++;
	else
		stats->succeeded++;
	add_blocks(doc, p->page_no, r, s->cfg);
}

static void add_stats(struct ocr_stats *total, const struct ocr_stats *one)
{
	total->pages += one->pages;
	total->succeeded += one->succeeded;
	total->flagged += one->flagged;
	total->failed += one->failed;
	total->empty += one->empty;
	total->cached += one->cached;
	total->confidence_sum += one->confidence_sum;
	total->confidence_pages += one->confidence_pages;
	total->seconds += one->seconds;
}

void ocr_documents(struct ocr_stage *s, struct ocr_input *docs, size_t ndocs,
		   struct ocr_stats *total)
{
	double t0 = time_mono();
	struct doc_work w = { .stage = s, .docs = docs };
	size_t alloc = 0;
	for (size_t d = 0; d < ndocs; d++) {
		struct extracted *doc = docs[d].doc;
		for (size_t i = 0; i < doc->npages; i++) {
			if (!wants_ocr(s->cfg, &doc->pages[i]))
				continue;
			ALLOC_GROW(w.jobs, w.njobs + 1, alloc);
			memset(&w.jobs[w.njobs], 0, sizeof(*w.jobs));
			w.jobs[w.njobs].doc = d;
			w.jobs[w.njobs].page_no = doc->pages[i].page_no;
			strbuf_init(&w.jobs[w.njobs].error, 0);
			w.njobs++;
		}
	}
	if (!w.njobs)
		return;
	if (!s->pool)
		s->pool = page_loader_pool_new();
	int nthreads = s->nthreads < (int)w.njobs ? s->nthreads : (int)w.njobs;
	for (int t = 0; t < nthreads; t++) {
		if (!s->loaders[t])
			s->loaders[t] = page_loader_new(s->pool);
		start_loading(s, t);
	}
	pthread_mutex_init(&w.next_lock, NULL);
	pthread_t *threads = xcalloc((size_t)nthreads, sizeof(pthread_t));
	void *(*args)[2] = xcalloc((size_t)nthreads, sizeof(*args));
	for (int t = 0; t < nthreads; t++) {
		args[t][0] = &w;
		args[t][1] = (void *)(long)t;
		if (t == 0)
			continue; /* the calling thread works too */
		if (pthread_create(&threads[t], NULL, worker, args[t]))
			BUG("cannot start an OCR thread");
	}
	worker(args[0]);
	for (int t = 1; t < nthreads; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	free(args);
	pthread_mutex_destroy(&w.next_lock);

	/* Jobs are in document, then page order: apply them document by document. */
	size_t j = 0;
	for (size_t d = 0; d < ndocs; d++) {
		struct ocr_input *in = &docs[d];
		struct extracted *doc = in->doc;
		int usable = 0, had_jobs = 0, text_pages = 0;
		const char *first_error = NULL;
		int first_failed_page = 0;
		for (size_t i = 0; i < doc->npages; i++) {
			struct page_record *p = &doc->pages[i];
			if (j < w.njobs && w.jobs[j].doc == d && w.jobs[j].page_no == p->page_no) {
				struct page_job *job = &w.jobs[j++];
				had_jobs = 1;
				usable += job->state != JOB_FAILED;
				if (job->state == JOB_FAILED && !first_error) {
					first_error = job->error.buf;
					first_failed_page = job->page_no;
				}
				apply_job(s, doc, p, job, &in->stats);
			}
			text_pages += p->method == PAGE_TEXT;
		}
		extracted_sort_blocks(doc);
		/* Only when nothing at all is left to read does the document fail here. */
		if (had_jobs && !usable && !text_pages) {
			in->failed = 1;
			strbuf_addf(&in->error, "OCR failed on every page: page %d: %s",
				    first_failed_page, first_error ? first_error : "?");
		}
		add_stats(total, &in->stats);
	}
	for (size_t i = 0; i < w.njobs; i++) {
		ocr_result_release(&w.jobs[i].result);
		strbuf_release(&w.jobs[i].error);
	}
	free(w.jobs);
	total->wall_seconds += time_mono() - t0;
}
