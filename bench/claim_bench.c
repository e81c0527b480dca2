/*
 * claim_bench: the work queue's coordination cost (bench/pg.sh).
 *
 *     claim_bench STORE poll|drain CLAIMERS ITEMS SECONDS [BATCH]
 *
 * Opens STORE (a PostgreSQL URL, or a data folder for SQLite), begins a
 * run (items are claimable only while their run is 'running'), enqueues
 * ITEMS work items for it, then forks CLAIMERS processes, each on a
 * connection of its own, that call store_work_claim (up to BATCH items a
 * call, default 1) as fast as they can:
 *
 *   poll:  for SECONDS, with nothing to claim -- what idle workers polling
 *          from many machines cost the server.  The ITEMS are claimed by
 *          this process first, under a lease that outlasts the run: with
 *          ITEMS 0 the queue is empty, otherwise it is the queue near the
 *          end of a big run, every item taken and none finished yet;
 *   drain: until a claim comes back empty (SECONDS is a safety cap) --
 *          the ITEMS queued, taken by CLAIMERS at once.
 *
 * Each claim is timed on CLOCK_MONOTONIC (one clock for every process, so
 * the children's times compare).  Prints one line of key=value pairs:
 * claims, items claimed, wall seconds, claims/s, items/s, latency p50,
 * p99 and max in ms.  The run is finished and its items forgotten at the
 * end.  Uses the store's API only: no SQL here.
 *
 * Build: make build/bench/claim_bench (make bench-pg builds it).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "store/store.h"
#include "store/work_queue.h"

#define SETTINGS     "claim-bench"   /* the stage settings items and claimers agree on */
#define LEASE_MS     (3600LL * 1000) /* far beyond a run: no lease runs out and is claimed again */
#define ENQUEUE_STEP 1000            /* items per enqueue transaction, and per claim when holding them */
#define MAX_CLAIMERS 256
/* Never read: claiming does not look at the documents. */
#define FAKE_SHA256 "0000000000000000000000000000000000000000000000000000000000000000"

struct options {
	const char *store;
	int drain; /* 0: poll */
	int claimers;
	long long items;
	double seconds;
	size_t batch;
};

/* What a claimer sends back through its pipe, followed by `claims` latencies in ns. */
struct claimer_report {
	int failed;
	long long claims, items, empty;
	int64_t start_ns, end_ns;
};

struct claimer {
	pid_t pid;
	int results_fd; /* the parent's read end */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_long(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	long long claimers, batch = 1;
	char *end;
	if (argc < 6 || argc > 7)
		return -1;
	o->store = argv[1];
	if (strcmp(argv[2], "poll") && strcmp(argv[2], "drain"))
		return -1;
	o->drain = !strcmp(argv[2], "drain");
	if (parse_long(argv[3], 1, MAX_CLAIMERS, &claimers) ||
	    parse_long(argv[4], o->drain, 100000000, &o->items) ||
	    (argc == 7 && parse_long(argv[6], 1, 10000, &batch)))
		return -1;
	errno = 0;
	o->seconds = strtod(argv[5], &end);
	if (errno || end == argv[5] || *end || !(o->seconds > 0))
		return -1;
	o->claimers = (int)claimers;
	o->batch = (size_t)batch;
	return 0;
}

static int fail(const char *what, const struct strbuf *err)
{
	fprintf(stderr, "claim_bench: %s: %s\n", what, err->buf);
	return -1;
}

/* write(2) and read(2) whole buffers: a pipe moves at most PIPE_BUF at once. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t k = read(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Enqueue `items` documents for the run, a transaction of ENQUEUE_STEP at a time. */
static int enqueue(struct store *st, long long run_id, long long items, struct strbuf *err)
{
	struct work_new batch[ENQUEUE_STEP];
	char paths[ENQUEUE_STEP][32];
	for (long long done = 0; done < items;) {
		size_t n = 0;
		for (; n < ENQUEUE_STEP && done < items; n++, done++) {
			snprintf(paths[n], sizeof(paths[n]), "doc-%08lld.txt", done);
			batch[n] = (struct work_new){ .root = "/bench",
						      .relpath = paths[n],
						      .source = "filesystem",
						      .sha256 = FAKE_SHA256,
						      .size = 1000 };
		}
		if (store_work_enqueue(st, run_id, SETTINGS, batch, n, err))
			return -1;
	}
	return 0;
}

/* Claim every item for an owner that never finishes them: a queue full, with nothing to take. */
static int hold_all(struct store *st, long long items, struct strbuf *err)
{
	struct work_filter filter = { SETTINGS, 1, 1, 0 };
	for (long long held = 0; held < items;) {
		struct work_claim *claims = NULL;
		size_t n = 0;
		if (store_work_claim(st, "claim-bench-holder", LEASE_MS, &filter, ENQUEUE_STEP, &claims,
				     &n, err))
			return -1;
		work_claims_free(claims, n);
		if (!n) {
			strbuf_addf(err, "only %lld of %lld items could be claimed", held, items);
			return -1;
		}
		held += (long long)n;
	}
	return 0;
}

/*
 * A running run holding `items` items, queued (drain) or held (poll).  The
 * connection is closed before the fork: a libpq connection shared with
 * children would be written to by all of them (and ended by the first to
 * exit).
 */
static long long setup_queue(const struct options *o, struct strbuf *err)
{
	struct store *st = NULL;
	struct run_origin origin = { "claim-bench", NULL, 0 };
	if (store_open(&st, o->store, err))
		return -1;
	long long run_id = store_run_begin(st, &origin, "{}", err);
	if (run_id < 0 || enqueue(st, run_id, o->items, err) ||
	    (!o->drain && hold_all(st, o->items, err)))
		run_id = -1;
	store_close(&st);
	return run_id;
}

/* The run ended: its items go, so the next measurement starts from an empty queue. */
static int teardown_queue(const struct options *o, long long run_id, struct strbuf *err)
{
	struct store *st = NULL;
	struct run_stats stats = { 0 };
	int rc = store_open(&st, o->store, err) || store_work_forget(st, run_id, err) ||
		 store_run_finish(st, run_id, "completed", &stats, NULL, err);
	store_close(&st);
	return rc ? -1 : 0;
}

/* One claimer's loop: claims until the deadline, or until the queue is drained. */
static void claim_loop(struct store *st, const char *owner, const struct options *o,
		       struct claimer_report *r, int64_t **lat, size_t *alloc, struct strbuf *err)
{
	struct work_filter filter = { SETTINGS, 1, 1, 0 };
	int64_t deadline = r->start_ns + (int64_t)(o->seconds * 1e9);
	for (;;) {
		struct work_claim *claims = NULL;
		size_t n = 0;
		int64_t t0 = now_ns();
		int rc = store_work_claim(st, owner, LEASE_MS, &filter, o->batch, &claims, &n, err);
		int64_t t1 = now_ns();
		if (rc) {
			r->failed = 1;
			fail("claim", err);
			break;
		}
		work_claims_free(claims, n);
		ALLOC_GROW(*lat, (size_t)r->claims + 1, *alloc);
		(*lat)[r->claims++] = t1 - t0;
		r->items += (long long)n;
		r->empty += n == 0;
		if ((o->drain && n == 0) || t1 >= deadline)
			break;
	}
	r->end_ns = now_ns();
}

/*
 * A child: its own connection and worker record, a byte on `ready_fd`
 * once connected ('r', or 'x' when it could not), then it waits for the
 * parent to close `go_fd`'s other end so that all claimers start at once
 * (the connections' set-up is not measured).
 */
static int claimer_main(int index, const struct options *o, int ready_fd, int go_fd, int results_fd)
{
	struct store *st = NULL;
	struct strbuf err = STRBUF_INIT;
	struct claimer_report r = { 0 };
	int64_t *lat = NULL;
	size_t alloc = 0;
	char owner[64], sig, dummy;
	snprintf(owner, sizeof(owner), "claim-bench-%d@%ld", index, (long)getpid());
	struct worker_info info = { .id = owner,
				    .name = owner,
				    .host = "claim-bench",
				    .version = "claim-bench",
				    .stages = "extract,ocr",
				    .pid = (long long)getpid(),
				    .lease_ms = LEASE_MS };
	if (store_open(&st, o->store, &err) || store_worker_register(st, &info, &err)) {
		fail("claimer connection", &err);
		r.failed = 1;
	}
	sig = r.failed ? 'x' : 'r';
	if (write_all(ready_fd, &sig, 1) || read(go_fd, &dummy, 1) != 0)
		r.failed = 1;
	r.start_ns = r.end_ns = now_ns();
	if (!r.failed)
		claim_loop(st, owner, o, &r, &lat, &alloc, &err);
	if (st)
		store_worker_stopped(st, owner, &err);
	store_close(&st);
	int rc = write_all(results_fd, &r, sizeof(r)) ||
		 write_all(results_fd, lat, (size_t)r.claims * sizeof(*lat));
	free(lat);
	strbuf_release(&err);
	return rc || r.failed;
}

/*
 * Fork the claimers; each is left waiting on `go_w` (the parent's write
 * end) to start.  How many were forked: fewer than asked when pipe or
 * fork failed.
 */
static int spawn_claimers(const struct options *o, struct claimer *kids, int ready_r, int ready_w,
			  int go_r, int go_w)
{
	for (int i = 0; i < o->claimers; i++) {
		int res[2];
		if (pipe(res))
			return i;
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0) {
			close(res[0]);
			close(res[1]);
			return i;
		}
		if (pid == 0) {
			/* Only the parent may hold go_w, or the children never see its close. */
			close(go_w);
			close(ready_r);
			close(res[0]);
			_exit(claimer_main(i, o, ready_w, go_r, res[1]));
		}
		close(res[1]);
		kids[i] = (struct claimer){ pid, res[0] };
	}
	return o->claimers;
}

/* Stop and reap the claimers forked so far: the measurement cannot start. */
static void abandon_claimers(struct claimer *kids, int n)
{
	for (int i = 0; i < n; i++) {
		kill(kids[i].pid, SIGTERM);
		waitpid(kids[i].pid, NULL, 0);
		close(kids[i].results_fd);
	}
}

/* Wait for every claimer's 'ready' byte: 0 when all connected. */
static int await_ready(int claimers, int ready_r)
{
	int ok = 1;
	for (int i = 0; i < claimers; i++) {
		char c;
		if (read_all(ready_r, &c, 1) || c != 'r')
			ok = 0;
	}
	return ok ? 0 : -1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted latencies, in ms. */
static double percentile_ms(const int64_t *sorted, size_t n, double p)
{
	if (!n)
		return 0;
	size_t rank = (size_t)(p / 100 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	return (double)sorted[(rank > n ? n : rank) - 1] / 1e6;
}

/* Read every claimer's report and latencies, reap it, and print the totals. */
static int collect(const struct options *o, struct claimer *kids)
{
	struct claimer_report total = { 0 };
	int64_t *lat = NULL, first = INT64_MAX, last = 0;
	size_t nlat = 0, alloc = 0;
	int failed = 0;
	for (int i = 0; i < o->claimers; i++) {
		struct claimer_report r;
		int status;
		if (read_all(kids[i].results_fd, &r, sizeof(r))) {
			failed = 1;
		} else {
			ALLOC_GROW(lat, nlat + (size_t)r.claims, alloc);
			if (read_all(kids[i].results_fd, lat + nlat, (size_t)r.claims * sizeof(*lat)))
				failed = 1;
			nlat += (size_t)r.claims;
			total.claims += r.claims;
			total.items += r.items;
			total.empty += r.empty;
			failed |= r.failed;
			first = r.start_ns < first ? r.start_ns : first;
			last = r.end_ns > last ? r.end_ns : last;
		}
		close(kids[i].results_fd);
		if (waitpid(kids[i].pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_i64);
	double wall = nlat ? (double)(last - first) / 1e9 : 0;
	printf("mode=%s claimers=%d queue_items=%lld batch=%zu claims=%lld items=%lld empty=%lld wall_s=%.3f"
	       " claims_per_s=%.1f items_per_s=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
	       o->drain ? "drain" : "poll", o->claimers, o->items, o->batch, total.claims, total.items,
	       total.empty, wall, wall > 0 ? (double)total.claims / wall : 0,
	       wall > 0 ? (double)total.items / wall : 0, percentile_ms(lat, nlat, 50),
	       percentile_ms(lat, nlat, 99), percentile_ms(lat, nlat, 100));
	free(lat);
	if (o->drain ? total.items != o->items : total.items != 0) {
		fprintf(stderr, "claim_bench: %lld of %lld items claimed\n", total.items, o->items);
		failed = 1;
	}
	return failed ? -1 : 0;
}

/* Start the claimers together, then gather what they measured. */
static int measure(const struct options *o)
{
	struct claimer kids[MAX_CLAIMERS];
	int ready[2], go[2];
	if (pipe(ready) || pipe(go)) {
		perror("claim_bench: pipe");
		return -1;
	}
	int forked = spawn_claimers(o, kids, ready[0], ready[1], go[0], go[1]);
	if (forked < o->claimers) {
		perror("claim_bench: cannot start the claimers");
		abandon_claimers(kids, forked);
		return -1;
	}
	close(ready[1]);
	close(go[0]);
	int ready_rc = await_ready(o->claimers, ready[0]);
	if (ready_rc)
		fprintf(stderr, "claim_bench: not every claimer could connect\n");
	close(go[1]); /* go: every claimer's read of go[0] returns at once */
	close(ready[0]);
	int rc = collect(o, kids);
	return ready_rc || rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct strbuf err = STRBUF_INIT;
	if (parse_args(argc, argv, &o)) {
		fprintf(stderr,
			"usage: claim_bench STORE poll|drain CLAIMERS(1-%d) ITEMS SECONDS [BATCH]\n",
			MAX_CLAIMERS);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* a parent gone: the child's write fails, it need not die of it */
	long long run_id = setup_queue(&o, &err);
	if (run_id < 0) {
		fail("queue set-up", &err);
		strbuf_release(&err);
		return 1;
	}
	int rc = measure(&o);
	if (teardown_queue(&o, run_id, &err))
		rc = fail("queue teardown", &err);
	strbuf_release(&err);
	return rc ? 1 : 0;
}
