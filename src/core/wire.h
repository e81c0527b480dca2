/*
 * Bytes between two processes of the same binary (the run and its parser
 * workers): native integers and length-prefixed strings, no versioning.
 * A reader never reads past its end: a short or damaged message sets `bad`
 * and every later get returns zero or NULL.
 */
#ifndef CORE_WIRE_H
#define CORE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

void wire_put_u32(struct strbuf *out, uint32_t v);
void wire_put_u64(struct strbuf *out, uint64_t v);
/* NULL travels as NULL. */
void wire_put_str(struct strbuf *out, const char *s);

struct wire_reader {
	const char *p, *end;
	int bad;
};

#define WIRE_READER(data, len)            \
	{                                 \
		(data), (data) + (len), 0 \
	}

uint32_t wire_get_u32(struct wire_reader *r);
uint64_t wire_get_u64(struct wire_reader *r);
/* A pointer into the message and its length; NULL for a NULL string. */
const char *wire_get_str(struct wire_reader *r, size_t *len);
/* The same, copied and NUL-terminated; caller frees. */
char *wire_get_strdup(struct wire_reader *r);
/* Whether the whole message was read, and read well. */
int wire_done(const struct wire_reader *r);

#endif
