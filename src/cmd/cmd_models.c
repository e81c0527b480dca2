/*
 * ragops models: the registry of every model and index artefact.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "ops/releases.h"

static const char usage[] =
	"usage: ragops models [--json]\n\n"
	"Every model and index artefact ragops owns (the built-in embedder, each\n"
	"release's lexicon): kind, version, the model it replaced, parameters, a hash\n"
	"of the data it was built from, metrics, state (candidate, production,\n"
	"archived) and the releases that hold it.\n\n"
	"Exit codes: 0 success, 2 usage error, 4 the store failed.\n";

static void print_models(json_t *arr)
{
	if (!json_array_size(arr)) {
		printf("no model yet: 'ragops run --inbox DIR' builds the first ones\n");
		return;
	}
	printf("%5s  %-9s  %-8s  %-24s  %-10s  %6s  %-14s  %s\n", "ID", "KIND", "NAME", "VERSION",
	       "STATE", "PARENT", "DATA", "RELEASES");
	size_t i;
	json_t *m;
	json_array_foreach(arr, i, m)
	{
		char parent[24] = "-", releases[128] = "", data[16] = "-";
		json_t *p = json_object_get(m, "parent_id");
		if (json_is_integer(p))
			snprintf(parent, sizeof(parent), "%lld", json_integer_value(p));
		const char *hash = json_string_value(json_object_get(m, "data_hash"));
		if (hash)
			snprintf(data, sizeof(data), "%.12s", hash);
		size_t j;
		json_t *r;
		json_array_foreach(json_object_get(m, "releases"), j, r)
		{
			size_t len = strlen(releases);
			snprintf(releases + len, sizeof(releases) - len, "%s%lld", j ? "," : "",
				 json_integer_value(r));
		}
		printf("%5lld  %-9s  %-8s  %-24s  %-10s  %6s  %-14s  %s\n",
		       json_integer_value(json_object_get(m, "id")),
		       json_string_value(json_object_get(m, "kind")),
		       json_string_value(json_object_get(m, "name")),
		       json_string_value(json_object_get(m, "version")),
		       json_string_value(json_object_get(m, "state")), parent, data,
		       *releases ? releases : "-");
	}
}

static int run_models(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	json_t *arr;
	struct strbuf err = STRBUF_INIT;
	if (models_json(app->store, &arr, &err)) {
		fprintf(stderr, "ragops models: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	if (json) {
		cmd_print_json(arr);
	} else {
		print_models(arr);
		json_decref(arr);
	}
	strbuf_release(&err);
	return EXIT_OK;
}

const struct cmd_entry cmd_models_entry = {
	.name = "models",
	.summary = "the registry of models and index artefacts",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_models,
};
