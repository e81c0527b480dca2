/*
 * Integer quantisation of embedding vectors for the dense scan: each chunk
 * vector becomes int8 with its own scale (symmetric, max-abs), a quarter of
 * the bytes of float32, and the question int16 with its own scale (the
 * SIMD multiply-add works on int16 anyway: the finer question is free).
 * Their dot product is exact in int32 and approximates the float one to a
 * few thousandths of a unit vector's cosine: good enough to pick
 * candidates, which are then rescored in float32 (retrieve.c).
 */
#ifndef RETRIEVAL_QUANTIZE_H
#define RETRIEVAL_QUANTIZE_H

#include <stdint.h>

/* Dimensions up to which the question keeps the full int16 range: 32767 * 127 * 516 < 2^31. */
#define QUANT_FULL_RANGE_DIM 516

/*
 * v[n] as int8: out[i] = v[i] / scale rounded to the nearest integer, with
 * scale = max|v[i]| / 127, so |v[i] - scale * out[i]| <= scale / 2 (give
 * or take float rounding) and the largest element maps to +-127.  Returns
 * the scale; 0 for a zero vector, or one with an infinite element, whose
 * out[i] are all 0.  NaN elements become 0.
 */
float quantize_i8(const float *v, int n, int8_t *out);

/*
 * The largest |element| of a query quantised for vectors of `n` elements,
 * so that dot_i16_i8() cannot overflow: 32767, less above
 * QUANT_FULL_RANGE_DIM dimensions (INT32_MAX / (127 n)), 0 when n is too
 * large for even +-1 (over 16 million).
 */
int quantize_i16_limit(int n);

/* v[n] as int16 within +-limit, as quantize_i8() does within +-127. */
float quantize_i16(const float *v, int n, int limit, int16_t *out);

/*
 * Sum of a[i] * b[i], exact when every |a[i]| <= quantize_i16_limit(n) and
 * every |b[i]| <= 127.  SIMD multiply-adds (pmaddwd) at -O2.
 */
int32_t dot_i16_i8(const int16_t *a, const int8_t *b, int n);

#endif
