/*
 * See token_list.h.  A token is its start and end offsets (u32), whether
 * it is colocated (u8), its length (u16) and its bytes, in host order: a
 * list never leaves the process that made it.
 */
#include "text/token_list.h"

#include <stdint.h>
#include <string.h>

struct token_head {
	uint32_t start, end;
	uint8_t colocated;
	uint16_t len;
};

#define HEAD_BYTES (4 + 4 + 1 + 2)

static int record(void *ctx, const char *token, size_t len, size_t start, size_t end, int colocated)
{
	struct strbuf *out = ctx;
	if (len > UINT16_MAX || end > UINT32_MAX)
		return 0; /* cannot happen: tokens are short and chunks far below 4 GB */
	struct token_head h = { (uint32_t)start, (uint32_t)end, (uint8_t)(colocated != 0),
				(uint16_t)len };
	strbuf_add(out, &h.start, 4);
	strbuf_add(out, &h.end, 4);
	strbuf_add(out, &h.colocated, 1);
	strbuf_add(out, &h.len, 2);
	strbuf_add(out, token, len);
	return 0;
}

void token_list_record(struct tokenizer *tok, enum lang lang, const char *text, size_t len,
		       struct strbuf *out)
{
	tokenizer_run(tok, lang, 0, text, len, record, out);
}

int token_list_replay(const char *list, size_t len, token_fn fn, void *ctx)
{
	size_t p = 0;
	while (p + HEAD_BYTES <= len) {
		struct token_head h;
		memcpy(&h.start, list + p, 4);
		memcpy(&h.end, list + p + 4, 4);
		memcpy(&h.colocated, list + p + 8, 1);
		memcpy(&h.len, list + p + 9, 2);
		p += HEAD_BYTES;
		if (h.len > len - p)
			break;
		int rc = fn(ctx, list + p, h.len, h.start, h.end, h.colocated);
		if (rc)
			return rc;
		p += h.len;
	}
	return 0;
}
