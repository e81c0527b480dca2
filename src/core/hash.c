/*
 * SHA-256 through OpenSSL's EVP interface (hardware accelerated where the
 * CPU has SHA extensions).
 */
#include "core/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

struct sha256_ctx {
	EVP_MD_CTX *md;
};

static EVP_MD *sha256_method;

static void fetch_sha256(void)
{
	sha256_method = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/*
 * Fetched once: EVP_sha256() makes each EVP_DigestInit_ex look the
 * implementation up again, and a re-run hashes every file and five stage
 * keys per document (2% of its time went to the lookups).
 */
struct sha256_ctx *sha256_begin(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, fetch_sha256);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !sha256_method || EVP_DigestInit_ex(md, sha256_method, NULL) != 1)
		BUG("cannot initialise SHA-256");
	return (struct sha256_ctx *)md;
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
	EVP_DigestUpdate((EVP_MD_CTX *)ctx, data, len);
}

void sha256_finish(struct sha256_ctx *ctx, char out[SHA256_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex((EVP_MD_CTX *)ctx, md, &n);
	EVP_MD_CTX_free((EVP_MD_CTX *)ctx);
	for (unsigned int i = 0; i < n && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[SHA256_HEX_LEN] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	struct sha256_ctx *ctx = sha256_begin();
	sha256_update(ctx, data, len);
	sha256_finish(ctx, out);
}

int sha256_fd(int fd, const char *name, char out[SHA256_HEX_LEN + 1], long long *size,
	      struct strbuf *err)
{
	unsigned char buf[1 << 16];
	struct sha256_ctx *ctx = sha256_begin();
	long long total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_addf(err, "cannot read '%s': %s", name, strerror(errno));
			sha256_finish(ctx, out);
			return -1;
		}
		if (n == 0)
			break;
		sha256_update(ctx, buf, (size_t)n);
		total += n;
	}
	sha256_finish(ctx, out);
	if (size)
		*size = total;
	return 0;
}

int sha256_file(const char *path, char out[SHA256_HEX_LEN + 1], long long *size, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	int rc = sha256_fd(fd, path, out, size, err);
	close(fd);
	return rc;
}
