/*
 * ragops gc [--dry-run] [--json]: retention by hand, and the space back.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/log.h"
#include "ops/retention.h"

static const char usage[] =
	"usage: ragops gc [--dry-run] [--json]\n\n"
	"Remove the history the retention settings let go, as every run does at its\n"
	"end and 'ragops serve' once a day: run records older than retention.runs\n"
	"(default 180d) with their task rows and metrics files, the rows saying a\n"
	"document was unchanged beyond the newest retention.cached_tasks runs\n"
	"(default 10), and the text of questions older than retention.queries\n"
	"(default 90d; their figures stay, so /metrics counters never go down).\n"
	"Never a run in progress, the newest run, a run a kept release was built\n"
	"from, or a deployment's last run.  Documents, releases and models follow\n"
	"releases.keep; feedback is kept.  Then the store gives the space back to\n"
	"the file system: a store created before ragops did this by itself is\n"
	"rewritten once (it needs twice its size free in the data folder and in\n"
	"the temporary folder; gc says when it has not got it).\n\n"
	"   --dry-run   count what would go, change nothing\n"
	"   --json      machine-readable output\n\n"
	"Exit codes: 0 success, 2 usage error, 3 bad retention setting, 4 the store failed.\n";

static long long free_bytes(const char *dir)
{
	struct statvfs v;
	return statvfs(dir, &v) ? 0 : (long long)v.f_bavail * (long long)v.f_frsize;
}

/* Where SQLite writes a VACUUM's temporary copy (os_unix.c's order). */
static const char *sqlite_temp_dir(void)
{
	const char *dirs[] = {
		getenv("SQLITE_TMPDIR"), getenv("TMPDIR"), "/var/tmp", "/usr/tmp", "/tmp", "."
	};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct stat sb;
		if (dirs[i] && !stat(dirs[i], &sb) && S_ISDIR(sb.st_mode) &&
		    !access(dirs[i], W_OK | X_OK))
			return dirs[i];
	}
	return ".";
}

/*
 * A full rewrite builds a copy in the temporary folder, then writes it
 * all into the WAL beside the store: room for both, or the folder
 * lacking it in *short_of.
 */
static int room_to_rewrite(struct app *app, long long store_bytes, const char **short_of)
{
	const char *tmp = sqlite_temp_dir();
	*short_of = free_bytes(app->cfg.data_dir) > 2 * store_bytes ? NULL : app->cfg.data_dir;
	if (!*short_of && free_bytes(tmp) <= 2 * store_bytes)
		*short_of = tmp;
	return !*short_of;
}

static void print_bytes(const char *label, long long bytes)
{
	printf("%-13s %.1f MiB\n", label, bytes / 1048576.0);
}

static int run_gc(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, dry_run = 0, c;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "njh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry_run = 1;
			break;
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
	int can_shrink = store_shrinks_itself(app->store);
	const char *short_of = NULL;
	int rewrite = !can_shrink && room_to_rewrite(app, store_disk_bytes(app->store), &short_of);
	struct retention_report r;
	struct strbuf err = STRBUF_INIT;
	if (retention_apply(app->store, &app->cfg, dry_run, rewrite, &r, &err)) {
		error("ragops gc: %s", err.buf);
		strbuf_release(&err);
		return EXIT_FATAL;
	}
	strbuf_release(&err);
	int cannot_rewrite = !can_shrink && !r.rewritten && !dry_run;
	if (json) {
		json_t *j = retention_report_json(&r);
		json_object_set_new(j, "shrinks_itself", json_boolean(can_shrink || r.rewritten));
		cmd_print_json(j);
	} else {
		char what[256];
		retention_describe(&r, what, sizeof(what));
		printf("%s\n", what);
		print_bytes("store before", r.bytes_before);
		print_bytes(dry_run ? "store now" : "store after", r.bytes_after);
		print_bytes("free inside", r.free_after);
		if (r.rewritten)
			printf("the store was rewritten once: from now on it shrinks by itself\n");
	}
	if (cannot_rewrite && r.rewrite_error[0])
		fprintf(stderr,
			"ragops gc: warning: the store predates self-shrinking and could not be "
			"rewritten (%s): its free pages are reused, not returned\n",
			r.rewrite_error);
	else if (cannot_rewrite)
		fprintf(stderr,
			"ragops gc: warning: the store predates self-shrinking and there is not twice "
			"its size free in '%s' to rewrite it: its free pages are reused, not returned\n",
			short_of);
	char what[256];
	retention_describe(&r, what, sizeof(what));
	log_event(LOG_INFO, 0, NULL, "history", "ragops gc%s: %s", dry_run ? " --dry-run" : "", what);
	return EXIT_OK;
}

const struct cmd_entry cmd_gc_entry = {
	.name = "gc",
	.summary = "remove old runs, task rows and questions by the retention settings",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_gc,
};
