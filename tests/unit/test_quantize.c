/*
 * Unit tests for the int8 quantisation of the dense index
 * (retrieval/quantize.h): max-abs scaling and its error bound, zero and
 * non-finite vectors, the integer dot product against a 64-bit reference
 * at odd dimensions and at the edge of int32, and the scan of
 * retrieval/vectors.h: int8 candidates rescored in float32 give the exact
 * top-k with the exact cosines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrieval/quantize.h"
#include "retrieval/vectors.h"

/* A deterministic generator, so that a failure replays. */
static uint64_t rng = 88172645463325252ULL;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static float gauss(void)
{
	double u = uniform(), v = uniform();
	return (float)(sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v));
}

static void random_unit(float *v, int n)
{
	double norm = 0;
	for (int i = 0; i < n; i++) {
		v[i] = gauss();
		norm += (double)v[i] * v[i];
	}
	for (int i = 0; i < n; i++)
		v[i] = (float)(v[i] / sqrt(norm));
}

static int64_t dot_reference(const int16_t *a, const int8_t *b, int n)
{
	int64_t s = 0;
	for (int i = 0; i < n; i++)
		s += (int64_t)a[i] * b[i];
	return s;
}

static void test_max_abs_scaling(void **state)
{
	/* the largest magnitude is negative: it maps to -127 */
	float v[] = { 0.25f, -0.5f, 0.125f, 0.0f, 0.375f, -0.001f, 0.2f };
	int8_t q[7];
	float scale = quantize_i8(v, 7, q);
	assert_float_equal(scale, 0.5f / 127, 1e-9);
	assert_int_equal(q[1], -127);
	assert_int_equal(q[3], 0);
	assert_int_equal(q[5], 0); /* 0.254 steps: rounds to 0 */
	for (int i = 0; i < 7; i++)
		assert_true(fabsf(v[i] - scale * q[i]) <= scale / 2 * 1.0001f);

	/* unit vectors: the bound holds element by element, and some element is +-127 */
	for (int t = 0; t < 50; t++) {
		float u[256];
		int8_t c[256];
		random_unit(u, 256);
		scale = quantize_i8(u, 256, c);
		int top = 0;
		for (int i = 0; i < 256; i++) {
			assert_true(fabsf(u[i] - scale * c[i]) <= scale / 2 * 1.0001f);
			assert_true(c[i] >= -127 && c[i] <= 127);
			top |= c[i] == 127 || c[i] == -127;
		}
		assert_true(top);
	}

	/* int16: the same within the limit given */
	int16_t w[7];
	scale = quantize_i16(v, 7, 1000, w);
	assert_float_equal(scale, 0.5f / 1000, 1e-9);
	assert_int_equal(w[1], -1000);
	assert_int_equal(w[0], 500);
	assert_int_equal(w[5], -2);
}

static void test_zero_and_non_finite(void **state)
{
	float zero[5] = { 0 };
	int8_t q[5];
	int16_t w[5];
	memset(q, 1, sizeof(q));
	assert_true(quantize_i8(zero, 5, q) == 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(q[i], 0);
	assert_true(quantize_i16(zero, 5, 32767, w) == 0);
	assert_int_equal(dot_i16_i8(w, q, 5), 0);
	assert_true(quantize_i8(zero, 0, q) == 0);

	/* NaN counts as 0; an infinite element leaves no usable scale */
	float nan_in[4] = { 0.5f, NAN, -0.25f, 0 };
	assert_float_equal(quantize_i8(nan_in, 4, q), 0.5f / 127, 1e-9);
	assert_int_equal(q[0], 127);
	assert_int_equal(q[1], 0);
	float inf_in[3] = { 0.5f, INFINITY, -0.25f };
	assert_true(quantize_i8(inf_in, 3, q) == 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(q[i], 0);
}

static void test_dot_odd_dimensions(void **state)
{
	static const int dims[] = { 1, 2, 3, 15, 16, 17, 31, 32, 33, 63, 100, 255, 256, 257, 384, 1000 };
	for (size_t d = 0; d < sizeof(dims) / sizeof(*dims); d++) {
		int n = dims[d], limit = quantize_i16_limit(n);
		int16_t *a = calloc((size_t)n, sizeof(*a));
		int8_t *b = calloc((size_t)n, 1);
		for (int t = 0; t < 20; t++) {
			for (int i = 0; i < n; i++) {
				a[i] = (int16_t)((int)(uniform() * (2 * limit + 1)) - limit);
				b[i] = (int8_t)((int)(uniform() * 255) - 127);
			}
			assert_int_equal(dot_i16_i8(a, b, n), dot_reference(a, b, n));
		}
		/* the extremes: every product at its largest, both signs */
		for (int i = 0; i < n; i++) {
			a[i] = (int16_t)(i % 2 ? -limit : limit);
			b[i] = (int8_t)(i % 2 ? -127 : 127);
		}
		assert_int_equal(dot_i16_i8(a, b, n), (int64_t)n * limit * 127);
		for (int i = 0; i < n; i++)
			b[i] = (int8_t)-b[i];
		assert_int_equal(dot_i16_i8(a, b, n), -(int64_t)n * limit * 127);
		free(a);
		free(b);
	}
}

static void test_dot_range_limit(void **state)
{
	assert_int_equal(quantize_i16_limit(1), 32767);
	assert_int_equal(quantize_i16_limit(256), 32767);
	assert_int_equal(quantize_i16_limit(QUANT_FULL_RANGE_DIM), 32767);
	assert_true(quantize_i16_limit(QUANT_FULL_RANGE_DIM + 1) < 32767);
	assert_int_equal(quantize_i16_limit(4096), INT32_MAX / (127 * 4096));
	assert_int_equal(quantize_i16_limit(20000000), 0);
	for (int n = 1; n <= 70000; n = n * 3 + 1)
		assert_true((int64_t)n * quantize_i16_limit(n) * 127 <= INT32_MAX);

	/* 4096 dimensions at the limit: still exact */
	int n = 4096, limit = quantize_i16_limit(n);
	int16_t *a = malloc((size_t)n * sizeof(*a));
	int8_t *b = malloc((size_t)n);
	for (int i = 0; i < n; i++) {
		a[i] = (int16_t)-limit;
		b[i] = -127;
	}
	assert_int_equal(dot_i16_i8(a, b, n), (int64_t)n * limit * 127);
	free(a);
	free(b);
}

/* The cosine from the integers is within its bound of the float one. */
static void test_cosine_error_bound(void **state)
{
	enum { N = 256 };
	float u[N], v[N];
	int8_t cv[N];
	int16_t cu[N];
	double worst = 0;
	for (int t = 0; t < 500; t++) {
		random_unit(u, N);
		random_unit(v, N);
		float su = quantize_i16(u, N, quantize_i16_limit(N), cu);
		float sv = quantize_i8(v, N, cv);
		double approx = (double)su * sv * dot_i16_i8(cu, cv, N), exact = vec_dot(u, v, N);
		/* |u.v - u'.v'| <= sum |u_i| e_v + |v_i| e_u + e_u e_v, e = scale / 2 */
		double l1u = 0, l1v = 0;
		for (int i = 0; i < N; i++) {
			l1u += fabs(u[i]);
			l1v += fabs(v[i]);
		}
		double bound = l1u * sv / 2 + l1v * su / 2 + N * (double)su * sv / 4;
		assert_true(fabs(approx - exact) <= bound * 1.001 + 1e-6);
		worst = fmax(worst, fabs(approx - exact));
	}
	/* in practice far below a ranking's gaps */
	assert_true(worst < 0.01);
}

/* An index of n random unit vectors (ids 1000 + row). */
static void index_fill(struct vector_index *vi, int dim, size_t n)
{
	memset(vi, 0, sizeof(*vi));
	vi->dim = dim;
	vi->n = n;
	vi->ids = malloc(n * sizeof(long long));
	vi->vectors = malloc(n * (size_t)dim * sizeof(float));
	for (size_t i = 0; i < n; i++) {
		vi->ids[i] = 1000 + (long long)i;
		random_unit(vi->vectors + i * (size_t)dim, dim);
	}
}

static void index_release(struct vector_index *vi)
{
	free(vi->ids);
	free(vi->vectors);
	free(vi->codes);
	free(vi->scales);
}

static int by_score_then_id(const void *a, const void *b)
{
	float p = ((const struct scored *)a)->score, q = ((const struct scored *)b)->score;
	if (p != q)
		return p < q ? 1 : -1;
	long long x = ((const struct scored *)a)->id, y = ((const struct scored *)b)->id;
	return x < y ? -1 : x > y;
}

/* The exact top-k by brute force. */
static void exact_top(const struct vector_index *vi, const float *q, size_t k, struct scored *out)
{
	struct scored *all = malloc(vi->n * sizeof(*all));
	for (size_t i = 0; i < vi->n; i++)
		all[i] = (struct scored){ vi->ids[i],
					  vec_dot(q, vi->vectors + i * (size_t)vi->dim, vi->dim) };
	qsort(all, vi->n, sizeof(*all), by_score_then_id);
	memcpy(out, all, k * sizeof(*out));
	free(all);
}

static void assert_same_top(const struct scored *got, const struct scored *want, size_t k)
{
	for (size_t j = 0; j < k; j++) {
		assert_int_equal(got[j].id, want[j].id);
		/* the float32 rescoring: the very same bits */
		assert_memory_equal(&got[j].score, &want[j].score, sizeof(float));
	}
}

static void test_int8_scan_rescored_is_exact(void **state)
{
	enum { DIM = 64, N = 4000, K = 10 };
	struct vector_index vi;
	struct scored got[K + 1], want[K];
	float q[DIM];
	index_fill(&vi, DIM, N);
	/* near-duplicates of one vector, fewer than the candidates kept: the int8 scan cannot order them, the rescoring does */
	for (size_t i = 100; i < 100 + RESCORE_FACTOR * K - 5; i++) {
		float *v = vi.vectors + i * DIM;
		memcpy(v, vi.vectors + 99 * DIM, sizeof(float) * DIM);
		v[i % DIM] += 1e-4f * (float)(i - 99);
	}
	vectors_quantize(&vi);
	for (int t = 0; t < 30; t++) {
		if (t == 0)
			memcpy(q, vi.vectors + 99 * DIM, sizeof(q));
		else
			random_unit(q, DIM);
		exact_top(&vi, q, K, want);
		assert_int_equal(vectors_top_int8(&vi, q, K, got), K);
		assert_same_top(got, want, K);
	}
	/* fewer vectors than asked for: all of them, in order */
	vi.n = 7;
	exact_top(&vi, q, 7, want);
	assert_int_equal(vectors_top_int8(&vi, q, K, got), 7);
	assert_same_top(got, want, 7);
	index_release(&vi);
}

static void test_int8_scan_odd_dimension(void **state)
{
	enum { DIM = 37, N = 1500, K = 5 };
	struct vector_index vi;
	struct scored got[K], want[K];
	float q[DIM];
	index_fill(&vi, DIM, N);
	vectors_quantize(&vi);
	for (int t = 0; t < 20; t++) {
		random_unit(q, DIM);
		exact_top(&vi, q, K, want);
		assert_int_equal(vectors_top_int8(&vi, q, K, got), K);
		assert_same_top(got, want, K);
	}
	index_release(&vi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_abs_scaling),
		cmocka_unit_test(test_zero_and_non_finite),
		cmocka_unit_test(test_dot_odd_dimensions),
		cmocka_unit_test(test_dot_range_limit),
		cmocka_unit_test(test_cosine_error_bound),
		cmocka_unit_test(test_int8_scan_rescored_is_exact),
		cmocka_unit_test(test_int8_scan_odd_dimension),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
