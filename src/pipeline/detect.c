/*
 * Type detection by magic bytes and, for text, by content: HTML by its
 * tags, Markdown by its heading/fence/link syntax, the rest plain text.
 */
#include "pipeline/detect.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text/utf8.h"

static const unsigned char *memmem_ci(const unsigned char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++)
		if (!strncasecmp((const char *)hay + i, needle, m))
			return hay + i;
	return NULL;
}

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

static int looks_binary(const unsigned char *p, size_t n)
{
	size_t control = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0)
			return 1;
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' && p[i] != '\f')
			control++;
	}
	return control * 100 > n;
}

static int looks_html(const unsigned char *p, size_t n)
{
	size_t i = 0;
	if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < n && isspace(p[i]))
		i++;
	if (i >= n || p[i] != '<')
		return 0;
	return memmem_ci(p + i, n - i, "<!doctype html") || memmem_ci(p + i, n - i, "<html") ||
	       memmem_ci(p + i, n - i, "<head") || memmem_ci(p + i, n - i, "<body");
}

/* Markdown if lines look like "# Title", "```" or "[text](url)". */
static int looks_markdown(const unsigned char *p, size_t n)
{
	int signs = 0;
	for (size_t i = 0; i < n; i++) {
		int line_start = i == 0 || p[i - 1] == '\n';
		if (line_start && p[i] == '#') {
			size_t j = i;
			while (j < n && p[j] == '#' && j - i < 7)
				j++;
			if (j - i <= 6 && j < n && p[j] == ' ')
				signs += 2;
		} else if (line_start && n - i >= 3 && !memcmp(p + i, "```", 3)) {
			signs += 2;
		} else if (p[i] == ']' && i + 1 < n && p[i + 1] == '(') {
			signs++;
		}
	}
	return signs >= 2;
}

enum doc_type detect_type(const unsigned char *p, size_t n)
{
	if (n == 0)
		return TYPE_EMPTY;
	if (n >= 5 && memmem_ci(p, n < 1024 ? n : 1024, "%PDF-"))
		return TYPE_PDF;
	if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
		return TYPE_PNG;
	if (n >= 3 && !memcmp(p, "\xFF\xD8\xFF", 3))
		return TYPE_JPEG;
	if (n >= 4 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4)))
		return TYPE_TIFF;
	/* Windows' "Unicode" text (UTF-16, UTF-32): its type is that of what it says. */
	char utf8[DETECT_HEAD_BYTES];
	size_t converted = wide_head_to_utf8((const char *)p, n, utf8, sizeof(utf8));
	if (converted) {
		p = (const unsigned char *)utf8;
		n = converted;
	}
	if (looks_binary(p, n))
		return TYPE_BINARY;
	if (looks_html(p, n))
		return TYPE_HTML;
	if (looks_markdown(p, n))
		return TYPE_MARKDOWN;
	return TYPE_TEXT;
}

const char *doc_type_name(enum doc_type type)
{
	static const char *const names[] = { "empty", "binary", "pdf",      "png", "jpeg",
					     "tiff",  "text",   "markdown", "html" };
	return names[type];
}

int detect_fd(int fd, const char *name, enum doc_type *type, char *why, size_t whylen)
{
	unsigned char head[DETECT_HEAD_BYTES];
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "no longer a regular file (replaced since it was collected)");
		return -1;
	}
	ssize_t n = pread(fd, head, sizeof(head), 0);
	if (n < 0) {
		snprintf(why, whylen, "cannot read: %s", strerror(errno));
		return -1;
	}
	*type = detect_type(head, (size_t)n);
	/* Content decides; a name settles what content alone cannot ("> quotes" are Markdown too). */
	if (*type == TYPE_TEXT && (ends_with_ci(name, ".md") || ends_with_ci(name, ".markdown")))
		*type = TYPE_MARKDOWN;
	return 0;
}
