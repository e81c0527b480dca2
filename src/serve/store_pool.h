/*
 * A fixed set of store connections shared by the server's threads: a
 * request borrows one and gives it back.  SQLite connections must not be
 * used by two threads at once; in WAL mode many can read while one writes.
 */
#ifndef SERVE_STORE_POOL_H
#define SERVE_STORE_POOL_H

#include <stddef.h>

#include "core/strbuf.h"
#include "store/store.h"

struct store_pool;

/* Open `n` connections to the store at `location` (config_store_location), each with durable commits. */
int store_pool_open(struct store_pool **out, const char *location, size_t n, struct strbuf *err);
/* Borrow a connection, waiting for one when all are out. */
struct store *store_pool_get(struct store_pool *p);
/*
 * Give it back, fit for the next request: what a failed request left
 * (a statement running, a transaction open) is undone and logged; a
 * connection that cannot be made fit is replaced by a fresh one.
 */
void store_pool_put(struct store_pool *p, struct store *st);
/* Close every connection (all must be back) and clear *p. */
void store_pool_close(struct store_pool **p);

#endif
