/*
 * Fuzz target: the clean stage (clean_document: NFC, ligatures, lines
 * joined, hyphens rejoined, running headers and footers, garbage blocks)
 * on a document of blocks and pages built from the input (fuzz_blocks;
 * its first byte sets clean.repeated_line_ratio), then
 * clean_is_garbage_ocr_line on each block's text.  Cleaned blocks are
 * valid UTF-8, single lines without doubled or edge spaces, and never
 * empty.
 */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "fuzz.h"
#include "pipeline/clean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg = *fuzz_config();
	struct extracted doc = { 0 };
	struct clean_stats stats;

	if (!size)
		return 0;
	/* clean.repeated_line_ratio: 0.1 to 1.0 */
	cfg.clean.repeated_line_ratio = 0.1 + 0.9 * data[0] / 255.0;
	fuzz_blocks(&doc, data + 1, size - 1);
	size_t before = doc.nblocks;
	clean_document(&doc, &cfg, 1, &stats);
	FUZZ_CHECK(doc.nblocks <= before, "%zu blocks out of %zu", doc.nblocks, before);
	fuzz_check_extracted(&doc);
	for (size_t i = 0; i < doc.nblocks; i++) {
		const char *t = doc.blocks[i].text;
		size_t len = strlen(t);
		FUZZ_CHECK(len, "block %zu is empty", i);
		FUZZ_CHECK(!strchr(t, '\n') && !strchr(t, '\t') && !strstr(t, "  ") && t[0] != ' ' &&
				   t[len - 1] != ' ',
			   "block %zu is not one clean line: '%s'", i, t);
		clean_is_garbage_ocr_line(t, len, (float)(data[0] % 101), &cfg);
	}
	extracted_release(&doc);
	return 0;
}
