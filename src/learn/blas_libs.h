/*
 * OpenBLAS and LAPACKE, loaded when the embedder first needs them rather
 * than when the program starts.  Linked, OpenBLAS starts a thread per
 * core as it loads, before main can say it wants none (the embedder runs
 * it on one thread: embedder.c), and the two bring libgfortran along:
 * ~10 ms of every command's start, `ragops status` as much as a training.
 * main sets OPENBLAS_NUM_THREADS=1 before any thread exists, so once
 * loaded no pool is started at all.
 *
 * As with ocr_libs.h, a file that calls them includes this header after
 * theirs, and the names below go through the table.  Before the first
 * call, blas_libs_load must have succeeded.
 */
#ifndef LEARN_BLAS_LIBS_H
#define LEARN_BLAS_LIBS_H

#include <cblas.h>
#include <lapacke.h>

#include "core/strbuf.h"

/* clang-format off */
#define OPENBLAS_FUNCTIONS(X)        \
	X(cblas_dsyrk)               \
	X(cblas_saxpy)               \
	X(cblas_sgemm)               \
	X(cblas_snrm2)               \
	X(cblas_sscal)               \
	X(openblas_set_num_threads)

#define LAPACKE_FUNCTIONS(X)         \
	X(LAPACKE_dsyevd)            \
	X(LAPACKE_sgeqrf)            \
	X(LAPACKE_sorgqr)
/* clang-format on */

struct blas_libs {
#define BLAS_LIBS_SLOT(name) __typeof__(&name) name;
	OPENBLAS_FUNCTIONS(BLAS_LIBS_SLOT)
	LAPACKE_FUNCTIONS(BLAS_LIBS_SLOT)
#undef BLAS_LIBS_SLOT
};
extern struct blas_libs blas_libs;

/* Load both (once; any thread): -1 with the reason and the packages to install. */
int blas_libs_load(struct strbuf *err);

#ifndef BLAS_LIBS_DEFINING
#define cblas_dsyrk              (blas_libs.cblas_dsyrk)
#define cblas_saxpy              (blas_libs.cblas_saxpy)
#define cblas_sgemm              (blas_libs.cblas_sgemm)
#define cblas_snrm2              (blas_libs.cblas_snrm2)
#define cblas_sscal              (blas_libs.cblas_sscal)
#define openblas_set_num_threads (blas_libs.openblas_set_num_threads)
#define LAPACKE_dsyevd           (blas_libs.LAPACKE_dsyevd)
#define LAPACKE_sgeqrf           (blas_libs.LAPACKE_sgeqrf)
#define LAPACKE_sorgqr           (blas_libs.LAPACKE_sorgqr)
#endif

#endif
