/*
 * Fuzz target: the chunk stage (chunk_document, sentence_split) on a
 * document of blocks built from the input (fuzz_blocks).  The first three
 * bytes set chunk.target_chars, chunk.overlap_chars and chunk.min_chars
 * through config_set and config_validate, as a user would; bit 7 of the
 * first byte cleans the document first, as the pipeline does (without it
 * the chunker sees raw blocks: empty ones, tabs, line breaks).  Chunks
 * must be slices of the document text that cover it (fuzz_check_chunks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "fuzz.h"
#include "pipeline/chunk.h"
#include "pipeline/clean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int set_uint(struct config *cfg, const char *key, unsigned value)
{
	char text[32];
	struct strbuf err = STRBUF_INIT;
	snprintf(text, sizeof(text), "%u", value);
	int ret = config_set(cfg, key, text, "fuzz", &err);
	strbuf_release(&err);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct extracted doc = { 0 };
	struct chunk *chunks = NULL;
	size_t n = 0;
	struct strbuf err = STRBUF_INIT;

	if (size < 3)
		return 0;
	config_init(&cfg);
	/* Small targets stress the splitting; 100 is the least the config allows. */
	unsigned target = 100 + (data[0] & 0x7f) * 8;
	if (set_uint(&cfg, "chunk.target_chars", target) ||
	    set_uint(&cfg, "chunk.overlap_chars", data[1] * target / 510) ||
	    set_uint(&cfg, "chunk.min_chars", data[2] * target / 255) || config_validate(&cfg, &err))
		goto cleanup;
	fuzz_blocks(&doc, data + 3, size - 3);
	if (data[0] & 0x80)
		clean_document(&doc, &cfg, 1, NULL);
	chunk_document(&doc, &cfg, &chunks, &n);
	fuzz_check_chunks(&doc, &cfg, chunks, n);
	if (data[0] & 0x80)
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(chunks[i].text[0], "chunk %zu of a cleaned document is empty", i);

	/* Sentence ends: increasing, within the text, the last at its end. */
	size_t len;
	char *text = document_text(&doc, &len);
	size_t max_ends = len / 2 + 2, *ends = xmalloc(max_ends * sizeof(*ends));
	size_t nends = sentence_split(text, len, ends, max_ends);
	FUZZ_CHECK(nends >= 1 && nends <= max_ends && ends[nends - 1] == len,
		   "%zu sentence ends, the last at %zu of %zu", nends, nends ? ends[nends - 1] : 0, len);
	for (size_t i = 1; i < nends; i++)
		FUZZ_CHECK(ends[i - 1] < ends[i], "sentence end %zu at %zu, after %zu", i, ends[i],
			   ends[i - 1]);
	free(ends);
	free(text);
cleanup:
	chunks_free(chunks, n);
	extracted_release(&doc);
	config_release(&cfg);
	strbuf_release(&err);
	return 0;
}
