/*
 * ragops deploy promote ID | rollback: move production between releases,
 * in one transaction each, audited with the Unix user.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/strutil.h"
#include "ops/releases.h"

static const char usage[] =
	"usage: ragops deploy promote ID [--force] [--reason TEXT] [--json]\n"
	"       ragops deploy rollback [--reason TEXT] [--json]\n\n"
	"promote puts release ID in production after the gate's checks against the\n"
	"release in production now: the structural ones always, the golden-set ones\n"
	"unless --force (recorded as forced, with the reason).  rollback puts back the\n"
	"release that the one in production replaced.  Either is one transaction,\n"
	"audited (when, from, to, by whom, why: see 'ragops releases show ID'), and a\n"
	"running 'ragops serve' answers from the new release within a second.\n\n"
	"   --force         skip the quality gate (never the structural checks)\n"
	"   --reason TEXT   why, for the audit trail\n"
	"   --json          the outcome as JSON\n\n"
	"Exit codes: 0 done, 2 usage error (or already in production), 4 the store\n"
	"failed, 5 no such release or nothing to roll back to, 6 refused by the gate.\n";

static void report(int json, const char *action, long long from, long long to, int ok,
		   const char *message)
{
	if (json) {
		cmd_print_json(json_pack("{s:s, s:b, s:o, s:o, s:s}", "action", action, "done", ok,
					 "from", from ? json_integer(from) : json_null(), "to",
					 to ? json_integer(to) : json_null(), "message", message));
	} else if (ok) {
		printf("%s\n", message);
	} else {
		fprintf(stderr, "ragops deploy %s: %s\n", action, message);
	}
}

static int promote(struct app *app, long long id, int force, const char *reason, int json)
{
	struct strbuf msg = STRBUF_INIT, err = STRBUF_INIT, out = STRBUF_INIT;
	struct release_action a = { .actor = release_actor_user(), .reason = reason, .forced = force };
	long long from = store_release_production_id(app->store, &err);
	enum promote_result rc = release_promote(app->store, &app->cfg, id, &a, &msg, &err);
	int ret = EXIT_FATAL;
	switch (rc) {
	case PROMOTE_DONE:
		strbuf_addf(&out, "release %lld promoted%s (%s)", id, force ? " by force" : "", msg.buf);
		if (from > 0)
			strbuf_addf(&out,
				    "; release %lld archived, 'ragops deploy rollback' returns to it",
				    from);
		ret = EXIT_OK;
		break;
	case PROMOTE_REFUSED:
		strbuf_addf(&out, "release %lld refused: %s; production unchanged%s", id, msg.buf,
			    force ? "" : " (--force skips the quality checks, not the structural ones)");
		ret = EXIT_REFUSED;
		break;
	case PROMOTE_NO_SUCH:
		strbuf_addf(&out, "%s (see 'ragops releases')", err.buf);
		ret = EXIT_NOT_FOUND;
		break;
	case PROMOTE_ALREADY:
		strbuf_addstr(&out, err.buf);
		ret = EXIT_USAGE;
		break;
	case PROMOTE_MOVED:
		strbuf_addf(&out,
			    "%s: release %lld was checked against another production, nothing "
			    "changed; try again",
			    err.buf, id);
		ret = EXIT_FATAL;
		break;
	case PROMOTE_FAILED:
		strbuf_addstr(&out, err.buf);
		ret = EXIT_FATAL;
		break;
	}
	report(json, "promote", from > 0 ? from : 0, id, rc == PROMOTE_DONE, out.buf);
	strbuf_release(&msg);
	strbuf_release(&err);
	strbuf_release(&out);
	return ret;
}

static int rollback(struct app *app, const char *reason, int json)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct release_action a = { .actor = release_actor_user(), .reason = reason };
	long long from, to;
	enum store_release_change rc = store_release_rollback(app->store, &a, &from, &to, &err);
	if (rc == STORE_RELEASE_CHANGED)
		strbuf_addf(&out, "production is release %lld again (release %lld archived)", to, from);
	else
		strbuf_addstr(&out, err.buf);
	report(json, "rollback", from, to, rc == STORE_RELEASE_CHANGED, out.buf);
	strbuf_release(&err);
	strbuf_release(&out);
	return rc == STORE_RELEASE_CHANGED  ? EXIT_OK
	       : rc == STORE_RELEASE_FAILED ? EXIT_FATAL
					    : EXIT_NOT_FOUND;
}

static int run_deploy(int argc, char **argv, struct app *app)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, force = 0, c;
	const char *reason = NULL;
	cmd_reset_getopt();
	while ((c = getopt_long(argc, argv, "fr:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'r':
			reason = optarg;
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
	const char *action = optind < argc ? argv[optind] : NULL;
	if (action && !strcmp(action, "promote") && optind + 2 == argc) {
		long long id;
		if (parse_ll(argv[optind + 1], &id) || id <= 0) {
			fprintf(stderr,
				"ragops deploy promote: '%s' is not a release id (see 'ragops "
				"releases')\n",
				argv[optind + 1]);
			return EXIT_USAGE;
		}
		return promote(app, id, force, reason, json);
	}
	if (action && !strcmp(action, "rollback") && optind + 1 == argc) {
		if (force) {
			fprintf(stderr, "ragops deploy rollback: --force is for promote\n");
			return EXIT_USAGE;
		}
		return rollback(app, reason, json);
	}
	if (action && !strcmp(action, "promote"))
		fprintf(stderr,
			"ragops deploy promote: which release? usage: ragops deploy promote ID\n");
	else if (action && strcmp(action, "rollback"))
		fprintf(stderr, "ragops deploy: unknown action '%s' (promote or rollback)\n", action);
	else
		fputs(usage, stderr);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_deploy_entry = {
	.name = "deploy",
	.summary = "promote a release to production, or roll back to the one before",
	.usage = usage,
	.flags = CMD_NEEDS_STORE,
	.run = run_deploy,
};
