/*
 * Loading OpenBLAS and LAPACKE; see blas_libs.h.
 */
#define BLAS_LIBS_DEFINING
#include "learn/blas_libs.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"

/* The sonames the build saw (Makefile); Debian 12's by default. */
#ifndef OPENBLAS_SONAME
#define OPENBLAS_SONAME "libopenblas.so.0"
#endif
#ifndef LAPACKE_SONAME
#define LAPACKE_SONAME "liblapacke.so.3"
#endif

struct blas_libs blas_libs;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[512];

static int resolve(void *lib, const char *soname, const char *const *names, void **slots, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		slots[i] = dlsym(lib, names[i]);
		if (!slots[i]) {
			snprintf(load_error, sizeof(load_error), "%s has no function %s", soname,
				 names[i]);
			return -1;
		}
	}
	return 0;
}

static void load(void)
{
#define NAME(f) #f,
	static const char *const blas_names[] = { OPENBLAS_FUNCTIONS(NAME) };
	static const char *const lapacke_names[] = { LAPACKE_FUNCTIONS(NAME) };
#undef NAME
	struct blas_libs found;
	void **slots = (void **)&found;
	size_t nblas = sizeof(blas_names) / sizeof(blas_names[0]);
	size_t nlapacke = sizeof(lapacke_names) / sizeof(lapacke_names[0]);
	_Static_assert(sizeof(found) == sizeof(blas_names) + sizeof(lapacke_names),
		       "a slot for each name");
	/* Never closed: the process keeps using them. */
	void *blas = dlopen(OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
	void *lapacke = blas ? dlopen(LAPACKE_SONAME, RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!blas || !lapacke) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
	if (resolve(blas, OPENBLAS_SONAME, blas_names, slots, nblas) ||
	    resolve(lapacke, LAPACKE_SONAME, lapacke_names, slots + nblas, nlapacke))
		return;
	blas_libs = found;
}

void blas_libs_require(void)
{
	pthread_once(&once, load);
	if (!*load_error)
		return;
	fprintf(stderr,
		"ragops: cannot load the linear algebra libraries: %s (install the libopenblas0 "
		"and liblapacke packages)\n",
		load_error);
	exit(EXIT_FATAL);
}
