/*
 * Unit tests for the randomized SVD (learn/rsvd.h): its right singular
 * vectors are LAPACK's exact ones (sgesvd on the dense matrix) where the
 * spectrum has gaps; the result is the same bit for bit on 1, 2 and 3
 * threads; a matrix of lower rank than asked gets a complete orthonormal
 * basis, its columns past the rank outside the matrix's row space.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn/rsvd.h"

/*
 * A sparse rows x cols matrix with a decaying spectrum: row i mixes `rank`
 * hidden topics (topic t weighted 1 / (t + 1)), each topic a sparse
 * pattern of columns; rows repeat with period `rank` when `repeat` is set.
 */
static struct csr make_matrix(size_t rows, size_t cols, int rank, int repeat, float **dense)
{
	float *m = calloc(rows * cols, sizeof(float));
	uint64_t state = 12345;
	for (size_t i = 0; i < rows; i++) {
		size_t src = repeat ? i % (size_t)rank : i;
		uint64_t s = state + src * 7919;
		for (int t = 0; t < rank; t++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			float coef = (float)((s >> 40) % 1000) / 1000.0f / (float)(t + 1);
			for (size_t j = (size_t)t; j < cols; j += (size_t)rank + (size_t)t % 3 + 1)
				m[i * cols + j] += coef * (float)((j * 31 + (size_t)t) % 7 + 1);
		}
	}
	struct csr a = { rows, calloc(rows + 1, sizeof(size_t)), NULL, NULL };
	size_t nnz = 0;
	for (size_t p = 0; p < rows * cols; p++)
		nnz += m[p] != 0;
	a.col = malloc(nnz * sizeof(int));
	a.val = malloc(nnz * sizeof(float));
	nnz = 0;
	for (size_t i = 0; i < rows; i++) {
		for (size_t j = 0; j < cols; j++)
			if (m[i * cols + j] != 0) {
				a.col[nnz] = (int)j;
				a.val[nnz++] = m[i * cols + j];
			}
		a.row_start[i + 1] = nnz;
	}
	*dense = m;
	return a;
}

/* |cosine| between column k of proj (cols x dim) and row k of vt (exact V^T, cols wide). */
static double alignment(const float *proj, int dim, const float *vt, size_t cols, int k)
{
	double dot = 0, np = 0, nv = 0;
	for (size_t j = 0; j < cols; j++) {
		double p = proj[j * (size_t)dim + (size_t)k], v = vt[(size_t)k * cols + j];
		dot += p * v;
		np += p * p;
		nv += v * v;
	}
	return fabs(dot) / sqrt(np * nv);
}

static void test_matches_exact_svd(void **state)
{
	(void)state;
	size_t rows = 300, cols = 500;
	int dim = 8;
	float *dense;
	struct csr a = make_matrix(rows, cols, 40, 0, &dense);
	struct csr at = csr_transpose(&a, cols);
	float *proj = malloc(cols * (size_t)dim * sizeof(float));
	assert_int_equal(rsvd_right_vectors(&a, &at, dim, 10, 42, 2, proj), 0);

	float *s = malloc(rows * sizeof(float)), *u = malloc(rows * rows * sizeof(float)),
	      *vt = malloc(rows * cols * sizeof(float)), *superb = malloc(rows * sizeof(float));
	assert_int_equal(LAPACKE_sgesvd(LAPACK_ROW_MAJOR, 'N', 'S', (int)rows, (int)cols, dense,
					(int)cols, s, u, (int)rows, vt, (int)cols, superb),
			 0);
	int checked = 0;
	for (int k = 0; k < dim; k++) {
		/* Only where the gap to the next singular value is clear is the vector defined. */
		if (s[k + 1] > 0.95f * s[k] || (k > 0 && s[k] > 0.95f * s[k - 1]))
			continue;
		double cos = alignment(proj, dim, vt, cols, k);
		if (cos < 0.99)
			fail_msg("singular vector %d: |cos| %.4f with LAPACK's (s = %g, next %g)", k,
				 cos, s[k], s[k + 1]);
		/* unit length */
		double norm = 0;
		for (size_t j = 0; j < cols; j++)
			norm += (double)proj[j * (size_t)dim + (size_t)k] *
				proj[j * (size_t)dim + (size_t)k];
		assert_true(fabs(sqrt(norm) - 1.0) < 1e-3);
		checked++;
	}
	if (checked < dim / 2)
		fail_msg("only %d of %d singular values are apart enough to compare", checked, dim);
	free(s);
	free(u);
	free(vt);
	free(superb);
	free(proj);
	free(dense);
	csr_release(&a);
	csr_release(&at);
}

static void test_same_on_any_threads(void **state)
{
	(void)state;
	/* more rows than columns too, so the other side's iterations run */
	size_t shapes[][2] = { { 5000, 700 }, { 700, 5000 } };
	for (size_t sh = 0; sh < 2; sh++) {
		size_t rows = shapes[sh][0], cols = shapes[sh][1];
		int dim = 32;
		float *dense;
		struct csr a = make_matrix(rows, cols, 60, 0, &dense);
		struct csr at = csr_transpose(&a, cols);
		float *first = NULL;
		for (int threads = 1; threads <= 3; threads++) {
			float *proj = malloc(cols * (size_t)dim * sizeof(float));
			assert_int_equal(rsvd_right_vectors(&a, &at, dim, 10, 7, threads, proj), 0);
			if (!first)
				first = proj;
			else {
				if (memcmp(first, proj, cols * (size_t)dim * sizeof(float)))
					fail_msg("%zu x %zu: %d threads give another projection than 1",
						 rows, cols, threads);
				free(proj);
			}
		}
		free(first);
		free(dense);
		csr_release(&a);
		csr_release(&at);
	}
}

static void test_rank_deficient_completed(void **state)
{
	(void)state;
	/* 600 rows repeating 12 distinct ones: rank 12, and 40 dimensions asked for */
	size_t rows = 600, cols = 300;
	int rank = 12, dim = 40;
	float *dense;
	struct csr a = make_matrix(rows, cols, rank, 1, &dense);
	struct csr at = csr_transpose(&a, cols);
	float *proj = malloc(cols * (size_t)dim * sizeof(float));
	assert_int_equal(rsvd_right_vectors(&a, &at, dim, 10, 3, 2, proj), 0);
	/* Every column of unit length, and orthogonal to every other: a complete basis. */
	for (int k = 0; k < dim; k++)
		for (int m = k; m < dim; m++) {
			double dot = 0;
			for (size_t j = 0; j < cols; j++)
				dot += (double)proj[j * (size_t)dim + (size_t)k] *
				       proj[j * (size_t)dim + (size_t)m];
			if (k == m && fabs(dot - 1.0) > 1e-3)
				fail_msg("column %d has length %g", k, sqrt(dot));
			if (k != m && fabs(dot) > 1e-3)
				fail_msg("columns %d and %d (rank %d) are not orthogonal: %g", k, m,
					 rank, dot);
		}
	/* Past the rank, outside A's row space: A times those columns is zero. */
	for (size_t i = 0; i < rows; i++)
		for (int k = rank; k < dim; k++) {
			double v = 0;
			for (size_t j = 0; j < cols; j++)
				v += (double)dense[i * cols + j] * proj[j * (size_t)dim + (size_t)k];
			if (fabs(v) > 1e-3)
				fail_msg("row %zu has %g along column %d, past the rank %d", i, v, k,
					 rank);
		}
	free(proj);
	free(dense);
	csr_release(&a);
	csr_release(&at);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_exact_svd),
		cmocka_unit_test(test_same_on_any_threads),
		cmocka_unit_test(test_rank_deficient_completed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
