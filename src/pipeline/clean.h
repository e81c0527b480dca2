/*
 * The clean stage, in place on an extracted document: Unicode NFC and
 * ligatures, running headers/footers repeated on most pages removed,
 * words hyphenated across line breaks rejoined, lines of a paragraph
 * joined, whitespace collapsed, garbage lines (mostly symbols) dropped.
 */
#ifndef PIPELINE_CLEAN_H
#define PIPELINE_CLEAN_H

#include "core/config.h"
#include "pipeline/document.h"

struct clean_stats {
	size_t repeated_removed, hyphens_joined, garbage_dropped;
	size_t chars_in; /* characters other than white space before cleaning */
};

/* `threads`: how many a document of many blocks may normalise them on (the result is the same). */
void clean_document(struct extracted *doc, const struct config *cfg, int threads,
		    struct clean_stats *stats);

/*
 * An OCR line whose words Tesseract is unsure of and that is mostly
 * symbols is noise (a smudge, a rule, a photo's texture): drop it.
 */
int clean_is_garbage_ocr_line(const char *line, size_t len, float confidence, const struct config *cfg);

/* One block's text: join lines, rejoin hyphenated words, collapse spaces. */
char *clean_block_text(const char *text, size_t *hyphens_joined);

#endif
