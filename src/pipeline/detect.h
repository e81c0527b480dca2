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
 * Read the head of an open file (from its start, its offset untouched)
 * and detect; -1 with a reason when unreadable or not a regular file.
 * `name`, its path, only settles what the content leaves open (a ".md" of
 * plain paragraphs is Markdown).
 */
int detect_fd(int fd, const char *name, enum doc_type *type, char *why, size_t whylen);

#endif
