/*
 * Loading OpenBLAS and LAPACKE; see blas_libs.h.
 */
#define BLAS_LIBS_DEFINING
#include "learn/blas_libs.h"

#include "core/dynlib.h"

/* The sonames the build compiled against (Makefile); Debian 12's by default. */
#ifndef OPENBLAS_SONAME
#define OPENBLAS_SONAME "libopenblas.so.0"
#endif
#ifndef LAPACKE_SONAME
#define LAPACKE_SONAME "liblapacke.so.3"
#endif

struct blas_libs blas_libs;

static const char *const openblas_names[] = { OPENBLAS_FUNCTIONS(DYNLIB_NAME) };
static const char *const lapacke_names[] = { LAPACKE_FUNCTIONS(DYNLIB_NAME) };

static const struct dynlib libs[] = {
	{ OPENBLAS_SONAME, openblas_names, DYNLIB_COUNT(openblas_names) },
	{ LAPACKE_SONAME, lapacke_names, DYNLIB_COUNT(lapacke_names) },
};
static struct dynlib_set set = {
	libs, DYNLIB_COUNT(libs),        "the libopenblas0 and liblapacke packages",
	NULL, PTHREAD_MUTEX_INITIALIZER, 0
};

int blas_libs_load(struct strbuf *err)
{
	_Static_assert(sizeof(blas_libs) == sizeof(openblas_names) + sizeof(lapacke_names),
		       "a slot for each name");
	struct strbuf why = STRBUF_INIT;
	int rc = dynlib_load(&set, (void **)&blas_libs,
			     DYNLIB_COUNT(openblas_names) + DYNLIB_COUNT(lapacke_names), &why);
	if (rc)
		strbuf_addf(err, "no built-in embedder: %s", why.buf);
	strbuf_release(&why);
	return rc;
}
