/*
 * The chunk stage: cleaned blocks become retrieval units that follow the
 * document's structure.  A heading starts a new chunk (unless the current
 * one is still under chunk.min_chars); paragraphs fill a chunk up to
 * chunk.target_chars (half as much more to keep a sentence announcing what
 * follows, "comme suit :", with what it announces); an overlong paragraph
 * is cut between sentences, an overlong sentence between words.
 * Consecutive chunks of a section share
 * up to chunk.overlap_chars of whole sentences.  Chunk text is always a
 * slice of the document text, so offsets point back into it.
 */
#ifndef PIPELINE_CHUNK_H
#define PIPELINE_CHUNK_H

#include "core/config.h"
#include "pipeline/document.h"

/* Join the blocks into the document text the offsets refer to ("\n\n" between blocks). */
char *document_text(const struct extracted *doc, size_t *len);

int chunk_document(const struct extracted *doc, const struct config *cfg, struct chunk **out, size_t *n);

/*
 * Sentence ends in `text`: calls fn with the end offset of each sentence
 * (after its punctuation).  Exposed for tests.
 */
size_t sentence_split(const char *text, size_t len, size_t *ends, size_t max_ends);
/*
 * Whether text[0, len) announces what follows: it ends with a colon,
 * spaces and closing quotes aside ("... comme suit :", "as follows:").
 */
int announces_what_follows(const char *text, size_t len);

#endif
