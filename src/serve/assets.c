/*
 * Lookup in the embedded dashboard files; see assets.h.
 */
#include "serve/assets.h"

#include <string.h>

const struct asset *asset_find(const char *path)
{
	if (!strcmp(path, "/"))
		path = "/index.html";
	for (const struct asset *a = assets; a->path; a++)
		if (!strcmp(a->path, path))
			return a;
	return NULL;
}

const char *asset_content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}
