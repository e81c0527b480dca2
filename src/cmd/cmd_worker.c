/*
 * ragops worker: claim documents of the runs on a shared store and put
 * them through the stages, until SIGINT or SIGTERM (pipeline/queue.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "pipeline/queue.h"
#include "pipeline/run.h"

static const char usage[] =
	"usage: ragops --store postgresql://... worker [--id NAME] [--stages extract,ocr]\n\n"
	"Work for the runs of a store shared by several machines: claim their new and\n"
	"changed documents a few at a time, extract, OCR, clean, chunk and save them,\n"
	"until SIGINT or SIGTERM.  Start one on every machine; `ragops run` enqueues\n"
	"the documents and works on them too, then builds the release once all are\n"
	"done.  Each claim is a lease (worker.lease_seconds) renewed by a heartbeat: a\n"
	"worker killed or paused longer loses its documents to another, and its late\n"
	"results are dropped.  The inbox folders must be at the same paths on every\n"
	"machine (a network share), and the settings of the stages the same as the\n"
	"run's: a worker with other settings takes none of its documents.  On a\n"
	"SQLite store, `ragops run` uses every core of its machine itself.\n\n"
	"   --id NAME        the name `ragops workers` shows (default: the host's)\n"
	"   --stages LIST    extract and/or ocr (default both); without ocr, a scanned\n"
	"                    document is handed over to a worker that does OCR\n\n"
	"Exit codes: 0 stopped by a signal, 2 usage error, 3 not a shared store or\n"
	"one last migrated by another ragops version, 4 the store failed or an inbox\n"
	"folder is missing here.\n";

/* A name `ragops workers` can print in its table: no control characters, no escapes. */
#define NAME_MAX_BYTES 64
static int name_is_fit(const char *name)
{
	size_t n = strlen(name);
	if (!n || n > NAME_MAX_BYTES)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int worker_run(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = { { "id", required_argument, NULL, 'i' },
					      { "stages", required_argument, NULL, 's' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *name = NULL;
	struct worker_stages stages = { 1, 1 };
	struct strbuf err = STRBUF_INIT;
	int c;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!name_is_fit(optarg)) {
				fprintf(stderr,
					"ragops worker: --id: a name of 1 to %d printable characters "
					"(no control characters)\n",
					NAME_MAX_BYTES);
				return EXIT_USAGE;
			}
			name = optarg;
			break;
		case 's':
			if (worker_stages_parse(optarg, &stages, &err)) {
				fprintf(stderr, "ragops worker: %s\n", err.buf);
				strbuf_release(&err);
				return EXIT_USAGE;
			}
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
	if (!store_keeps_artefacts(app->store)) {
		fprintf(stderr,
			"ragops worker: the store is SQLite in %s, one machine's: `ragops run` uses "
			"every core there itself.  Workers share a PostgreSQL store (--store "
			"postgresql://..., store.url)\n",
			app->cfg.data_dir);
		return EXIT_CONFIG;
	}
	if (cmd_catch_stop_signals()) {
		error("ragops worker: cannot catch signals: %s", strerror(errno));
		return EXIT_FATAL;
	}
	cmd_stop_says("\nragops worker: stopping once the documents in hand are done; the ones "
		      "not started go back to the queue (a second signal stops at once)\n");
	int rc = queue_worker_serve(app->store, &app->cfg, name, &stages, &err);
	if (rc)
		fprintf(stderr, "ragops worker: %s\n", err.buf);
	strbuf_release(&err);
	return rc == -2 ? EXIT_CONFIG : rc ? EXIT_FATAL : EXIT_OK;
}

const struct cmd_entry cmd_worker_entry = {
	.name = "worker",
	.summary = "claim and process documents of the runs on a shared store",
	.usage = usage,
	.flags = CMD_NEEDS_STORE | CMD_USES_OCR,
	.run = worker_run,
};
