/*
 * String -> integer hash map; see strmap.h.  FNV-1a, linear probing,
 * grown at 50% load.
 */
#include "core/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

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
}

void strmap_release(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

static size_t find(const struct strmap *m, const char *key, size_t len)
{
	size_t i = strmap_hash(key, len) & (m->cap - 1);
	while (m->keys[i] && (strncmp(m->keys[i], key, len) || m->keys[i][len]))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void grow(struct strmap *m)
{
	struct strmap bigger = { xcalloc(m->cap * 2, sizeof(char *)), xcalloc(m->cap * 2, sizeof(long)),
				 m->cap * 2, m->n };
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = find(&bigger, m->keys[i], strlen(m->keys[i]));
		bigger.keys[j] = m->keys[i];
		bigger.values[j] = m->values[i];
	}
	free(m->keys);
	free(m->values);
	*m = bigger;
}

long *strmap_slot(struct strmap *m, const char *key, size_t len)
{
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	size_t i = find(m, key, len);
	if (!m->keys[i]) {
		m->keys[i] = xstrndup(key, len);
		m->values[i] = 0;
		m->n++;
	}
	return &m->values[i];
}

const long *strmap_get(const struct strmap *m, const char *key, size_t len)
{
	size_t i = find(m, key, len);
	return m->keys[i] ? &m->values[i] : NULL;
}
