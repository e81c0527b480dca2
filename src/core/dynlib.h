/*
 * Libraries loaded when first needed (dlopen) instead of linked: see
 * pipeline/ocr_libs.h and learn/blas_libs.h.  A set of libraries fills a
 * table of function pointers, all or nothing.
 */
#ifndef CORE_DYNLIB_H
#define CORE_DYNLIB_H

#include <pthread.h>
#include <stddef.h>

#include "core/strbuf.h"

/* For a table's name list from its X-macro: { LIST(DYNLIB_NAME) }, and its length. */
#define DYNLIB_NAME(f)  #f,
#define DYNLIB_COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct dynlib {
	const char *soname;
	const char *const *functions; /* the names, in the table's order */
	size_t nfunctions;
};

struct dynlib_set {
	const struct dynlib *libs;
	size_t nlibs;
	const char *packages;      /* for the message: "the libtesseract5 and liblept5 packages" */
	void (*loaded_hook)(void); /* or NULL: run once, under the lock, when the table is filled */
	pthread_mutex_t lock;
	int loaded;
};

/*
 * Load every library of `set` (once; any thread) and fill `table`, the
 * functions of each library one after the other.  -1 with the reason in
 * err, table untouched: a later call tries again (a library installed
 * meanwhile, a limit since lifted).  The libraries are never closed.
 */
int dynlib_load(struct dynlib_set *set, void **table, size_t nslots, struct strbuf *err);

#endif
