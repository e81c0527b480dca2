/*
 * Question stems; see question.h.
 */
#include "learn/question.h"

#include <string.h>

#include "text/tokenize.h"

int word_stem(struct tokenizer *tok, const char *word, size_t len, struct strbuf *out)
{
	return tokenizer_stem(tok, LANG_FR, word, len, out);
}

size_t question_stems(struct tokenizer *tok, const char *question, struct strmap *stems)
{
	size_t pos = 0, start, end, len = strlen(question), n = 0;
	struct strbuf folded = STRBUF_INIT, stem = STRBUF_INIT;
	while (query_next_word(question, len, &pos, &start, &end, &folded) == 0) {
		if (word_stem(tok, question + start, end - start, &stem))
			continue;
		long *slot = strmap_slot(stems, stem.buf, stem.len);
		n += !*slot;
		*slot = 1;
	}
	strbuf_release(&folded);
	strbuf_release(&stem);
	return n;
}
