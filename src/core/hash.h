/*
 * SHA-256 (OpenSSL libcrypto) as lowercase hex: document identity and
 * cache keys.
 */
#ifndef CORE_HASH_H
#define CORE_HASH_H

#include <stddef.h>

#include "core/strbuf.h"

#define SHA256_HEX_LEN 64

struct sha256_ctx;

struct sha256_ctx *sha256_begin(void);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Writes 64 hex digits + NUL into out and frees ctx. */
void sha256_finish(struct sha256_ctx *ctx, char out[SHA256_HEX_LEN + 1]);

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
/*
 * Hash a file by streaming it (constant memory).  Fails with a reason in
 * err; *size receives the bytes hashed.
 */
int sha256_file(const char *path, char out[SHA256_HEX_LEN + 1], long long *size, struct strbuf *err);
/* The same from an open file, to its end; `name` is for messages. */
int sha256_fd(int fd, const char *name, char out[SHA256_HEX_LEN + 1], long long *size,
	      struct strbuf *err);

#endif
