/*
 * ragops config: the effective configuration, after file, environment and flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"

static const char usage[] = "usage: ragops config [--json]\n\n"
			    "Print every configuration key with the value in force: built-in default,\n"
			    "then ragops.yaml (or --config FILE), then RAGOPS_* environment variables\n"
			    "(chunk.target_chars is RAGOPS_CHUNK_TARGET_CHARS), then -c KEY=VALUE.\n"
			    "ragops.example.yaml documents every key.\n";

static int run_config(int argc, char **argv, struct app *app)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "--json")) {
		char *j = config_to_json(&app->cfg);
		puts(j);
		free(j);
		return EXIT_OK;
	}
	if (argc > 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	struct strbuf out = STRBUF_INIT;
	printf("# from %s\n", app->cfg.file ? app->cfg.file : "built-in defaults (no ragops.yaml)");
	config_dump(&app->cfg, &out);
	fputs(out.buf, stdout);
	strbuf_release(&out);
	return EXIT_OK;
}

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.summary = "print the configuration in force",
	.usage = usage,
	.run = run_config,
};
