/*
 * MyThes and WordNet files; see thesaurus.h.
 */
#include "text/thesaurus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "text/tokenize.h"

/* Debian's largest WordNet file is 15 MB, mythes-fr 5 MB: more is no thesaurus. */
#define THESAURUS_FILE_MAX (64u << 20)
/* Words one headword may lead to: a longer line is no synonym list. */
#define WORDS_MAX 256
/*
 * Words in all (mythes-fr has 413,000; WordNet's first three senses fewer):
 * each costs about 80 bytes once stemmed, so a 64 MB file of one-letter
 * words would take gigabytes.
 */
#define WORDS_TOTAL_MAX 2000000u

/* A regular file's text, checked to be UTF-8 without NUL bytes. */
static int read_regular(const char *path, struct strbuf *out, struct strbuf *err)
{
	if (check_regular_file(path, err) || read_file(path, out, THESAURUS_FILE_MAX, err))
		return -1;
	/* Text in UTF-8 without NUL bytes (a NUL would cut a word short, silently). */
	for (size_t i = 0, line = 1, step; i < out->len; i += step) {
		step = out->buf[i] ? utf8_sequence(out->buf + i, out->len - i) : 0;
		if (!step) {
			strbuf_addf(err, "%s:%zu: not UTF-8 text (%s at byte %zu)", path, line,
				    out->buf[i] ? "an invalid sequence" : "a NUL byte", i);
			return -1;
		}
		line += out->buf[i] == '\n';
	}
	return 0;
}

/* The next line of text[*at..len) without its end of line; NULL at the end. */
static const char *next_line(const char *text, size_t len, size_t *at, size_t *line_len)
{
	if (*at >= len)
		return NULL;
	const char *line = text + *at;
	const char *nl = memchr(line, '\n', len - *at);
	size_t n = nl ? (size_t)(nl - line) : len - *at;
	*at += n + (nl != NULL);
	while (n && line[n - 1] == '\r')
		n--;
	*line_len = n;
	return line;
}

/* A MyThes synonym as a word to search: "voiture (générique)" is "voiture"; phrases are none. */
static int mythes_word(const char *s, size_t len, size_t *word_len)
{
	const char *paren = memchr(s, '(', len);
	if (paren)
		len = (size_t)(paren - s);
	while (len && s[len - 1] == ' ')
		len--;
	*word_len = len;
	return len > 0 && !memchr(s, ' ', len);
}

struct bidict *thesaurus_load_mythes(const char *path, enum lang lang, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	if (read_regular(path, &text, err)) {
		strbuf_release(&text);
		return NULL;
	}
	struct bidict *d = bidict_new(lang, lang);
	struct tokenizer *tok = tokenizer_new();
	const char *words[WORDS_MAX];
	size_t lens[WORDS_MAX], at = 0, len, lineno = 1, total = 0;
	const char *line = next_line(text.buf, text.len, &at, &len);
	int ok = line && len == 5 && !strncmp(line, "UTF-8", 5);
	if (!ok)
		strbuf_addf(err,
			    "%s:1: not a MyThes thesaurus in UTF-8 (its first line names the encoding)",
			    path);
	while (ok && (line = next_line(text.buf, text.len, &at, &len))) {
		lineno++;
		const char *bar = memchr(line, '|', len);
		char *end = NULL;
		long senses = bar ? strtol(bar + 1, &end, 10) : -1;
		if (!bar || bar == line || senses < 0 || senses > 1000 || end != line + len) {
			strbuf_addf(err, "%s:%zu: not a MyThes headword line (word|senses)", path,
				    lineno);
			ok = 0;
			break;
		}
		size_t n = 0;
		for (long s = 0; s < senses; s++) {
			size_t slen;
			const char *sense = next_line(text.buf, text.len, &at, &slen);
			lineno++;
			if (!sense) {
				strbuf_addf(err, "%s:%zu: the file ends inside an entry", path, lineno);
				ok = 0;
				break;
			}
			/* "(Nom)|syn|syn": the part of speech first, then the words. */
			const char *p = memchr(sense, '|', slen), *stop = sense + slen;
			while (p && p < stop && n < WORDS_MAX) {
				const char *w = p + 1;
				p = memchr(w, '|', (size_t)(stop - w));
				size_t wlen = (size_t)((p ? p : stop) - w);
				if (mythes_word(w, wlen, &lens[n]))
					words[n++] = w;
			}
		}
		if (ok && (total += n) > WORDS_TOTAL_MAX) {
			strbuf_addf(err, "%s:%zu: more than %u synonyms: not a thesaurus", path, lineno,
				    WORDS_TOTAL_MAX);
			ok = 0;
		}
		if (ok)
			bidict_add(d, tok, line, (size_t)(bar - line), words, lens, n);
	}
	tokenizer_free(tok);
	strbuf_release(&text);
	if (!ok) {
		bidict_free(d);
		return NULL;
	}
	return d;
}

/* WordNet's word as written in a synset ("dog", "shut_down", "big(a)"): NULL for a phrase. */
static size_t wordnet_word(const char *w, size_t len)
{
	const char *paren = memchr(w, '(', len);
	if (paren)
		len = (size_t)(paren - w);
	return memchr(w, '_', len) ? 0 : len;
}

/* The synset at `offset` of a data file: its words but `lemma` into words[], lens[] from *n on. */
static int synset_words(const struct strbuf *data, unsigned long offset, const char *lemma,
			size_t lemma_len, const char **words, size_t *lens, size_t *n)
{
	if (offset >= data->len)
		return -1;
	const char *p = data->buf + offset, *end = memchr(p, '\n', data->len - offset);
	char *next;
	if (!end)
		end = data->buf + data->len;
	/* Only digits at `offset` (strtoul would skip spaces and newlines), then a space. */
	if (*p < '0' || *p > '9' || strtoul(p, &next, 10) != offset || *next != ' ')
		return -1;
	/* offset lex_filenum ss_type w_cnt (hex), then w_cnt times: word lex_id */
	strtoul(next, &next, 10);
	while (next < end && *next == ' ')
		next++;
	while (next < end && *next != ' ')
		next++;
	unsigned long count = strtoul(next, &next, 16);
	/* w_cnt is two hex digits: more, or words past the line's end, is no synset. */
	if (count > 0xff || next >= end)
		return -1;
	for (unsigned long i = 0; i < count; i++) {
		if (next >= end)
			return -1;
		while (next < end && *next == ' ')
			next++;
		const char *w = next;
		while (next < end && *next != ' ' && *next != '\n')
			next++;
		size_t wlen = wordnet_word(w, (size_t)(next - w));
		if (wlen && *n < WORDS_MAX && (wlen != lemma_len || memcmp(w, lemma, wlen))) {
			words[*n] = w;
			lens[(*n)++] = wlen;
		}
		while (next < end && *next == ' ')
			next++;
		while (next < end && ((*next >= '0' && *next <= '9') || (*next >= 'a' && *next <= 'f')))
			next++; /* lex_id */
	}
	return 0;
}

static int wordnet_part(struct bidict *d, struct tokenizer *tok, const char *dir, const char *pos,
			int senses, size_t *total, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, index = STRBUF_INIT, data = STRBUF_INIT;
	int ok = 0;
	strbuf_addf(&path, "%s/data.%s", dir, pos);
	if (read_regular(path.buf, &data, err))
		goto done;
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/index.%s", dir, pos);
	if (read_regular(path.buf, &index, err))
		goto done;
	const char *line, *words[WORDS_MAX];
	size_t at = 0, len, lineno = 0, lens[WORDS_MAX];
	while ((line = next_line(index.buf, index.len, &at, &len))) {
		lineno++;
		if (!len || line[0] == ' ')
			continue; /* the licence, at the top */
		/* lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offset... */
		const char *space = memchr(line, ' ', len);
		if (space && memchr(line, '_', (size_t)(space - line)))
			continue; /* a phrase */
		char *p = space ? (char *)space + 1 : NULL;
		long synsets = -1;
		if (p && p < line + len && *p != ' ') {
			while (p < line + len && *p != ' ')
				p++; /* pos */
			synsets = strtol(p, &p, 10);
			long pointers = strtol(p, &p, 10);
			for (long i = 0; i < pointers && p < line + len; i++) {
				while (p < line + len && *p == ' ')
					p++;
				while (p < line + len && *p != ' ')
					p++;
			}
			strtol(p, &p, 10); /* sense_cnt */
			strtol(p, &p, 10); /* tagsense_cnt */
		}
		if (synsets < 0 || !p || p > line + len) {
			strbuf_addf(err, "%s:%zu: not a WordNet index line", path.buf, lineno);
			goto done;
		}
		size_t n = 0, lemma_len = (size_t)(space - line);
		for (long i = 0; i < synsets && i < senses; i++) {
			unsigned long offset = strtoul(p, &p, 10);
			if (p > line + len ||
			    synset_words(&data, offset, line, lemma_len, words, lens, &n)) {
				strbuf_addf(err, "%s:%zu: synset %lu is not in data.%s", path.buf,
					    lineno, offset, pos);
				goto done;
			}
		}
		if ((*total += n) > WORDS_TOTAL_MAX) {
			strbuf_addf(err, "%s:%zu: more than %u synonyms: not WordNet", path.buf, lineno,
				    WORDS_TOTAL_MAX);
			goto done;
		}
		bidict_add(d, tok, line, lemma_len, words, lens, n);
	}
	ok = 1;
done:
	strbuf_release(&path);
	strbuf_release(&index);
	strbuf_release(&data);
	return ok ? 0 : -1;
}

struct bidict *thesaurus_load_wordnet(const char *dir, int senses, struct strbuf *err)
{
	static const char *const parts[] = { "noun", "verb", "adj", "adv" };
	struct bidict *d = bidict_new(LANG_EN, LANG_EN);
	struct tokenizer *tok = tokenizer_new();
	int ok = 1;
	size_t total = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && ok; i++)
		ok = !wordnet_part(d, tok, dir, parts[i], senses, &total, err);
	tokenizer_free(tok);
	if (!ok) {
		bidict_free(d);
		return NULL;
	}
	return d;
}

struct bidict *thesaurus_load(const char *path, enum lang lang, struct strbuf *err)
{
	struct stat sb;
	if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
		return thesaurus_load_wordnet(path, 3, err);
	return thesaurus_load_mythes(path, lang, err);
}
