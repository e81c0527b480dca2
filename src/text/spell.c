/*
 * Hunspell dictionaries, loaded once; see spell.h.
 */
#include "text/spell.h"

#include <hunspell.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "text/normalize.h"

struct loaded {
	char *base;
	Hunhandle *h; /* NULL: missing or unusable (logged once) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded *loaded;
static size_t nloaded;

/*
 * Words answered already, per dictionary: a suggestion costs tens of
 * milliseconds, and the same unknown word comes back in question after
 * question.  Emptied when full.
 */
#define ANSWERS_MAX 4096
static struct strmap answers; /* initialised at the first word */
static size_t nanswers;

static int regular_file(const char *path)
{
	struct stat sb;
	return !stat(path, &sb) && S_ISREG(sb.st_mode);
}

static Hunhandle *open_dictionary(const char *base, const char *probe)
{
	struct strbuf aff = STRBUF_INIT, dic = STRBUF_INIT;
	strbuf_addf(&aff, "%s.aff", base);
	strbuf_addf(&dic, "%s.dic", base);
	Hunhandle *h = NULL;
	const char *why = NULL;
	/* Hunspell says nothing of a missing or unreadable file: it would know no word. */
	if (!regular_file(aff.buf) || !regular_file(dic.buf)) {
		why = "no regular files .aff and .dic there";
	} else {
		h = Hunspell_create(aff.buf, dic.buf);
		if (h && probe && !Hunspell_spell(h, probe)) {
			Hunspell_destroy(h);
			h = NULL;
			why = "it does not know an ordinary word of its language (damaged?)";
		}
	}
	if (!h)
		log_event(LOG_WARNING, 0, NULL, "answer",
			  "no dictionary at %s: %s; unknown names in questions go unnoticed "
			  "(install hunspell-fr and hunspell-en-us, or set the answer.dictionary_* keys)",
			  base, why ? why : "Hunspell could not read it");
	strbuf_release(&aff);
	strbuf_release(&dic);
	return h;
}

static Hunhandle *dictionary(const char *base, const char *probe)
{
	for (size_t i = 0; i < nloaded; i++)
		if (!strcmp(loaded[i].base, base))
			return loaded[i].h;
	Hunhandle *h = open_dictionary(base, probe);
	loaded = xrealloc(loaded, (nloaded + 1) * sizeof(*loaded));
	loaded[nloaded++] = (struct loaded){ xstrdup(base), h };
	return h;
}

void spell_preload(const char *base, const char *probe)
{
	if (!base || !*base)
		return;
	pthread_mutex_lock(&lock);
	dictionary(base, probe);
	pthread_mutex_unlock(&lock);
}

/* A word as spelling variants agree on it: folded, ligatures spelled out, no hyphens or apostrophes. */
static void variant_key(const char *w, struct strbuf *out)
{
	struct strbuf spelled = STRBUF_INIT;
	for (const char *p = w; *p; p++) {
		if (!strncmp(p, "œ", 2) || !strncmp(p, "Œ", 2)) {
			strbuf_addstr(&spelled, "oe");
			p++;
		} else if (!strncmp(p, "æ", 2) || !strncmp(p, "Æ", 2)) {
			strbuf_addstr(&spelled, "ae");
			p++;
		} else if (!strncmp(p, "’", 3)) {
			p += 2;
		} else if (*p != '-' && *p != '\'') {
			strbuf_addch(&spelled, *p);
		}
	}
	strbuf_reset(out);
	text_fold(spelled.buf, spelled.len, out);
	strbuf_release(&spelled);
}

/* Whether Hunspell's first suggestion for `w` is `w` spelled differently. */
static int spelling_variant(Hunhandle *h, const char *w)
{
	char **list;
	int n = Hunspell_suggest(h, &list, w);
	int same = 0;
	if (n > 0) {
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		variant_key(w, &a);
		variant_key(list[0], &b);
		same = !strchr(list[0], ' ') && !strcmp(a.buf, b.buf);
		strbuf_release(&a);
		strbuf_release(&b);
	}
	Hunspell_free_list(h, &list, n);
	return same;
}

int spell_known(const char *base, const char *probe, const char *word, size_t len)
{
	if (!base || !*base)
		return -1;
	char *w = xstrndup(word, len);
	struct strbuf key = STRBUF_INIT;
	strbuf_addf(&key, "%s%c%s", base, 0x1f, w);
	pthread_mutex_lock(&lock);
	if (!answers.cap)
		strmap_init(&answers);
	const long *seen = strmap_get(&answers, key.buf, key.len);
	int known = seen ? (int)*seen - 2 : -1;
	if (!seen) {
		Hunhandle *h = dictionary(base, probe);
		known = !h ? -1 : Hunspell_spell(h, w) || spelling_variant(h, w);
		if (nanswers == ANSWERS_MAX) {
			strmap_release(&answers);
			strmap_init(&answers);
			nanswers = 0;
		}
		*strmap_slot(&answers, key.buf, key.len) = known + 2;
		nanswers++;
	}
	pthread_mutex_unlock(&lock);
	strbuf_release(&key);
	free(w);
	return known;
}
