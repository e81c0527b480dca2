/*
 * See dynlib.h.
 */
#include "core/dynlib.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/xalloc.h"

/* The first library's reason (dlerror's text), or the first function missing. */
static int fill(const struct dynlib_set *set, void **found, size_t nslots, struct strbuf *err)
{
	size_t slot = 0;
	for (size_t l = 0; l < set->nlibs; l++) {
		const struct dynlib *lib = &set->libs[l];
		void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!handle) {
			const char *why = dlerror();
			strbuf_addf(err, "cannot load %s", why ? why : lib->soname);
			return -1;
		}
		for (size_t f = 0; f < lib->nfunctions && slot < nslots; f++, slot++) {
			found[slot] = dlsym(handle, lib->functions[f]);
			if (!found[slot]) {
				strbuf_addf(err, "%s has no function %s", lib->soname,
					    lib->functions[f]);
				return -1;
			}
		}
	}
	if (slot != nslots)
		BUG("a library table of %zu slots for %zu functions", nslots, slot);
	return 0;
}

int dynlib_load(struct dynlib_set *set, void **table, size_t nslots, struct strbuf *err)
{
	pthread_mutex_lock(&set->lock);
	int rc = 0;
	if (!set->loaded) {
		void **found = xcalloc(nslots, sizeof(void *));
		struct strbuf why = STRBUF_INIT;
		rc = fill(set, found, nslots, &why);
		if (rc == 0) {
			for (size_t i = 0; i < nslots; i++)
				table[i] = found[i];
			if (set->loaded_hook)
				set->loaded_hook();
			set->loaded = 1;
		} else {
			strbuf_addf(err, "%s (are %s installed?)", why.buf, set->packages);
		}
		strbuf_release(&why);
		free(found);
	}
	pthread_mutex_unlock(&set->lock);
	return rc;
}
