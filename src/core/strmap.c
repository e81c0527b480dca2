/*
 * String -> integer hash map; see strmap.h.  FNV-1a, linear probing,
 * grown at 50% load.  The keys live in blocks the map owns (a map of a
 * chunk's features holds hundreds: one allocation each was a tenth of the
 * embedder's training), and each slot keeps its hash's low 32 bits, so
 * that a probe compares strings only when those match.
 */
#include "core/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define BLOCK_MIN 4096

struct strmap_block {
	struct strmap_block *prev;
	size_t used, size;
	char bytes[];
};

uint64_t strmap_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void strmap_init(struct strmap *m)
{
	m->cap = 1024;
	m->n = 0;
	m->keys = xcalloc(m->cap, sizeof(char *));
	m->values = xcalloc(m->cap, sizeof(long));
	m->tags = xcalloc(m->cap, sizeof(uint32_t));
	m->blocks = NULL;
}

void strmap_release(struct strmap *m)
{
	for (struct strmap_block *b = m->blocks, *prev; b; b = prev) {
		prev = b->prev;
		free(b);
	}
	free(m->keys);
	free(m->values);
	free(m->tags);
	memset(m, 0, sizeof(*m));
}

/* A copy of key[0, len) with a NUL, in the map's blocks. */
static char *keep_key(struct strmap *m, const char *key, size_t len)
{
	struct strmap_block *b = m->blocks;
	if (!b || b->size - b->used < len + 1) {
		size_t size = b ? b->size * 2 : BLOCK_MIN;
		if (size < len + 1)
			size = len + 1;
		struct strmap_block *fresh = xmalloc(sizeof(*fresh) + size);
		*fresh = (struct strmap_block){ b, 0, size };
		m->blocks = b = fresh;
	}
	char *copy = b->bytes + b->used;
	memcpy(copy, key, len);
	copy[len] = '\0';
	b->used += len + 1;
	return copy;
}

static size_t find(const struct strmap *m, const char *key, size_t len, uint64_t h)
{
	size_t i = h & (m->cap - 1);
	uint32_t tag = (uint32_t)h;
	while (m->keys[i] && (m->tags[i] != tag || strncmp(m->keys[i], key, len) || m->keys[i][len]))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Twice the slots; the keys stay where they are, in the same order of slots as before. */
static void grow(struct strmap *m)
{
	struct strmap bigger = { xcalloc(m->cap * 2, sizeof(char *)),
				 xcalloc(m->cap * 2, sizeof(long)),
				 xcalloc(m->cap * 2, sizeof(uint32_t)),
				 m->cap * 2,
				 m->n,
				 m->blocks };
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t len = strlen(m->keys[i]);
		size_t j = find(&bigger, m->keys[i], len, strmap_hash(m->keys[i], len));
		bigger.keys[j] = m->keys[i];
		bigger.values[j] = m->values[i];
		bigger.tags[j] = m->tags[i];
	}
	free(m->keys);
	free(m->values);
	free(m->tags);
	*m = bigger;
}

long *strmap_slot_hashed(struct strmap *m, const char *key, size_t len, uint64_t hash)
{
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	size_t i = find(m, key, len, hash);
	if (!m->keys[i]) {
		m->keys[i] = keep_key(m, key, len);
		m->values[i] = 0;
		m->tags[i] = (uint32_t)hash;
		m->n++;
	}
	return &m->values[i];
}

long *strmap_slot(struct strmap *m, const char *key, size_t len)
{
	return strmap_slot_hashed(m, key, len, strmap_hash(key, len));
}

const long *strmap_get(const struct strmap *m, const char *key, size_t len)
{
	size_t i = find(m, key, len, strmap_hash(key, len));
	return m->keys[i] ? &m->values[i] : NULL;
}
