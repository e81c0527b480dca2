/*
 * Randomized truncated SVD; see rsvd.h.
 *
 * Y = A*Omega, a power iteration, Q = orth(Y), then B^T = A^T*Q, whose
 * left singular vectors are A's right ones.  Those come from the
 * eigenvectors of the small Gram matrix B*B^T (l x l, in double) instead of
 * an SVD of the tall B^T: LAPACK's sgesdd on the 8,176 x 266 B^T of 1,000
 * documents took 0.11 s on one core, the Gram matrix and its eigenvectors
 * 0.02 s on two.
 */
#define _GNU_SOURCE /* sincos */
#include "learn/rsvd.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/parallel.h"
#include "core/xalloc.h"
#include "learn/blas_libs.h" /* after cblas.h and lapacke.h: see there */

#define POWER_ITERATIONS 1 /* see rsvd_right_vectors */

/*
 * Fixed blocks of rows, whatever the number of threads: each block's
 * result is the same, and partial sums are added in block order.
 */
#define GAUSSIAN_ROWS 64
#define GEMM_ROWS     512
#define GRAM_ROWS     4096
#define CONVERT_ROWS  256 /* rows of a Gram block converted to double at a time */

/*
 * Eigenvalues of B*B^T below this fraction of the largest are rounding
 * noise (singular values under 3e-5 of the largest, near float's
 * precision): the corpus has fewer independent directions than asked for,
 * and the basis is completed (complete_basis).
 */
#define RANK_FLOOR 1e-9

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* --- sparse products ----------------------------------------------------- */

struct csr csr_transpose(const struct csr *a, size_t ncols)
{
	struct csr t = { ncols, xcalloc(ncols + 2, sizeof(size_t)), NULL, NULL };
	size_t nnz = a->row_start[a->rows];
	t.col = xmalloc((nnz + 1) * sizeof(int));
	t.val = xmalloc((nnz + 1) * sizeof(float));
	for (size_t p = 0; p < nnz; p++)
		t.row_start[a->col[p] + 2]++;
	for (size_t j = 2; j < ncols + 2; j++)
		t.row_start[j] += t.row_start[j - 1];
	for (size_t i = 0; i < a->rows; i++)
		for (size_t p = a->row_start[i]; p < a->row_start[i + 1]; p++) {
			size_t q = t.row_start[a->col[p] + 1]++;
			t.col[q] = (int)i;
			t.val[q] = a->val[p];
		}
	return t;
}

void csr_release(struct csr *m)
{
	free(m->row_start);
	free(m->col);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

struct sparse_product {
	const struct csr *m;
	const float *in;
	float *out;
	int l;
};

/* Rows [begin, end) of out = m * in; the terms of one row in column order. */
static void product_rows(void *ctx, int worker, size_t begin, size_t end)
{
	(void)worker;
	struct sparse_product *sp = ctx;
	const struct csr *m = sp->m;
	size_t l = (size_t)sp->l;
	memset(sp->out + begin * l, 0, (end - begin) * l * sizeof(float));
	for (size_t i = begin; i < end; i++)
		for (size_t p = m->row_start[i]; p < m->row_start[i + 1]; p++)
			cblas_saxpy(sp->l, m->val[p], sp->in + (size_t)m->col[p] * l, 1, sp->out + i * l,
				    1);
}

void csr_times(const struct csr *m, const float *x, int l, float *y, int threads)
{
	struct sparse_product sp = { m, x, y, l };
	parallel_for(m->rows, threads, product_rows, &sp);
}

/* --- dense steps --------------------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* A uniform in (0, 1) from xorshift64*. */
static double uniform(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return ((double)((*state * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
}

struct gaussian_job {
	float *m;
	size_t rows;
	int l;
	uint64_t seed;
};

/* Blocks [begin, end) of GAUSSIAN_ROWS rows, each from its own stream (Box-Muller pairs). */
static void gaussian_blocks(void *ctx, int worker, size_t begin, size_t end)
{
	(void)worker;
	struct gaussian_job *job = ctx;
	for (size_t b = begin; b < end; b++) {
		uint64_t state = splitmix64(job->seed ^ splitmix64(b));
		size_t first = b * GAUSSIAN_ROWS * (size_t)job->l;
		size_t last = min_size(job->rows, (b + 1) * GAUSSIAN_ROWS) * (size_t)job->l;
		for (size_t i = first; i < last; i += 2) {
			double r = sqrt(-2.0 * log(uniform(&state))), s, c;
			sincos(2 * M_PI * uniform(&state), &s, &c);
			job->m[i] = (float)(r * c);
			if (i + 1 < last)
				job->m[i + 1] = (float)(r * s);
		}
	}
}

static void fill_gaussian(float *m, size_t rows, int l, uint64_t seed, int threads)
{
	struct gaussian_job job = { m, rows, l, seed };
	parallel_for((rows + GAUSSIAN_ROWS - 1) / GAUSSIAN_ROWS, threads, gaussian_blocks, &job);
}

/* Orthonormalise the columns of m (rows x l, row-major) in place: Householder QR. */
static int orthonormalise(float *m, size_t rows, int l)
{
	float *tau = xcalloc((size_t)l, sizeof(float));
	int rc = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, (lapack_int)rows, l, m, l, tau);
	if (rc == 0)
		rc = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, (lapack_int)rows, l, l, m, l, tau);
	free(tau);
	return rc;
}

struct gram_job {
	const float *m;
	size_t rows, block_rows;
	int l;
	double *partials; /* one l x l upper triangle per block */
};

static void gram_blocks(void *ctx, int worker, size_t begin, size_t end)
{
	(void)worker;
	struct gram_job *job = ctx;
	size_t l = (size_t)job->l;
	double *buf = xmalloc(CONVERT_ROWS * l * sizeof(double));
	for (size_t b = begin; b < end; b++) {
		size_t r1 = min_size(job->rows, (b + 1) * job->block_rows);
		for (size_t r = b * job->block_rows; r < r1; r += CONVERT_ROWS) {
			size_t nr = min_size(CONVERT_ROWS, r1 - r);
			for (size_t i = 0; i < nr * l; i++)
				buf[i] = job->m[r * l + i];
			cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, job->l, (int)nr, 1.0, buf,
				    job->l, 1.0, job->partials + b * l * l, job->l);
		}
	}
	free(buf);
}

/* g (l x l, both triangles) = m^T * m for m (rows x l), summed in double. */
static void gram(const float *m, size_t rows, int l, double *g, int threads)
{
	/* Blocks of 16 rows per column at least: the partials take about an eighth of m's memory. */
	size_t block_rows = GRAM_ROWS > 16 * (size_t)l ? GRAM_ROWS : 16 * (size_t)l;
	size_t nblocks = (rows + block_rows - 1) / block_rows, ll = (size_t)l * l;
	struct gram_job job = { m, rows, block_rows, l, xcalloc(nblocks * ll, sizeof(double)) };
	parallel_for(nblocks, threads, gram_blocks, &job);
	memset(g, 0, ll * sizeof(double));
	for (size_t b = 0; b < nblocks; b++)
		for (size_t i = 0; i < ll; i++)
			g[i] += job.partials[b * ll + i];
	for (int i = 0; i < l; i++)
		for (int j = 0; j < i; j++)
			g[(size_t)i * l + j] = g[(size_t)j * l + i];
	free(job.partials);
}

struct gemm_job {
	const float *m, *t;
	float *out;
	size_t rows;
	int l, k;
};

static void gemm_blocks(void *ctx, int worker, size_t begin, size_t end)
{
	(void)worker;
	struct gemm_job *job = ctx;
	for (size_t b = begin; b < end; b++) {
		size_t r0 = b * GEMM_ROWS, nr = min_size(GEMM_ROWS, job->rows - r0);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, job->k, job->l, 1.0f,
			    job->m + r0 * job->l, job->l, job->t, job->k, 0.0f, job->out + r0 * job->k,
			    job->k);
	}
}

/* out (rows x k) = m (rows x l) * t (l x k). */
static void dense_times(const float *m, size_t rows, int l, const float *t, int k, float *out,
			int threads)
{
	struct gemm_job job = { m, t, out, rows, l, k };
	parallel_for((rows + GEMM_ROWS - 1) / GEMM_ROWS, threads, gemm_blocks, &job);
}

/*
 * Columns [rank, dim) of u (rows x dim), past the matrix's rank: made
 * orthonormal and orthogonal to the first `rank`, from a Gaussian sketch,
 * as LAPACK's SVD completes its basis.  Left at zero they change what the
 * dense similarity of a question means on a small or repetitive corpus
 * (its vector no longer has mass outside the corpus's span), and the
 * abstention thresholds were calibrated with a complete basis: the sample
 * notes plus 300 near-identical files then answered an unanswerable golden
 * question the full basis abstains on.
 */
static int complete_basis(float *u, size_t rows, int dim, int rank, uint64_t seed, int threads)
{
	int c = dim - rank;
	if (c <= 0)
		return 0;
	float *g = xmalloc(rows * (size_t)c * sizeof(float));
	fill_gaussian(g, rows, c, seed, threads);
	if (rank > 0) {
		/* g -= U_r (U_r^T g): U_r is u's first `rank` columns */
		float *p = xmalloc((size_t)rank * c * sizeof(float));
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rank, c, (int)rows, 1.0f, u, dim, g,
			    c, 0.0f, p, c);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, c, rank, -1.0f, u, dim,
			    p, c, 1.0f, g, c);
		free(p);
	}
	int rc = orthonormalise(g, rows, c);
	for (size_t i = 0; i < rows && !rc; i++)
		memcpy(u + i * dim + rank, g + i * c, (size_t)c * sizeof(float));
	free(g);
	return rc;
}

/*
 * The top `dim` left singular vectors of z (rows x l) into out (rows x
 * dim): z^T z = W diag(s^2) W^T, and u_k = z w_k / s_k; past z's rank, a
 * completion (complete_basis).
 */
static int left_singular_vectors(const float *z, size_t rows, int l, int dim, uint64_t seed, int threads,
				 float *out)
{
	double *g = xmalloc((size_t)l * l * sizeof(double)), *eigen = xcalloc((size_t)l, sizeof(double));
	gram(z, rows, l, g, threads);
	int rc = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', l, g, l, eigen);
	if (rc == 0) {
		/* dsyevd sorts eigenvalues in ascending order: vector k is column l - 1 - k. */
		float *t = xcalloc((size_t)l * dim, sizeof(float));
		double floor = eigen[l - 1] * RANK_FLOOR;
		int rank = 0;
		for (int k = 0; k < dim; k++) {
			int j = l - 1 - k;
			if (!(eigen[j] > floor))
				break;
			double scale = 1.0 / sqrt(eigen[j]);
			for (int i = 0; i < l; i++)
				t[(size_t)i * dim + k] = (float)(g[(size_t)i * l + j] * scale);
			rank++;
		}
		dense_times(z, rows, l, t, dim, out, threads);
		free(t);
		rc = complete_basis(out, rows, dim, rank, seed, threads);
	}
	free(g);
	free(eigen);
	return rc;
}

int rsvd_right_vectors(const struct csr *a, const struct csr *at, int dim, int oversample, uint64_t seed,
		       int threads, float *proj)
{
	struct strbuf ignored = STRBUF_INIT;
	int missing = blas_libs_load(&ignored); /* the embedder says why: embedder_train */
	strbuf_release(&ignored);
	if (missing)
		return -1;
	size_t n = a->rows, cols = at->rows;
	int l = (int)min_size(min_size((size_t)dim + oversample, n), cols);
	float *omega = xmalloc(cols * l * sizeof(float)), *y = xmalloc(n * l * sizeof(float));
	fill_gaussian(omega, cols, l, seed, threads);
	csr_times(a, omega, l, y, threads);
	/*
	 * Power iterations, orthonormalised on the smaller side only: the
	 * range is the same in exact arithmetic, and one QR per iteration
	 * keeps float from losing the weak directions (sklearn normalises
	 * none for two iterations).  The larger side's QRs were 0.13 s of the
	 * 0.85 s training on 1,000 documents.  One iteration: a second moved
	 * dense recall@5 and MRR on the 110 debian-fr questions by less than
	 * changing the seed does (4 seeds each), for 0.1 s of those 0.85.
	 */
	int rc = 0;
	for (int it = 0; it < POWER_ITERATIONS && !rc; it++) {
		if (n <= cols)
			rc = orthonormalise(y, n, l);
		csr_times(at, y, l, omega, threads);
		if (n > cols && !rc)
			rc = orthonormalise(omega, cols, l);
		csr_times(a, omega, l, y, threads);
	}
	rc = rc ? rc : orthonormalise(y, n, l);
	if (!rc) {
		/* B^T = A^T Q, into omega's room */
		csr_times(at, y, l, omega, threads);
		rc = left_singular_vectors(omega, cols, l, dim, splitmix64(seed), threads, proj);
	}
	free(omega);
	free(y);
	return rc;
}
