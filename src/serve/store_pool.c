/*
 * The store connection pool; see store_pool.h.
 */
#include "serve/store_pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/xalloc.h"

struct store_pool {
	pthread_mutex_t lock;
	pthread_cond_t returned;
	struct store **all, **idle;
	size_t size, nidle;
	char *location;
};

int store_pool_open(struct store_pool **out, const char *location, size_t n, struct strbuf *err)
{
	struct store_pool *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->returned, NULL);
	p->all = xcalloc(n, sizeof(*p->all));
	p->idle = xcalloc(n, sizeof(*p->idle));
	p->location = xstrdup(location);
	for (; p->size < n; p->size++) {
		if (store_open(&p->all[p->size], location, err) ||
		    store_set_durable(p->all[p->size], err)) {
			store_close(&p->all[p->size]);
			store_pool_close(&p);
			return -1;
		}
		p->idle[p->nidle++] = p->all[p->size];
	}
	*out = p;
	return 0;
}

struct store *store_pool_get(struct store_pool *p)
{
	pthread_mutex_lock(&p->lock);
	while (!p->nidle)
		pthread_cond_wait(&p->returned, &p->lock);
	struct store *st = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	return st;
}

/*
 * A connection that came back with a transaction it cannot roll back is
 * replaced by a fresh one; when none can be opened (memory, say) it stays,
 * to be tried again at its next return.
 */
static struct store *fit_for_reuse(struct store_pool *p, struct store *st)
{
	struct strbuf err = STRBUF_INIT;
	int rc = store_connection_reset(st, &err);
	if (rc)
		log_event(LOG_WARNING, 0, NULL, "serve", "store connection: %s", err.buf);
	if (rc < 0) {
		struct store *fresh = NULL;
		strbuf_reset(&err);
		if (store_open(&fresh, p->location, &err) || store_set_durable(fresh, &err)) {
			log_event(LOG_WARNING, 0, NULL, "serve",
				  "cannot open a store connection in its "
				  "place (it stays): %s",
				  err.buf);
			store_close(&fresh);
		} else {
			pthread_mutex_lock(&p->lock);
			for (size_t i = 0; i < p->size; i++)
				if (p->all[i] == st)
					p->all[i] = fresh;
			pthread_mutex_unlock(&p->lock);
			store_close(&st);
			st = fresh;
		}
	}
	strbuf_release(&err);
	return st;
}

void store_pool_put(struct store_pool *p, struct store *st)
{
	st = fit_for_reuse(p, st);
	pthread_mutex_lock(&p->lock);
	p->idle[p->nidle++] = st;
	pthread_cond_signal(&p->returned);
	pthread_mutex_unlock(&p->lock);
}

void store_pool_close(struct store_pool **pp)
{
	struct store_pool *p = *pp;
	if (!p)
		return;
	for (size_t i = 0; i < p->size; i++)
		store_close(&p->all[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->returned);
	free(p->all);
	free(p->idle);
	free(p->location);
	free(p);
	*pp = NULL;
}
