/*
 * See extract_source.h.  The libraries open files by name: they are given
 * /proc/self/fd/N, which reopens the inode behind the descriptor, not a
 * path anyone can change.
 */
#include "pipeline/extract_source.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/beneath.h"
#include "pipeline/pdf_part.h"

void doc_source_name_in(struct strbuf *err, size_t from, const char *fd_path, const char *path)
{
	struct strbuf fixed = STRBUF_INIT;
	const char *p = err->buf + from, *hit;
	size_t n = strlen(fd_path);
	while ((hit = strstr(p, fd_path))) {
		strbuf_add(&fixed, p, (size_t)(hit - p));
		strbuf_addstr(&fixed, path);
		p = hit + n;
	}
	strbuf_addstr(&fixed, p);
	strbuf_setlen(err, from);
	strbuf_add(err, fixed.buf, fixed.len);
	strbuf_release(&fixed);
}

/* `when`: "since it was collected" or "while it was being read". */
static int changed(const struct file_stamp *now, const struct file_stamp *was, const char *when,
		   struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	int rc = file_stamp_compare(now, was, &why);
	if (rc)
		strbuf_addf(err, "the file changed %s (%s): it is read again on the next run", when,
			    why.buf);
	strbuf_release(&why);
	return rc;
}

int doc_source_open(const struct doc_source *src, struct strbuf *err)
{
	struct file_stamp now;
	struct strbuf why = STRBUF_INIT;
	int fd = open_file_beneath(src->root, src->rel, &now, &why);
	if (fd < 0)
		strbuf_addf(err, "the file changed since it was collected: %s", why.buf);
	else if (changed(&now, &src->stamp, "since it was collected", err)) {
		close(fd);
		fd = -1;
	}
	strbuf_release(&why);
	return fd;
}

int extract_source_pages(struct extractor *ex, const struct doc_source *src, int first, int limit,
			 enum doc_type *type, struct extracted *out, struct pdf_part *part,
			 struct strbuf *err)
{
	*type = TYPE_BINARY;
	int fd = doc_source_open(src, err);
	if (fd < 0)
		return -1;
	int rc = -1;
	char reason[256];
	if (detect_fd(fd, src->path, type, reason, sizeof(reason))) {
		strbuf_addstr(err, reason);
		goto out;
	}
	char fd_path[DOC_SOURCE_FD_PATH];
	doc_source_fd_path(fd, fd_path);
	size_t from = err->len;
	int in_parts = part && *type == TYPE_PDF;
	rc = in_parts ? pdf_scan(ex, fd_path, first, limit, part, err)
		      : extract_document(ex, fd_path, *type, out, err);
	doc_source_name_in(err, from, fd_path, src->path);
	/* Written to while read: the text may be half old, half new. */
	struct stat st;
	struct file_stamp now;
	if (!rc && !fstat(fd, &st)) {
		file_stamp_from(&now, &st);
		if (changed(&now, &src->stamp, "while it was being read", err)) {
			if (in_parts)
				pdf_part_release(part);
			else
				extracted_release(out);
			rc = -1;
		}
	}
out:
	close(fd);
	return rc;
}

int extract_source(struct extractor *ex, const struct doc_source *src, enum doc_type *type,
		   struct extracted *out, struct strbuf *err)
{
	return extract_source_pages(ex, src, 0, 0, type, out, NULL, err);
}

void doc_source_fd_path(int fd, char out[DOC_SOURCE_FD_PATH])
{
	snprintf(out, DOC_SOURCE_FD_PATH, "/proc/self/fd/%d", fd);
}
