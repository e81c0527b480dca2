/*
 * The "ragops" FTS5 tokenizer: an adapter from SQLite's v1 tokenizer API
 * to text/tokenize.  Indexed text starts with a language marker
 * (\x1f fr \x1f) that selects the stemmer and yields no token.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "text/token_list.h"
#include "text/tokenize.h"

struct fts_tokenizer {
	struct tokenizer *tok;
	const struct fts_hint *hints; /* two */
};

struct fts_call {
	void *ctx;
	int (*x_token)(void *, int, const char *, int, int, int);
	size_t base;
};

static int fts_create(void *hints, const char **argv, int argc, Fts5Tokenizer **out)
{
	struct fts_tokenizer *t = xcalloc(1, sizeof(*t));
	t->tok = tokenizer_new();
	t->hints = hints;
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void fts_delete(Fts5Tokenizer *p)
{
	struct fts_tokenizer *t = (struct fts_tokenizer *)p;
	if (!t)
		return;
	tokenizer_free(t->tok);
	free(t);
}

static int forward(void *ctx, const char *token, size_t len, size_t start, size_t end, int colocated)
{
	struct fts_call *call = ctx;
	return call->x_token(call->ctx, colocated ? FTS5_TOKEN_COLOCATED : 0, token, (int)len,
			     (int)(start + call->base), (int)(end + call->base));
}

static int fts_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int ntext,
			int (*x_token)(void *, int, const char *, int, int, int))
{
	struct fts_tokenizer *t = (struct fts_tokenizer *)p;
	struct fts_call call = { ctx, x_token, 0 };
	enum lang lang = LANG_UNKNOWN;
	size_t len = ntext > 0 ? (size_t)ntext : 0;

	if (len && text[0] == LANG_MARK) {
		const char *close = memchr(text + 1, LANG_MARK, len - 1);
		if (close) {
			char code[8] = "";
			size_t n = (size_t)(close - text - 1);
			if (n < sizeof(code)) {
				memcpy(code, text + 1, n);
				code[n] = '\0';
			}
			lang = lang_from_code(code);
			call.base = (size_t)(close - text) + 1;
		}
	}
	if (flags == FTS5_TOKENIZE_DOCUMENT && t->hints)
		for (int i = 0; i < 2; i++) {
			const struct fts_hint *h = &t->hints[i];
			if (h->tokens && h->lang == lang && h->len == len - call.base &&
			    !memcmp(h->text, text + call.base, h->len))
				return token_list_replay(h->tokens, h->tokens_len, forward, &call);
		}
	unsigned tflags = 0;
	if (flags & FTS5_TOKENIZE_QUERY)
		tflags |= TOKENIZE_QUERY;
	if (flags & FTS5_TOKENIZE_PREFIX)
		tflags |= TOKENIZE_NO_STEM;
	return tokenizer_run(t->tok, lang, tflags, text + call.base, len - call.base, forward, &call);
}

int sqlite_register_tokenizer(sqlite3 *db, struct fts_hint hints[2], struct strbuf *err)
{
	fts5_api *api = NULL;
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL) != SQLITE_OK) {
		strbuf_addf(err, "SQLite has no FTS5: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (!api || api->iVersion < 2) {
		strbuf_addstr(err, "SQLite's FTS5 API is missing or too old");
		return -1;
	}
	static fts5_tokenizer methods = { fts_create, fts_delete, fts_tokenize };
	if (api->xCreateTokenizer(api, "ragops", hints, &methods, NULL) != SQLITE_OK) {
		strbuf_addf(err, "cannot register the FTS5 tokenizer: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}
