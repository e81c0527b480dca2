/*
 * Fuzz target: the configuration file parser.  The input is a ragops.yaml
 * read by config_load_file over the defaults, as `ragops --config FILE`
 * does; a file that loads is then validated, dumped (`ragops config`),
 * turned into run parameters (JSON) and fingerprinted as stages key their
 * caches.
 */
#include <jansson.h>
#include <stdlib.h>

#include "core/config.h"
#include "core/strbuf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys in the run parameters: every key of the configuration, or -1 when not JSON. */
static long keys_in(const char *json)
{
	json_t *j = json ? json_loads(json, 0, NULL) : NULL;
	long n = json_is_object(j) ? (long)json_object_size(j) : -1;
	json_decref(j);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct config cfg;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	config_init(&cfg);
	if (config_load_file(&cfg, path, &err)) {
		FUZZ_CHECK(err.len, "config_load_file failed without saying why");
		goto cleanup;
	}
	FUZZ_CHECK(!err.len, "config_load_file succeeded with an error: %s", err.buf);
	if (config_validate(&cfg, &err)) {
		FUZZ_CHECK(err.len, "config_validate failed without saying why");
		goto cleanup;
	}
	config_dump(&cfg, &out);
	static long all_keys = -1;
	if (all_keys < 0) {
		char *defaults = config_to_json(fuzz_config());
		all_keys = keys_in(defaults);
		free(defaults);
	}
	char *json = config_to_json(&cfg);
	long keys = keys_in(json);
	FUZZ_CHECK(keys == all_keys, "the run parameters hold %ld keys of %ld", keys, all_keys);
	free(json);
	strbuf_reset(&out);
	config_section_fingerprint(&cfg, "chunk.", &out);
cleanup:
	strbuf_release(&out);
	strbuf_release(&err);
	config_release(&cfg);
	return 0;
}
