/*
 * A growable, always NUL-terminated byte buffer (after git's strbuf).
 * `buf` is never NULL, so a fresh STRBUF_INIT can be printed at once.
 */
#ifndef CORE_STRBUF_H
#define CORE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT                  \
	{                            \
		0, 0, strbuf_slopbuf \
	}

void strbuf_init(struct strbuf *sb, size_t hint);
/* Free the storage; the strbuf is reusable afterwards. */
void strbuf_release(struct strbuf *sb);
/* Hand the storage to the caller, who now owns it and must free it. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
static inline void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
/*
 * Add `s` for a terminal: control characters (C0 but tab, DEL, C1 such as
 * the CSI of escape sequences) become '?', so a file named with ESC or a
 * newline cannot restyle the screen or forge a line.
 */
void strbuf_add_printable(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Drop trailing ASCII whitespace. */
void strbuf_rtrim(struct strbuf *sb);

#endif
