/*
 * The configuration's keys: for each, its type, where it lives in struct
 * config, its default and its bounds.  One table drives the YAML file,
 * RAGOPS_* variables, -c overrides, `ragops config` and the wire format
 * (core/config.c); not part of the configuration's interface.
 */
#ifndef CORE_CONFIG_FIELDS_H
#define CORE_CONFIG_FIELDS_H

#include <stddef.h>

enum field_type { F_STRING, F_STRING_EMPTY, F_UINT, F_DOUBLE, F_LIST, F_CHOICE, F_SIZE };

struct field {
	const char *key;
	enum field_type type;
	size_t offset;
	const char *def;
	double min, max;
	const char *const *choices; /* F_CHOICE: the allowed words, NULL-terminated */
};

/* Where a key's value lives in struct config. */
#define OFF(member) offsetof(struct config, member)

/* In the order `ragops config` lists them. */
extern const struct field config_fields[];
extern const size_t config_nfields;

#endif
