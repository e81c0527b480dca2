/*
 * An extraction result as bytes, for the trip from a parser worker process
 * back to the run: the outcome, the error or the document (blocks, pages,
 * title, encoding, warnings).  Both ends are the same binary, so the
 * format is private: native integers, length-prefixed strings.
 */
#ifndef PIPELINE_DOCUMENT_WIRE_H
#define PIPELINE_DOCUMENT_WIRE_H

#include "core/strbuf.h"
#include "core/fsutil.h"
#include "core/wire.h"
#include "pipeline/document.h"

/* A file's stamp (fsutil.h), as the run and a worker pass it. */
void wire_put_stamp(struct strbuf *out, const struct file_stamp *stamp);
void wire_get_stamp(struct wire_reader *r, struct file_stamp *stamp);

/* Append the outcome of one extraction (`rc` 0: `doc`; otherwise `error`). */
void wire_put_extracted(struct strbuf *out, int rc, const struct extracted *doc, const char *error);

/*
 * Decode what wire_put_extracted wrote: returns the extraction's rc, with
 * the document in `doc` or its error in `err`; -1 with "damaged message"
 * in `err` when the bytes do not decode.
 */
int wire_get_extracted(const char *data, size_t len, struct extracted *doc, struct strbuf *err);

#endif
