/*
 * What a file is, from its first bytes; its name only breaks a tie.
 */
#ifndef PIPELINE_DETECT_H
#define PIPELINE_DETECT_H

#include <stddef.h>

enum doc_type {
	TYPE_EMPTY,
	TYPE_BINARY,
	TYPE_PDF,
	TYPE_PNG,
	TYPE_JPEG,
	TYPE_TIFF,
	TYPE_TEXT,
	TYPE_MARKDOWN,
	TYPE_HTML,
};

/* Bytes detect_type wants to see (the start of the file). */
#define DETECT_HEAD_BYTES 8192

enum doc_type detect_type(const unsigned char *head, size_t len);
/* "pdf", "png", ..., "text", "markdown", "html", "binary", "empty" */
const char *doc_type_name(enum doc_type type);
/*
 * Read the head of a file and detect; -1 with a reason when unreadable.
 * The name only settles what the content leaves open (a ".md" of plain
 * paragraphs is Markdown).
 */
int detect_file(const char *path, enum doc_type *type, char *why, size_t whylen);
/* The same from an open file (read from its start, its offset untouched); `name` is its path. */
int detect_fd(int fd, const char *name, enum doc_type *type, char *why, size_t whylen);

#endif
