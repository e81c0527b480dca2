/*
 * Randomized truncated SVD of a sparse matrix (Halko, Martinsson and
 * Tropp 2011), the core of the built-in embedder's training.  Every step
 * is cut into fixed blocks of rows, each done by one thread with OpenBLAS
 * on one thread and combined in block order: the result is the same bit
 * for bit on any number of threads.
 */
#ifndef LEARN_RSVD_H
#define LEARN_RSVD_H

#include <stddef.h>
#include <stdint.h>

/* A sparse matrix by rows; the columns of each row in ascending order. */
struct csr {
	size_t rows;
	size_t *row_start; /* rows + 1 */
	int *col;
	float *val;
};

/*
 * A^T as a CSR of its own (ncols x a->rows), with the rows of A in order
 * in each of its rows: A^T * Y is then a product by rows too, on every
 * thread.
 */
struct csr csr_transpose(const struct csr *a, size_t ncols);
void csr_release(struct csr *m);

/*
 * Y (m->rows x l) = M * X (X: columns of M x l), row-major, rows split
 * among threads.  OpenBLAS must be loaded (blas_libs_load).
 */
void csr_times(const struct csr *m, const float *x, int l, float *y, int threads);

/*
 * The top `dim` right singular vectors of A (rows x cols; `at` is its
 * transpose), as proj (cols x dim, row-major: proj[j * dim + k] is
 * component j of vector k), by a sketch of dim + `oversample` columns and
 * a power iteration.  Past A's (numerical) rank, the columns are
 * orthonormal directions outside A's row space, as LAPACK's SVD completes
 * its basis.  Returns 0, or the LAPACK error (-1 without LAPACK: blas_libs.h).
 */
int rsvd_right_vectors(const struct csr *a, const struct csr *at, int dim, int oversample, uint64_t seed,
		       int threads, float *proj);

#endif
