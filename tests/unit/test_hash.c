/*
 * Unit tests for SHA-256 hashing (core/hash.h): the standard test
 * vectors, streaming equal to one-shot, file hashing equal to hashing the
 * bytes, and a useful error for a missing file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"

static const char empty_sha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char abc_sha[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static void test_standard_vectors(void **state)
{
	char out[SHA256_HEX_LEN + 1];
	sha256_hex("", 0, out);
	assert_string_equal(out, empty_sha);
	sha256_hex("abc", 3, out);
	assert_string_equal(out, abc_sha);
	/* FIPS 180-2 two-block message */
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(two, strlen(two), out);
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_streaming_equals_one_shot(void **state)
{
	unsigned char data[100000];
	char whole[SHA256_HEX_LEN + 1], pieces[SHA256_HEX_LEN + 1];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + (i >> 8));
	sha256_hex(data, sizeof(data), whole);

	/* uneven pieces that straddle the 64-byte block boundaries */
	struct sha256_ctx *ctx = sha256_begin();
	size_t off = 0, step = 1;
	while (off < sizeof(data)) {
		size_t n = step < sizeof(data) - off ? step : sizeof(data) - off;
		sha256_update(ctx, data + off, n);
		off += n;
		step = step * 3 + 7;
	}
	sha256_finish(ctx, pieces);
	assert_string_equal(pieces, whole);

	/* an empty update changes nothing */
	ctx = sha256_begin();
	sha256_update(ctx, "ab", 2);
	sha256_update(ctx, "", 0);
	sha256_update(ctx, "c", 1);
	sha256_finish(ctx, pieces);
	assert_string_equal(pieces, abc_sha);
}

/* Write `len` bytes to a new temp file; returns its path (caller frees and unlinks). */
static char *temp_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/ragops-test-hash-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_file_equals_bytes(void **state)
{
	/* bigger than the 64 KiB read buffer, so the file is read in several pieces */
	size_t len = 200000 + 17;
	unsigned char *data = malloc(len);
	char from_file[SHA256_HEX_LEN + 1], from_bytes[SHA256_HEX_LEN + 1];
	struct strbuf err = STRBUF_INIT;
	long long size = -1;
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i % 251);
	char *path = temp_file(data, len);
	sha256_hex(data, len, from_bytes);
	assert_int_equal(sha256_file(path, from_file, &size, &err), 0);
	assert_string_equal(from_file, from_bytes);
	assert_int_equal(size, (long long)len);
	assert_int_equal(err.len, 0);
	unlink(path);
	free(path);

	/* an empty file hashes like the empty string */
	path = temp_file("", 0);
	assert_int_equal(sha256_file(path, from_file, &size, &err), 0);
	assert_string_equal(from_file, empty_sha);
	assert_int_equal(size, 0);
	unlink(path);
	free(path);
	free(data);
	strbuf_release(&err);
}

static void test_missing_file_error(void **state)
{
	char out[SHA256_HEX_LEN + 1];
	struct strbuf err = STRBUF_INIT;
	const char *path = "/tmp/ragops-test-hash-does-not-exist/photo.pdf";
	assert_int_equal(sha256_file(path, out, NULL, &err), -1);
	assert_non_null(strstr(err.buf, path));
	assert_non_null(strstr(err.buf, "No such file"));
	strbuf_release(&err);

	/* a folder is not a file either */
	assert_int_equal(sha256_file("/tmp", out, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "'/tmp'"));
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard_vectors),
		cmocka_unit_test(test_streaming_equals_one_shot),
		cmocka_unit_test(test_file_equals_bytes),
		cmocka_unit_test(test_missing_file_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
