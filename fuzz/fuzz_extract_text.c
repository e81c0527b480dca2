/*
 * Fuzz target: extract_plain_text, plain text: paragraphs, underlined, numbered and capitalised headings.
 * The input is decoded as extract_document decodes a file (text_decode:
 * UTF-8, repaired UTF-8 or Windows-1252; binary is refused there, so it
 * is skipped here), then extracted; blocks must be valid UTF-8 on page 1.
 */
#include "core/strbuf.h"
#include "fuzz.h"
#include "pipeline/extract.h"
#include "text/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf text = STRBUF_INIT;
	struct extracted doc = { 0 };
	size_t repaired = 0;

	if (text_decode((const char *)data, size, &text, &repaired) != ENC_BINARY) {
		FUZZ_CHECK(fuzz_valid_utf8(text.buf, text.len), "text_decode gave invalid UTF-8");
		FUZZ_CHECK(extract_plain_text(text.buf, text.len, &doc) == 0,
			   "extract_plain_text failed");
		FUZZ_CHECK(doc.npages == 1, "%zu pages", doc.npages);
		fuzz_check_extracted(&doc);
	}
	extracted_release(&doc);
	strbuf_release(&text);
	return 0;
}
