/*
 * See wire.h.
 */
#include "core/wire.h"

#include <string.h>

#include "core/xalloc.h"

void wire_put_u32(struct strbuf *out, uint32_t v)
{
	strbuf_add(out, &v, sizeof(v));
}

void wire_put_u64(struct strbuf *out, uint64_t v)
{
	strbuf_add(out, &v, sizeof(v));
}

void wire_put_str(struct strbuf *out, const char *s)
{
	uint32_t len = s ? (uint32_t)strlen(s) : UINT32_MAX; /* UINT32_MAX: NULL */
	wire_put_u32(out, len);
	if (s)
		strbuf_add(out, s, len);
}

/* The next `size` bytes into `v` (zeros when the message is short: then bad). */
static void get_fixed(struct wire_reader *r, void *v, size_t size)
{
	if (r->bad || (size_t)(r->end - r->p) < size) {
		r->bad = 1;
		memset(v, 0, size);
		return;
	}
	memcpy(v, r->p, size);
	r->p += size;
}

uint32_t wire_get_u32(struct wire_reader *r)
{
	uint32_t v;
	get_fixed(r, &v, sizeof(v));
	return v;
}

uint64_t wire_get_u64(struct wire_reader *r)
{
	uint64_t v;
	get_fixed(r, &v, sizeof(v));
	return v;
}

const char *wire_get_str(struct wire_reader *r, size_t *len)
{
	uint32_t n = wire_get_u32(r);
	*len = 0;
	if (r->bad || n == UINT32_MAX)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	const char *s = r->p;
	r->p += n;
	*len = n;
	return s;
}

char *wire_get_strdup(struct wire_reader *r)
{
	size_t len;
	const char *s = wire_get_str(r, &len);
	return s ? xstrndup(s, len) : NULL;
}

int wire_done(const struct wire_reader *r)
{
	return !r->bad && r->p == r->end;
}
