/*
 * The API's retraining routes: the policy and the last retraining (GET
 * /api/retrain), one retraining (GET /api/retrain/{id}) and starting one
 * (POST /api/retrain, admin).
 *
 * A retraining started here is a `ragops retrain run --json --trigger api`
 * process of its own session, as POST /api/runs starts `ragops run`: it
 * refits models for seconds or minutes with its own BLAS threads and
 * memory, a crash there cannot take the server down (and the kernel frees
 * run.lock when it dies), and stopping the server does not stop it.  A
 * thread of the server would have known the retraining's id at once; the
 * child's id is read from the store once it has recorded itself.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/json.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/run.h"
#include "serve/routes.h"
#include "serve/run_trigger.h"
#include "serve/server_state.h"

/* The policy is computed again after a minute even when nothing it keys on changed (time windows). */
#define POLICY_CACHE_MS 60000
/* How long POST /api/retrain waits for the retraining to record itself, to answer with its id. */
#define START_WAIT_MS 1000
#define START_POLL_US 20000

#define RETRAIN_LOG "logs/retrainings-started-by-api.log"

/* --- the policy, cached ----------------------------------------------------- */

/*
 * What the verdict depends on besides the clock: the newest feedback, the
 * release in production and the last retraining that decided something
 * (new_feedback counts since it, feedback_eval compares with it).  Ids,
 * never counts: a count stays the same when one row goes and another comes.
 */
static int policy_key(struct store *st, long long key[3], struct strbuf *err)
{
	struct feedback_filter newest = { .limit = 1 };
	struct feedback_record *fb = NULL;
	struct retraining_record *rt = NULL;
	size_t nfb = 0, nrt = 0;
	if (store_feedback_list(st, &newest, &fb, &nfb, err))
		return -1;
	key[0] = nfb ? fb[0].id : 0;
	feedback_records_free(fb, nfb);
	key[1] = store_release_production_id(st, err);
	if (key[1] < 0 || store_retrainings_list(st, 1, 1, &rt, &nrt, err))
		return -1;
	key[2] = nrt ? rt[0].id : 0;
	retraining_records_free(rt, nrt);
	return 0;
}

int server_retrain_policy(struct server *srv, struct store *st, struct retrain_policy *out,
			  struct strbuf *err)
{
	long long key[3];
	int ret = 0;
	if (policy_key(st, key, err))
		return -1;
	/* One computation at a time: a scrape waiting here gets the verdict the other one made. */
	pthread_mutex_lock(&srv->policy_lock);
	double now = time_mono();
	if (!srv->policy_at || (now - srv->policy_at) * 1000 > POLICY_CACHE_MS ||
	    memcmp(key, srv->policy_key, sizeof(srv->policy_key))) {
		struct retrain_policy fresh;
		ret = retrain_should(st, srv->cfg, &fresh, err);
		if (!ret) {
			srv->policy = fresh;
			memcpy(srv->policy_key, key, sizeof(srv->policy_key));
			srv->policy_at = now;
		}
	}
	if (!ret)
		*out = srv->policy;
	pthread_mutex_unlock(&srv->policy_lock);
	return ret;
}

/* --- is something going? ---------------------------------------------------- */

/* Whether the process `*pid` we started still lives; forgets it when not.  Under run_lock. */
static int child_alive(pid_t *pid)
{
	if (*pid > 0 && kill(*pid, 0) == 0)
		return 1;
	*pid = 0;
	return 0;
}

/*
 * Whether some process holds the data folder's run.lock (a run or a
 * retraining, from any process), with why in `why`; the lock is taken and
 * dropped at once when free.  Under run_lock, so that two threads of this
 * server never take it at the same time.
 */
static int folder_locked(struct server *srv, struct strbuf *why)
{
	int fd = data_folder_lock(srv->cfg, why);
	if (fd < 0)
		return 1;
	unlock_file(fd);
	return 0;
}

pid_t server_job_start(struct server_ctx *ctx, char *const *argv, const char *log_name, pid_t *slot,
		       struct reply *rp)
{
	struct server *srv = ctx->srv;
	struct strbuf err = STRBUF_INIT;
	/* One run or retraining per data folder: say so now rather than start one that stops at once. */
	pthread_mutex_lock(&srv->run_lock);
	pid_t pid = -1;
	if (server_job_busy(srv, &err)) {
		reply_error(rp, 409, NULL, "a run or a retraining is already going: %s", err.buf);
	} else {
		char *log = xasprintf("%s/%s", ctx->cfg->data_dir, log_name);
		pid = run_trigger_spawn(argv, log, &err);
		free(log);
		if (pid > 0)
			*slot = pid;
		else
			reply_error(rp, 500, NULL, "%s", err.buf);
	}
	pthread_mutex_unlock(&srv->run_lock);
	strbuf_release(&err);
	return pid > 0 ? pid : -1;
}

int server_job_busy(struct server *srv, struct strbuf *why)
{
	/*
	 * The pids tell of our children that have not taken the lock yet; the
	 * lock, of every run and retraining.
	 */
	if (child_alive(&srv->run_pid)) {
		strbuf_addf(why, "the run this server started (pid %ld) has not finished",
			    (long)srv->run_pid);
		return 1;
	}
	if (child_alive(&srv->retrain_pid)) {
		strbuf_addf(why, "the retraining this server started (pid %ld) has not finished",
			    (long)srv->retrain_pid);
		return 1;
	}
	return folder_locked(srv, why);
}

/*
 * The `limit` newest retraining records (0: all), and whether one is
 * going now: one this server started whose process lives, or a record
 * still "running" while some process holds run.lock (`ragops retrain run`
 * from a shell).  A "running" record nobody holds the lock for was left by
 * a process that died.
 */
static int load_retrainings(struct server *srv, struct store *st, unsigned limit,
			    struct retraining_record **list, size_t *n, int *running, struct strbuf *err)
{
	for (int attempt = 0;; attempt++) {
		pthread_mutex_lock(&srv->run_lock);
		int child = child_alive(&srv->retrain_pid);
		pthread_mutex_unlock(&srv->run_lock);
		if (store_retrainings_list(st, limit, 0, list, n, err))
			return -1;
		*running = child;
		if (child || !*n || !(*list)[0].state || strcmp((*list)[0].state, "running"))
			return 0;
		struct strbuf why = STRBUF_INIT;
		pthread_mutex_lock(&srv->run_lock);
		*running = folder_locked(srv, &why);
		pthread_mutex_unlock(&srv->run_lock);
		strbuf_release(&why);
		/* Free: its process is gone, unless it finished since the list was read. */
		if (*running || attempt)
			return 0;
		retraining_records_free(*list, *n);
	}
}

/* --- JSON ------------------------------------------------------------------- */

/* A record; `live`: a "running" one is going (else it was interrupted). */
static json_t *retraining_json(const struct retraining_record *r, int live)
{
	const char *state = r->state ? r->state : "unknown";
	json_t *report = r->report && strcmp(r->report, "{}") ? json_loads(r->report, 0, NULL) : NULL;
	if (!strcmp(state, "running") && !live)
		state = "interrupted";
	return json_pack("{s:I, s:s, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "id",
			 (json_int_t)r->id, "state", state, "started_at", json_time(r->started_at),
			 "started_at_ms", (json_int_t)r->started_at, "ended_at", json_time(r->ended_at),
			 "ended_at_ms", r->ended_at ? json_integer(r->ended_at) : json_null(),
			 "duration_s",
			 r->ended_at ? json_real((double)(r->ended_at - r->started_at) / 1000.0)
				     : json_null(),
			 "actor", json_str(r->actor), "release",
			 r->release_id ? json_integer(r->release_id) : json_null(), "feedback_upto",
			 (json_int_t)r->feedback_upto, "report", report ? report : json_null());
}

/* --- handlers --------------------------------------------------------------- */

void api_retrain_status(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct retrain_policy p;
	struct retraining_record *list = NULL;
	size_t n = 0;
	int running;
	struct strbuf err = STRBUF_INIT;
	if (server_retrain_policy(ctx->srv, ctx->store, &p, &err) ||
	    load_retrainings(ctx->srv, ctx->store, 1, &list, &n, &running, &err)) {
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	reply_json(rp, 200,
		   json_pack("{s:o, s:o, s:b}", "policy", retrain_policy_json(&p), "last",
			     n ? retraining_json(&list[0], running) : json_null(), "running", running));
	retraining_records_free(list, n);
}

void api_retraining(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct retraining_record *list = NULL;
	size_t n = 0, i;
	int running;
	struct strbuf err = STRBUF_INIT;
	if (load_retrainings(ctx->srv, ctx->store, 0, &list, &n, &running, &err)) {
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	for (i = 0; i < n && list[i].id != rq->path_id; i++)
		;
	if (i == n)
		reply_error(rp, 404, NULL, "no retraining %lld", rq->path_id);
	else
		reply_json(rp, 200, retraining_json(&list[i], running && i == 0));
	retraining_records_free(list, n);
}

/* The newest retraining's id, 0 when none, -1 on error. */
static long long newest_retraining(struct store *st, struct strbuf *err)
{
	struct retraining_record *list = NULL;
	size_t n = 0;
	if (store_retrainings_list(st, 1, 0, &list, &n, err))
		return -1;
	long long id = n ? list[0].id : 0;
	retraining_records_free(list, n);
	return id;
}

/*
 * The id of the retraining `pid` records after `before`: 0 when it has not
 * within START_WAIT_MS, -1 when the process ended without recording one.
 */
static long long wait_for_record(struct server *srv, struct store *st, pid_t pid, long long before)
{
	struct strbuf err = STRBUF_INIT;
	long long id = 0;
	for (int waited = 0; waited <= START_WAIT_MS * 1000; waited += START_POLL_US) {
		pthread_mutex_lock(&srv->run_lock);
		int alive = srv->retrain_pid == pid && kill(pid, 0) == 0;
		pthread_mutex_unlock(&srv->run_lock);
		/* Read after the check: a process that ended has written all it will. */
		long long newest = newest_retraining(st, &err);
		if (newest < 0)
			break;
		if (newest > before) {
			id = newest;
			break;
		}
		if (!alive) {
			id = -1;
			break;
		}
		usleep(START_POLL_US);
	}
	strbuf_release(&err);
	return id;
}

void api_retrain_start(struct server_ctx *ctx, const struct request *rq, struct reply *rp)
{
	struct server *srv = ctx->srv;
	struct strbuf err = STRBUF_INIT;
	if (rq->body_len && strspn(rq->body, " \t\r\n{}") != rq->body_len) {
		reply_error(rp, 400, NULL,
			    "POST /api/retrain takes no fields: the retraining uses the "
			    "server's configuration (retrain.*, validate.golden)");
		return;
	}
	long long prod = store_release_production_id(ctx->store, &err);
	long long before = prod < 0 ? -1 : newest_retraining(ctx->store, &err);
	if (prod < 0 || before < 0) {
		reply_error(rp, 500, NULL, "%s", err.buf);
		strbuf_release(&err);
		return;
	}
	if (!prod) {
		reply_error(rp, 503, NULL,
			    "no release in production to retrain: run 'ragops run --inbox DIR' first");
		return;
	}
	pid_t pid = server_job_start(ctx, srv->commands.retrain, RETRAIN_LOG, &srv->retrain_pid, rp);
	if (pid < 0)
		return;
	log_event(LOG_INFO, 0, NULL, "serve", "started a retraining (pid %ld) for %s", (long)pid,
		  rq->client);
	long long id = wait_for_record(srv, ctx->store, pid, before);
	if (id < 0) {
		/* It ended before it began: most likely a run or a retraining took run.lock meanwhile. */
		pthread_mutex_lock(&srv->run_lock);
		int busy = folder_locked(srv, &err);
		pthread_mutex_unlock(&srv->run_lock);
		if (busy)
			reply_error(rp, 409, NULL, "a run or a retraining is already going: %s",
				    err.buf);
		else
			reply_error(rp, 500, NULL, "the retraining stopped before it began: see %s/%s",
				    ctx->cfg->data_dir, RETRAIN_LOG);
		strbuf_release(&err);
		return;
	}
	if (id)
		reply_header(rp, "Location", "/api/retrain/%lld", id);
	else
		reply_header(rp, "Location", "/api/retrain");
	reply_json(rp, 202,
		   json_pack("{s:o, s:s, s:I, s:s}", "retraining", id ? json_integer(id) : json_null(),
			     "status", "started", "pid", (json_int_t)pid, "output", RETRAIN_LOG));
	strbuf_release(&err);
}
