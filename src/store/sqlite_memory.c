/*
 * SQLite's allocator, wrapped (SQLITE_CONFIG_MALLOC around the default
 * methods): a failed allocation is handed to xalloc's out-of-memory
 * handler (a server gives back its memory reserve, core/mem_reserve.h)
 * and tried once more; when that fails too SQLite gets NULL and answers
 * SQLITE_NOMEM, which its callers turn into an error, and the thread's
 * count of allocations that failed for good goes up (a server replies
 * 503 "out of memory").  RAGOPS_FAULTS can fail SQLite's Nth allocation
 * ("sqlite-nomem N", core/fault.h): then the second try fails too, as it
 * is SQLite's error path that is under test.
 *
 * Without a handler or a fault this changes nothing: the same allocator,
 * one call deeper.  Installed once, before SQLite initialises; a program
 * that started SQLite before opening a store keeps SQLite's own.
 */
#include <pthread.h>

#include "core/fault.h"
#include "core/xalloc.h"
#include "store/sqlite_internal.h"

static sqlite3_mem_methods real;

static void *m_malloc(int n)
{
	int injected = fault_alloc(FAULT_ALLOC_SQLITE);
	void *p = injected ? NULL : real.xMalloc(n);
	if (!p && xalloc_recover((size_t)n) && !injected)
		p = real.xMalloc(n);
	if (!p)
		xalloc_note_unrecovered();
	return p;
}

static void *m_realloc(void *old, int n)
{
	int injected = fault_alloc(FAULT_ALLOC_SQLITE);
	void *p = injected ? NULL : real.xRealloc(old, n);
	if (!p && xalloc_recover((size_t)n) && !injected)
		p = real.xRealloc(old, n);
	if (!p)
		xalloc_note_unrecovered();
	return p;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_rc = SQLITE_OK;

static void install(void)
{
	static sqlite3_mem_methods wrapped;
	install_rc = sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real);
	if (install_rc != SQLITE_OK)
		return;
	wrapped = real;
	wrapped.xMalloc = m_malloc;
	wrapped.xRealloc = m_realloc;
	install_rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &wrapped);
}

int sqlite_memory_install(struct strbuf *err)
{
	pthread_once(&once, install);
	/* Only a test that injects SQLite's failures needs the wrapper to be there. */
	if (install_rc == SQLITE_OK || !fault_enabled())
		return 0;
	strbuf_addf(err,
		    "cannot wrap SQLite's allocator (RAGOPS_FAULTS): %s (SQLite was started "
		    "before the store was opened)",
		    sqlite3_errstr(install_rc));
	return -1;
}
