/*
 * ragops store init | migrate --from DIR: make a store ready, or copy a
 * SQLite store into a new PostgreSQL one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/xalloc.h"
#include "learn/artefact.h"

static const char usage[] =
	"usage: ragops [--store URL] store init\n"
	"       ragops --store URL store migrate --from DIR\n\n"
	"init      create the store (or bring its schema up to this ragops) and say which\n"
	"          it is: any command does that when it opens the store, this one only that\n"
	"migrate   copy the SQLite store of the data folder DIR into the PostgreSQL store\n"
	"          --store names, which must be empty: every table in one transaction,\n"
	"          then both read back and compared value by value before the commit.\n"
	"          The full-text index is not copied (PostgreSQL searches with the\n"
	"          release's lexicon); model files stay in DIR: use it as --data with\n"
	"          the new store.\n\n"
	"Exit codes: 0 done, 2 usage error, 4 the store failed (nothing copied).\n";

static int store_init(struct app *app)
{
	const char *where = *app->cfg.store.url ? "PostgreSQL" : "SQLite";
	printf("store ready: %s, schema version %d\n", where, store_schema_version(app->store));
	return EXIT_OK;
}

static int store_migrate(struct app *app, const char *from_dir)
{
	struct store *from = NULL;
	struct store_copy_report report;
	struct strbuf err = STRBUF_INIT;
	int ret = EXIT_FATAL;
	if (!*app->cfg.store.url) {
		fprintf(stderr, "ragops store migrate: give the PostgreSQL store to copy into"
				" with --store URL\n");
		return EXIT_USAGE;
	}
	char *file = xasprintf("%s/ragops.db", from_dir);
	int missing = access(file, F_OK) != 0;
	free(file);
	if (missing) { /* store_open would make an empty one */
		fprintf(stderr, "ragops store migrate: '%s' holds no store (no ragops.db)\n", from_dir);
		return EXIT_USAGE;
	}
	if (store_open(&from, from_dir, &err) || store_copy(from, app->store, &report, &err)) {
		fprintf(stderr, "ragops store migrate: %s\n", err.buf);
		goto out;
	}
	long long rows = 0;
	for (size_t i = 0; i < report.n; i++) {
		printf("  %-16s %lld rows\n", report.tables[i].table, report.tables[i].rows);
		rows += report.tables[i].rows;
	}
	printf("copied %lld rows from %s, and verified them value by value\n", rows, from_dir);
	/* The model files, for machines that share the store but not the data folder. */
	size_t kept = 0;
	if (artefact_keep_all(app->store, from_dir, &kept, &err)) {
		fprintf(stderr,
			"ragops store migrate: the rows are copied, but not every model file: %s\n"
			"  (machines other than this one cannot load that model until it is rebuilt)\n",
			err.buf);
		goto out;
	}
	printf("kept %zu model files in the store\n", kept);
	ret = EXIT_OK;
out:
	store_close(&from);
	strbuf_release(&err);
	return ret;
}

static int run_store(int argc, char **argv, struct app *app)
{
	if (argc == 2 && !strcmp(argv[1], "init"))
		return store_init(app);
	if (argc == 4 && !strcmp(argv[1], "migrate") && !strcmp(argv[2], "--from"))
		return store_migrate(app, argv[3]);
	if (argc == 3 && !strcmp(argv[1], "migrate") && !strncmp(argv[2], "--from=", 7))
		return store_migrate(app, argv[2] + 7);
	int help = argc == 2 && !strcmp(argv[1], "--help");
	fputs(usage, help ? stdout : stderr);
	return help ? EXIT_OK : EXIT_USAGE;
}

const struct cmd_entry cmd_store_entry = {
	.name = "store",
	.summary = "create the store, or copy a SQLite store into PostgreSQL",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_store,
};
