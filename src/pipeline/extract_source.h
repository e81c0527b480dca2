/*
 * Extracting a document from the inbox as collect found it: the file is
 * opened once, without following links from the inbox folder, checked to
 * be the very file hashed (its stamp), typed and read through that one
 * descriptor, and checked again after.  A file swapped, rewritten or
 * routed through a link since collect fails with why; its text is never
 * another file's.
 */
#ifndef PIPELINE_EXTRACT_SOURCE_H
#define PIPELINE_EXTRACT_SOURCE_H

#include "core/fsutil.h"
#include "core/strbuf.h"
#include "pipeline/detect.h"
#include "pipeline/document.h"
#include "pipeline/extract.h"

struct doc_source {
	const char *path; /* for messages: root/relpath */
	const char *root; /* the inbox folder */
	const char *rel;  /* the file read, under root (a link's target for a link) */
	struct file_stamp stamp;
};

/*
 * Open the file for reading, checked to be the one stamped: the
 * descriptor, or -1 with why ("the file changed since it was collected: ...").
 */
int doc_source_open(const struct doc_source *src, struct strbuf *err);
/* The name by which a library reopens the very file behind `fd`. */
#define DOC_SOURCE_FD_PATH 64
void doc_source_fd_path(int fd, char out[DOC_SOURCE_FD_PATH]);
/* In err past `from`, the descriptor's name becomes the file's. */
void doc_source_name_in(struct strbuf *err, size_t from, const char *fd_path, const char *path);

/* *type is set once known (TYPE_BINARY before); -1 with the reason in err. */
int extract_source(struct extractor *ex, const struct doc_source *src, enum doc_type *type,
		   struct extracted *out, struct strbuf *err);
/*
 * The same, but a PDF's pages [first, first + limit) (limit 0: to the end)
 * go to `part`, headings not decided (pdf_part.h); other types, whole, to
 * `out`.  *type says which was filled.
 */
struct pdf_part;
int extract_source_pages(struct extractor *ex, const struct doc_source *src, int first, int limit,
			 enum doc_type *type, struct extracted *out, struct pdf_part *part,
			 struct strbuf *err);

#endif
