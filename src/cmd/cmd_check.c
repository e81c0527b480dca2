/*
 * ragops check: verify the store (SQLite integrity, foreign keys, full-text index).
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"

static const char usage[] = "usage: ragops check\n\n"
			    "Verify the store: SQLite integrity and foreign keys, the full-text index\n"
			    "against the chunks, and the per-document chunk counts.\n"
			    "Exit codes: 0 intact, 4 damaged (the problems are listed).\n";

static int run_check(int argc, char **argv, struct app *app)
{
	if (argc > 1) {
		fputs(usage, strcmp(argv[1], "--help") ? stderr : stdout);
		return strcmp(argv[1], "--help") ? EXIT_USAGE : EXIT_OK;
	}
	struct strbuf report = STRBUF_INIT, err = STRBUF_INIT;
	struct store_totals tot = { 0 };
	int ret = EXIT_OK;
	if (store_check(app->store, &report)) {
		printf("store damaged:\n%s", report.buf);
		ret = EXIT_FATAL;
	} else {
		store_totals(app->store, &tot, &err);
		printf("store ok: schema version %d, %lld documents, %lld pages, %lld chunks\n",
		       store_schema_version(app->store), tot.documents, tot.pages, tot.chunks);
	}
	strbuf_release(&report);
	strbuf_release(&err);
	return ret;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.summary = "verify the store's integrity",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_check,
};
