/*
 * Retraining datasets; see retrain_prepare.h.
 */
#include "ops/retrain_prepare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/timeutil.h"
#include "core/version.h"
#include "core/xalloc.h"
#include "ops/scrub.h"

#define SYSTEM_PROMPT                                                                      \
	"Answer the question from the passages given, citing them as [n]. If they do not " \
	"hold the answer, say that you do not know."

struct dataset {
	const char *name;
	struct strbuf lines[2]; /* train, validation */
	size_t records[2];
};

static void emit(struct dataset *ds, int validation, json_t *record)
{
	char *line = json_dumps(record, JSON_COMPACT);
	strbuf_addf(&ds->lines[validation], "%s\n", line);
	ds->records[validation]++;
	free(line);
	json_decref(record);
}

/* A scrubbed copy as a JSON string. */
static json_t *clean(const char *text, size_t *scrubbed)
{
	char *s = scrub_text(text, scrubbed);
	json_t *j = json_string(s);
	free(s);
	return j ? j : json_string("");
}

static void eval_record(struct dataset *ds, const struct retrain_example *e, size_t *scrubbed)
{
	if (!e->nright)
		return;
	char id[32];
	snprintf(id, sizeof(id), "f%lld", e->feedback_id);
	emit(ds, e->validation,
	     json_pack("{s:s, s:o, s:s, s:s, s:n, s:[], s:s}", "id", id, "question",
		       clean(e->question, scrubbed), "lang", "fr", "doc", e->right[0], "page", "phrases",
		       "kind", "feedback"));
}

static void pair_records(struct dataset *ds, const struct retrain_example *e, size_t *scrubbed)
{
	if (!e->positive_text)
		return;
	for (size_t i = 0; i < e->nnegatives; i++)
		emit(ds, e->validation,
		     json_pack("{s:o, s:o, s:o}", "anchor", clean(e->question, scrubbed), "positive",
			       clean(e->positive_text, scrubbed), "negative",
			       clean(e->negative_texts[i], scrubbed)));
}

static void sft_record(struct dataset *ds, const struct retrain_example *e, size_t *scrubbed)
{
	if (!e->corrected)
		return;
	struct strbuf user = STRBUF_INIT;
	for (size_t i = 0; i < e->ncontext; i++)
		strbuf_addf(&user, "[%zu] %s\n\n", i + 1, e->context[i]);
	strbuf_addf(&user, "Question: %s", e->question);
	emit(ds, e->validation,
	     json_pack("{s:[{s:s, s:s}, {s:s, s:o}, {s:s, s:o}]}", "messages", "role", "system",
		       "content", SYSTEM_PROMPT, "role", "user", "content", clean(user.buf, scrubbed),
		       "role", "assistant", "content", clean(e->corrected, scrubbed)));
	strbuf_release(&user);
}

int retrain_prepare(const struct retrain_data *d, long long release, json_t *policy, const char *dir,
		    json_t **manifest, struct strbuf *err)
{
	struct dataset sets[3] = { { .name = "eval.jsonl" },
				   { .name = "pairs.jsonl" },
				   { .name = "sft.jsonl" } };
	size_t scrubbed = 0;
	int ret = -1;
	*manifest = NULL;
	for (int s = 0; s < 3; s++)
		for (int v = 0; v < 2; v++)
			strbuf_init(&sets[s].lines[v], 0);
	for (size_t i = 0; i < d->n; i++) {
		eval_record(&sets[0], &d->items[i], &scrubbed);
		pair_records(&sets[1], &d->items[i], &scrubbed);
		sft_record(&sets[2], &d->items[i], &scrubbed);
	}
	json_t *files = json_object();
	static const char *const splits[2] = { "train", "validation" };
	for (int v = 0; v < 2; v++) {
		char *sub = xasprintf("%s/%s", dir, splits[v]);
		int made = mkdir_p(sub);
		for (int s = 0; s < 3 && !made; s++) {
			char *path = xasprintf("%s/%s", sub, sets[s].name);
			char hex[SHA256_HEX_LEN + 1];
			sha256_hex(sets[s].lines[v].buf, sets[s].lines[v].len, hex);
			made = write_file_atomic(path, sets[s].lines[v].buf, sets[s].lines[v].len, err);
			char *name = xasprintf("%s/%s", splits[v], sets[s].name);
			json_object_set_new(files, name,
					    json_pack("{s:I, s:s}", "records",
						      (json_int_t)sets[s].records[v], "sha256", hex));
			free(name);
			free(path);
		}
		if (made && !err->len)
			strbuf_addf(err, "cannot create %s", sub);
		free(sub);
		if (made) {
			json_decref(files);
			goto cleanup;
		}
	}
	*manifest = json_pack("{s:s, s:I, s:I, s:o, s:{s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
			      " s:{s:I, s:I, s:I}, s:I, s:b, s:O}",
			      "ragops_version", RAGOPS_VERSION, "created_at", (json_int_t)time_now_ms(),
			      "release", (json_int_t)release, "files", files, "feedback", "rows",
			      (json_int_t)d->rows, "upto", (json_int_t)d->feedback_upto, "sha256",
			      d->feedback_hash, "examples", (json_int_t)d->n, "duplicates",
			      (json_int_t)d->duplicates, "missing_documents",
			      (json_int_t)d->missing_docs, "contradictory", (json_int_t)d->contradictory,
			      "unlabelled", (json_int_t)d->unlabelled, "short_corrections",
			      (json_int_t)d->short_corrections, "groups", (json_int_t)d->groups, "split",
			      "train", (json_int_t)d->train, "validation", (json_int_t)d->validation,
			      "groups", (json_int_t)d->groups, "scrubbed", (json_int_t)scrubbed,
			      "shuffled_labels", d->shuffled, "policy", policy ? policy : json_null());
	char *text = json_dumps(*manifest, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *path = xasprintf("%s/manifest.json", dir);
	ret = write_file_atomic(path, text, strlen(text), err) ? -1 : 0;
	free(path);
	free(text);
	if (ret) {
		json_decref(*manifest);
		*manifest = NULL;
	}
cleanup:
	for (int s = 0; s < 3; s++)
		for (int v = 0; v < 2; v++)
			strbuf_release(&sets[s].lines[v]);
	return ret;
}
