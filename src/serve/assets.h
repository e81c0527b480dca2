/*
 * The dashboard's files, embedded at build time by tools/embed_assets.c.
 */
#ifndef SERVE_ASSETS_H
#define SERVE_ASSETS_H

#include <stddef.h>

struct asset {
	const char *path;          /* "/app.js" */
	const unsigned char *data; /* NUL-terminated for convenience */
	size_t len;
	const char *etag; /* quoted, as the header wants it */
};

/* Terminated by an entry with path NULL. */
extern const struct asset assets[];

/* The asset served at `path` ("/" is "/index.html"), or NULL. */
const struct asset *asset_find(const char *path);
/* The Content-Type for a path, by its extension. */
const char *asset_content_type(const char *path);

#endif
