/*
 * Hunspell dictionaries, loaded once; see spell.h.
 */
#include "text/spell.h"

#include <hunspell.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

struct loaded {
	char *base;
	Hunhandle *h; /* NULL: the files are missing (logged once) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded *loaded;
static size_t nloaded;

static Hunhandle *dictionary(const char *base)
{
	for (size_t i = 0; i < nloaded; i++)
		if (!strcmp(loaded[i].base, base))
			return loaded[i].h;
	struct strbuf aff = STRBUF_INIT, dic = STRBUF_INIT;
	strbuf_addf(&aff, "%s.aff", base);
	strbuf_addf(&dic, "%s.dic", base);
	Hunhandle *h = NULL;
	/* Hunspell says nothing of a missing file: it would know no word at all. */
	if (!access(aff.buf, R_OK) && !access(dic.buf, R_OK))
		h = Hunspell_create(aff.buf, dic.buf);
	else
		log_event(LOG_WARNING, 0, NULL, "answer",
			  "no dictionary at %s (.aff, .dic): unknown names in questions go unnoticed "
			  "(install hunspell-fr and hunspell-en-us, or set the answer.dictionary_* keys)",
			  base);
	strbuf_release(&aff);
	strbuf_release(&dic);
	loaded = xrealloc(loaded, (nloaded + 1) * sizeof(*loaded));
	loaded[nloaded++] = (struct loaded){ xstrdup(base), h };
	return h;
}

void spell_preload(const char *base)
{
	if (!base || !*base)
		return;
	pthread_mutex_lock(&lock);
	dictionary(base);
	pthread_mutex_unlock(&lock);
}

int spell_known(const char *base, const char *word, size_t len)
{
	if (!base || !*base)
		return -1;
	char *w = xstrndup(word, len);
	pthread_mutex_lock(&lock);
	Hunhandle *h = dictionary(base);
	int known = h ? Hunspell_spell(h, w) != 0 : -1;
	pthread_mutex_unlock(&lock);
	free(w);
	return known;
}
