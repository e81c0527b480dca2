/*
 * A string -> integer hash map (open addressing), for vocabularies.
 */
#ifndef CORE_STRMAP_H
#define CORE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_block;

struct strmap {
	char **keys; /* NULL: a free slot; the map owns the strings */
	long *values;
	uint32_t *tags; /* each key's hash, its low bits */
	size_t cap, n;
	struct strmap_block *blocks; /* where the keys are */
};

void strmap_init(struct strmap *m);
void strmap_release(struct strmap *m);
/* The value's slot for `key`, added with value 0 when new. */
long *strmap_slot(struct strmap *m, const char *key, size_t len);
/* The hash the map places `key` by (FNV-1a), for a caller that splits keys among maps. */
uint64_t strmap_hash(const char *key, size_t len);
/* strmap_slot for a key whose strmap_hash the caller has. */
long *strmap_slot_hashed(struct strmap *m, const char *key, size_t len, uint64_t hash);
/* The value for `key`, or NULL. */
const long *strmap_get(const struct strmap *m, const char *key, size_t len);

#endif
