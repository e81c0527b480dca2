/*
 * See parser_pool.h.  One worker for now, forked on first use and kept for
 * the run: the cost of fork and of a MuPDF context is paid once, not per
 * document.  Requests and answers travel over a socket pair: the path and
 * the detected type out, the wire-encoded result (document_wire.h) back.
 */
#define _GNU_SOURCE /* close_range, sigabbrev_np */
#include "pipeline/parser_pool.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/document_wire.h"
#include "pipeline/extract.h"

struct parser_pool {
	const struct config *cfg;
	pid_t pid;	/* 0: no worker running */
	int fd;		/* our end of its socket */
};

/* --- both ends ------------------------------------------------------------ */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly `len` bytes; with `deadline` > 0 (time_mono), give up then (returns -2). */
static int read_all(int fd, void *buf, size_t len, double deadline)
{
	char *p = buf;
	while (len) {
		if (deadline > 0) {
			double left = deadline - time_mono();
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			int ready = left > 0 ? poll(&pfd, 1, (int)ceil(left * 1000)) : 0;
			if (ready < 0 && errno == EINTR)
				continue;
			if (ready == 0)
				return -2;
		}
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --- the worker ----------------------------------------------------------- */

/* Address space in use now: the ceiling is set above it (ASan alone maps terabytes). */
static unsigned long long address_space_now(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

/*
 * A parser has no business on the network or starting programs: those
 * calls fail with EACCES.  Best effort: without seccomp (an old kernel, a
 * container that forbids it) the other limits still hold.
 */
static void deny_network(void)
{
	static const int denied[] = {
		SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
		SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(execve), SCMP_SYS(execveat),
		SCMP_SYS(ptrace),
	};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return;
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), denied[i], 0);
	seccomp_load(ctx);
	seccomp_release(ctx);
}

static void worker_limits(const struct config *cfg)
{
	struct rlimit lim = { 0, 0 };
	setrlimit(RLIMIT_CORE, &lim);	/* a crash is reported, not dumped */
	if (!getrlimit(RLIMIT_AS, &lim)) {
		rlim_t want = address_space_now() + cfg->ingest.parser_memory;
		if (lim.rlim_max == RLIM_INFINITY || want < lim.rlim_max)
			lim.rlim_cur = want;
		setrlimit(RLIMIT_AS, &lim);
	}
	deny_network();
}

/* The next document gets parser_timeout CPU seconds on top of what the worker used. */
static void worker_cpu_budget(const struct config *cfg)
{
	struct rusage ru;
	struct rlimit lim;
	if (getrusage(RUSAGE_SELF, &ru) || getrlimit(RLIMIT_CPU, &lim))
		return;
	rlim_t used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1);
	rlim_t want = used + (rlim_t)ceil(cfg->ingest.parser_timeout);
	if (lim.rlim_max == RLIM_INFINITY || want < lim.rlim_max)
		lim.rlim_cur = want;
	setrlimit(RLIMIT_CPU, &lim);
}

/*
 * For the tests: RAGOPS_PARSER_FAULT=kind:name[,kind:name...] makes the
 * worker fail the way a parser bug would on files whose path contains
 * `name` (segv, abort, oom, loop), or try the network (net: the document
 * fails with what socket() said).  The run must report it and go on.
 */
static void worker_fault(const char *path, struct strbuf *err)
{
	const char *spec = getenv("RAGOPS_PARSER_FAULT");
	while (spec && *spec) {
		size_t len = strcspn(spec, ",");
		const char *colon = memchr(spec, ':', len);
		char *name = colon ? xstrndup(colon + 1, len - (size_t)(colon + 1 - spec)) : NULL;
		int hit = name && *name && strstr(path, name);
		free(name);
		size_t kind = colon ? (size_t)(colon - spec) : 0;
		if (hit && !strncmp(spec, "segv", kind))
			raise(SIGSEGV);
		else if (hit && !strncmp(spec, "abort", kind))
			abort();
		else if (hit && !strncmp(spec, "oom", kind))
			for (size_t size = 1 << 20;; size *= 2)
				memset(xmalloc(size), 1, size);
		else if (hit && !strncmp(spec, "loop", kind))
			for (volatile unsigned long spin = 0;; spin++)
				;
		else if (hit && !strncmp(spec, "net", kind)) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			strbuf_addf(err, "socket(): %s", fd < 0 ? strerror(errno) : "allowed");
			if (fd >= 0)
				close(fd);
		}
		spec += len + (spec[len] == ',');
	}
}

static void worker_main(int fd, const struct config *cfg)
{
	worker_limits(cfg);
	struct extractor *ex = extractor_new(cfg);
	for (;;) {
		uint32_t len;
		int32_t type;
		if (read_all(fd, &len, sizeof(len), 0) || len > (1u << 20))
			break;
		char *path = xmalloc(len + 1);
		if (read_all(fd, path, len, 0) || read_all(fd, &type, sizeof(type), 0)) {
			free(path);
			break;
		}
		path[len] = '\0';
		worker_cpu_budget(cfg);
		struct extracted doc = { 0 };
		struct strbuf err = STRBUF_INIT, msg = STRBUF_INIT;
		worker_fault(path, &err);
		int rc = err.len ? -1 : extract_document(ex, path, (enum doc_type)type, &doc, &err);
		uint64_t size = 0;
		strbuf_add(&msg, &size, sizeof(size));
		wire_put_extracted(&msg, rc, &doc, err.buf);
		size = msg.len - sizeof(size);
		memcpy(msg.buf, &size, sizeof(size));
		int sent = write_all(fd, msg.buf, msg.len);
		extracted_release(&doc);
		strbuf_release(&err);
		strbuf_release(&msg);
		free(path);
		if (sent)
			break;
	}
	extractor_free(ex);
	_exit(0);	/* not exit(): the run's stdio buffers and atexit handlers are not ours */
}

/* --- the run's side ------------------------------------------------------- */

struct parser_pool *parser_pool_new(const struct config *cfg)
{
	struct parser_pool *pool = xcalloc(1, sizeof(*pool));
	pool->cfg = cfg;
	pool->fd = -1;
	return pool;
}

static int worker_start(struct parser_pool *pool, struct strbuf *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		strbuf_addf(err, "cannot start a parser worker: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);	/* else the child's copy of unwritten output could be written twice */
	pid_t pid = fork();
	if (pid < 0) {
		strbuf_addf(err, "cannot start a parser worker: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Only its socket: not the store, the logs or the run's lock. */
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		signal(SIGPIPE, SIG_DFL);
		worker_main(3, pool->cfg);
	}
	close(sv[1]);
	pool->pid = pid;
	pool->fd = sv[0];
	return 0;
}

/* The worker is gone or must go: reap it and say why the document failed. */
static void worker_lost(struct parser_pool *pool, int timed_out, struct strbuf *err)
{
	int status = 0;
	if (timed_out)
		kill(pool->pid, SIGKILL);
	pid_t got;
	while ((got = waitpid(pool->pid, &status, 0)) < 0 && errno == EINTR)
		;
	close(pool->fd);
	pool->fd = -1;
	pool->pid = 0;
	double limit = pool->cfg->ingest.parser_timeout;
	char mem[32];
	format_size(mem, sizeof(mem), (double)pool->cfg->ingest.parser_memory);
	if (timed_out)
		strbuf_addf(err, "the parser took too long (over ingest.parser_timeout, %g s, of CPU "
			    "or twice that waiting) and was stopped", limit);
	else if (got < 0)
		strbuf_addstr(err, "the parser worker ended without an answer");
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		strbuf_addf(err, "the parser used more than ingest.parser_timeout (%g s) of CPU and "
			    "was stopped", limit);
	else if (WIFSIGNALED(status))
		strbuf_addf(err, "the parser crashed on this file (SIG%s: %s)",
			    sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?",
			    strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == XALLOC_EXIT_CODE)
		strbuf_addf(err, "the parser ran out of memory (over ingest.parser_memory, %s)", mem);
	else
		strbuf_addf(err, "the parser worker exited with status %d",
			    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int send_request(struct parser_pool *pool, const char *path, enum doc_type type)
{
	uint32_t len = (uint32_t)strlen(path);
	int32_t t = (int32_t)type;
	struct strbuf req = STRBUF_INIT;
	strbuf_add(&req, &len, sizeof(len));
	strbuf_add(&req, path, len);
	strbuf_add(&req, &t, sizeof(t));
	int rc = write_all(pool->fd, req.buf, req.len);
	strbuf_release(&req);
	return rc;
}

int parser_pool_extract(struct parser_pool *pool, const char *path, enum doc_type type,
			struct extracted *out, struct strbuf *err)
{
	if (!pool->pid && worker_start(pool, err))
		return -1;
	if (send_request(pool, path, type)) {
		/* It died between documents (killed from outside): one fresh start. */
		struct strbuf ignored = STRBUF_INIT;
		worker_lost(pool, 0, &ignored);
		strbuf_release(&ignored);
		if (worker_start(pool, err) || send_request(pool, path, type)) {
			if (!err->len)
				worker_lost(pool, 0, err);
			return -1;
		}
	}
	/* The CPU limit stops a busy parser; the wall clock one that waits on something. */
	double deadline = time_mono() + 2 * pool->cfg->ingest.parser_timeout + 5;
	uint64_t size;
	int rc = read_all(pool->fd, &size, sizeof(size), deadline);
	if (rc) {
		worker_lost(pool, rc == -2, err);
		return -1;
	}
	char *msg = xmalloc(size + 1);
	rc = read_all(pool->fd, msg, size, deadline);
	if (rc) {
		free(msg);
		worker_lost(pool, rc == -2, err);
		return -1;
	}
	rc = wire_get_extracted(msg, size, out, err);
	free(msg);
	return rc;
}

void parser_pool_free(struct parser_pool *pool)
{
	if (!pool)
		return;
	if (pool->pid) {
		close(pool->fd);	/* the worker reads end-of-file and exits */
		while (waitpid(pool->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(pool);
}
