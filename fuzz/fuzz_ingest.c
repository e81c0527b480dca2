/*
 * Fuzz target: the document-ingest entry point, bytes to chunks, as the
 * pipeline takes a file (extract_source.c, past its filesystem checks):
 * detect_fd on the open file, extract_document through /proc/self/fd/N
 * (MuPDF for PDFs, image headers, text decoding
 * and the text/Markdown/HTML extractors), then clean_document and
 * chunk_document under the default configuration.  OCR is not run:
 * pages that need it stay as they are.  Run under a 1 GiB allocation cap
 * and a time limit per input (scripts/fuzz.sh).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "fuzz.h"
#include "pipeline/chunk.h"
#include "pipeline/clean.h"
#include "pipeline/detect.h"
#include "pipeline/extract.h"
#include "text/tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct extractor *ex;
	const struct config *cfg = fuzz_config();
	struct extracted doc = { 0 };
	struct strbuf err = STRBUF_INIT;
	struct chunk *chunks = NULL;
	size_t n = 0;
	enum doc_type type;
	char why[256];

	if (!ex)
		ex = extractor_new(cfg);
	const char *path = fuzz_file(data, size); /* a memfd's /proc/self/fd/N */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0, "cannot open the input file");
	int detected = detect_fd(fd, path, &type, why, sizeof(why));
	close(fd);
	if (detected)
		goto cleanup;
	if (extract_document(ex, path, type, &doc, &err)) {
		FUZZ_CHECK(err.len, "a %s failed to extract without a reason", doc_type_name(type));
		goto cleanup;
	}
	fuzz_check_extracted(&doc);
	clean_document(&doc, cfg, 1, NULL);
	chunk_document(&doc, cfg, &chunks, &n);
	fuzz_check_chunks(&doc, cfg, chunks, n);
	size_t len;
	char *text = document_text(&doc, &len);
	lang_detect(text, len);
	free(text);
cleanup:
	chunks_free(chunks, n);
	extracted_release(&doc);
	strbuf_release(&err);
	return 0;
}
