/*
 * Integer quantisation and the integer dot product; see quantize.h.
 */
#include "retrieval/quantize.h"

#include <math.h>

static float max_abs(const float *v, int n)
{
	float max = 0;
	for (int i = 0; i < n; i++) {
		float a = fabsf(v[i]);
		max = a > max ? a : max;
	}
	return max;
}

/* 1.5 * 2^23: x + ROUND_MAGIC - ROUND_MAGIC is x rounded to the nearest integer (|x| < 2^22). */
#define ROUND_MAGIC 12582912.0f

/* x rounded within +-limit; NaN is 0.  Inline, where lrintf() is a libm call: twice as fast. */
static inline int round_within(float x, float limit)
{
	x = x > limit ? limit : x < -limit ? -limit : x == x ? x : 0;
	return (int)((x + ROUND_MAGIC) - ROUND_MAGIC);
}

/* The factor that maps max|v[i]| to limit, 0 for a zero vector; *scale its inverse. */
static float scale_factor(const float *v, int n, int limit, float *scale)
{
	float max = max_abs(v, n);
	if (!(max > 0) || !isfinite(max)) {
		*scale = 0;
		return 0;
	}
	*scale = max / (float)limit;
	return (float)limit / max;
}

float quantize_i8(const float *v, int n, int8_t *out)
{
	float scale, f = scale_factor(v, n, 127, &scale);
	for (int i = 0; i < n; i++)
		out[i] = (int8_t)round_within(v[i] * f, 127);
	return scale;
}

int quantize_i16_limit(int n)
{
	long long limit = n > 0 ? INT32_MAX / (127LL * n) : 32767;
	return limit > 32767 ? 32767 : (int)limit;
}

float quantize_i16(const float *v, int n, int limit, int16_t *out)
{
	float scale, f = scale_factor(v, n, limit, &scale);
	for (int i = 0; i < n; i++)
		out[i] = (int16_t)round_within(v[i] * f, (float)limit);
	return scale;
}

/*
 * On x86-64 with glibc the loop is compiled twice, for SSE2 and for AVX2
 * (twice as wide), and the dynamic loader picks by CPU (an ifunc): 0.68
 * instead of 1.0 ms for 100,000 vectors of 256.
 */
/* Not under ThreadSanitizer: the resolver would run, instrumented, before its runtime starts. */
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GNUC__) && !defined(__clang__) && \
	!defined(__SANITIZE_THREAD__)
#define SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_CLONES
#endif

SIMD_CLONES int32_t dot_i16_i8(const int16_t *a, const int8_t *b, int n)
{
	/*
	 * A loop over a multiple of 32 needs no scalar epilogue, so gcc's -O2
	 * cost model vectorises it, and int16 * int16 summed into int32 is its
	 * dot-product pattern: pmaddwd, 8 products and 4 sums an instruction
	 * (16 and 8 with AVX2; check with objdump -d).  The int8 * int8 form, or
	 * '#pragma omp simd reduction', compiles to widening multiplies and
	 * adds instead: twice as slow.
	 */
	int32_t s = 0;
	int m = n & ~31;
	for (int i = 0; i < m; i++)
		s += a[i] * (int16_t)b[i];
	for (int i = m; i < n; i++)
		s += a[i] * (int16_t)b[i];
	return s;
}
