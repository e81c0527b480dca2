/*
 * See worker_process.h.  A request travels as its length (8 bytes), the
 * CPU seconds it may use (a double) and its bytes; a reply as its length
 * and its bytes.
 */
#define _GNU_SOURCE /* close_range, sigabbrev_np, environ */
#include "pipeline/worker_process.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"

/*
 * The largest reply: a document's text is far below it.  A reply is read
 * as its bytes arrive, so a worker that announces more than it sends
 * costs nothing.
 */
#define MESSAGE_MAX ((uint64_t)1 << 30)
#define READ_STEP   ((size_t)1 << 20)

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

enum read_result { READ_OK = 0, READ_CLOSED = -1, READ_TIMED_OUT = -2 };

/*
 * What a worker writes on stderr (a library's warning, an assertion) is
 * kept, up to SAID_MAX bytes a request, and logged with the file it was
 * reading: alone on the run's stderr it named no file.
 */
#define SAID_MAX 8192

static void drain_said(struct worker_process *wp)
{
	char buf[4096];
	for (;;) {
		ssize_t n = wp->err_fd >= 0 ? read(wp->err_fd, buf, sizeof(buf)) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		size_t room = wp->said.len < SAID_MAX ? SAID_MAX - wp->said.len : 0;
		strbuf_add(&wp->said, buf, (size_t)n < room ? (size_t)n : room);
	}
}

/*
 * Read exactly `len` bytes; with `deadline` > 0 (time_mono), give up then.
 * With `wp`, its stderr is read meanwhile (a full pipe would block it).
 */
static enum read_result read_all(int fd, void *buf, size_t len, double deadline,
				 struct worker_process *wp)
{
	char *p = buf;
	while (len) {
		if (deadline > 0) {
			double left = deadline - time_mono();
			struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
						 { .fd = wp ? wp->err_fd : -1, .events = POLLIN } };
			int ready = left > 0 ? poll(pfd, 2, (int)ceil(left * 1000)) : 0;
			if (ready < 0 && errno == EINTR)
				continue;
			if (ready == 0)
				return READ_TIMED_OUT;
			if (pfd[1].revents)
				drain_said(wp);
			if (!pfd[0].revents)
				continue;
		}
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return READ_CLOSED;
		p += n;
		len -= (size_t)n;
	}
	return READ_OK;
}

/* --- the child ------------------------------------------------------------ */

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
		SCMP_SYS(socket), SCMP_SYS(connect),  SCMP_SYS(bind),
		SCMP_SYS(listen), SCMP_SYS(accept),   SCMP_SYS(accept4),
		SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace),
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

/*
 * A crash is the parent's to report, by its signal: a handler inherited
 * from the run (a sanitizer's) would turn it into an abort.
 */
static void default_crash_signals(void)
{
	static const int crashes[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++)
		signal(crashes[i], SIG_DFL);
}

static void worker_limits(const struct config *cfg)
{
	struct rlimit lim = { 0, 0 };
	setrlimit(RLIMIT_CORE, &lim); /* a crash is reported, not dumped */
	if (!getrlimit(RLIMIT_AS, &lim)) {
		rlim_t want = address_space_now() + cfg->ingest.parser_memory;
		if (lim.rlim_max == RLIM_INFINITY || want < lim.rlim_max)
			lim.rlim_cur = lim.rlim_max = want; /* hard too: the parser cannot lift it */
		setrlimit(RLIMIT_AS, &lim);
	}
	deny_network();
}

/* The next request gets `seconds` of CPU on top of what the worker used. */
static void worker_cpu_budget(double seconds)
{
	struct rusage ru;
	struct rlimit lim;
	if (getrusage(RUSAGE_SELF, &ru) || getrlimit(RLIMIT_CPU, &lim))
		return;
	rlim_t used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1);
	rlim_t want = used + (rlim_t)ceil(seconds);
	if (lim.rlim_max == RLIM_INFINITY || want < lim.rlim_max)
		lim.rlim_cur = want;
	setrlimit(RLIMIT_CPU, &lim);
}

int worker_receive(int fd, struct strbuf *request, double *cpu_limit)
{
	uint64_t len;
	strbuf_reset(request);
	if (read_all(fd, &len, sizeof(len), 0, NULL) || len > MESSAGE_MAX ||
	    read_all(fd, cpu_limit, sizeof(*cpu_limit), 0, NULL))
		return -1;
	strbuf_grow(request, (size_t)len);
	if (read_all(fd, request->buf, (size_t)len, 0, NULL))
		return -1;
	strbuf_setlen(request, (size_t)len);
	worker_cpu_budget(*cpu_limit);
	return 0;
}

int worker_reply(int fd, const struct strbuf *reply)
{
	uint64_t len = reply->len;
	return write_all(fd, &len, sizeof(len)) || write_all(fd, reply->buf, reply->len) ? -1 : 0;
}

static int fault_applies(const char *entry, size_t len, const char *point, const char *path, char *kind,
			 size_t kind_size)
{
	const char *colon = memchr(entry, ':', len);
	if (!colon || colon + 1 == entry + len)
		return 0;
	size_t head = (size_t)(colon - entry);
	const char *at = memchr(entry, '@', head);
	if (at && (strlen(point) != (size_t)(colon - at - 1) || memcmp(at + 1, point, strlen(point))))
		return 0;
	size_t kind_len = at ? (size_t)(at - entry) : head;
	char *name = xstrndup(colon + 1, len - head - 1);
	int hit = strstr(path, name) != NULL;
	free(name);
	snprintf(kind, kind_size, "%.*s", (int)kind_len, entry);
	return hit;
}

void worker_fault(const char *point, const char *path, struct strbuf *err)
{
	const char *spec = getenv("RAGOPS_PARSER_FAULT");
	while (spec && *spec) {
		size_t len = strcspn(spec, ",");
		char kind[16];
		if (fault_applies(spec, len, point, path, kind, sizeof(kind))) {
			if (!strcmp(kind, "segv"))
				raise(SIGSEGV);
			else if (!strcmp(kind, "abort"))
				abort();
			else if (!strcmp(kind, "oom"))
				/* The address-space limit refuses the allocation itself;
				 * filling each block only spent CPU time, which under a
				 * sanitizer reached ingest.parser_timeout first. */
				for (size_t size = 1 << 20;; size *= 2)
					((volatile char *)xmalloc(size))[0] = 1;
			else if (!strcmp(kind, "loop"))
				for (volatile unsigned long spin = 0;; spin++)
					;
			else if (!strcmp(kind, "net")) {
				int fd = socket(AF_INET, SOCK_STREAM, 0);
				strbuf_addf(err, "socket(): %s", fd < 0 ? strerror(errno) : "allowed");
				if (fd >= 0)
					close(fd);
			}
		}
		spec += len + (spec[len] == ',');
	}
}

/* --- the parent ----------------------------------------------------------- */

static void worker_lost(struct worker_process *wp, int timed_out, double cpu_limit,
			const char *limit_key, struct strbuf *err);

void worker_process_init(struct worker_process *wp, const struct config *cfg)
{
	memset(wp, 0, sizeof(*wp));
	wp->cfg = cfg;
	wp->fd = -1;
	wp->err_fd = -1;
	strbuf_init(&wp->said, 0);
}

void worker_process_about(struct worker_process *wp, const char *file, const char *stage)
{
	snprintf(wp->file, sizeof(wp->file), "%s", file);
	wp->stage = stage;
}

/* Log what the worker said during the last request, a line at a time, naming its file. */
static void report_said(struct worker_process *wp)
{
	drain_said(wp);
	char *line = wp->said.buf, *end = wp->said.buf + wp->said.len;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		if (n)
			log_event(LOG_WARNING, 0, wp->file[0] ? wp->file : NULL, wp->stage,
				  "the parser said: %.*s", (int)n, line);
		line += n + 1;
	}
	strbuf_reset(&wp->said);
}

/*
 * The child, from its start to its end, forked or started again: it dies
 * with the run (even by kill -9: a worker busy on a slow file would go on
 * to its CPU limit, one blocked on a read for ever), keeps only its socket
 * (not the store, the logs or the run's lock), and runs its loop under
 * the limits.  The death signal comes when the thread that started the
 * worker ends; the owner of a worker outlives it.
 */
static void worker_child(pid_t parent, const struct worker_kind *kind, const struct config *cfg)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	close_range(WORKER_FD + 1, ~0U, 0);
	signal(SIGPIPE, SIG_DFL);
	default_crash_signals();
	xalloc_exit_at_once();
	if (kind->prepare)
		kind->prepare();
	worker_limits(cfg);
	kind->main(WORKER_FD, cfg);
	_exit(0); /* not exit(): the run's stdio buffers and atexit handlers are not ours */
}

int worker_process_exec_main(int argc, char **argv, const struct worker_kind *const *kinds)
{
	const struct worker_kind *kind = NULL;
	for (; argc == 4 && *kinds; kinds++)
		if (!strcmp((*kinds)->name, argv[2]))
			kind = *kinds;
	char *end;
	long parent = argc == 4 ? strtol(argv[3], &end, 10) : 0;
	if (!kind || parent <= 0 || *end) {
		fprintf(stderr, "ragops: __worker is started by ragops itself, not by hand\n");
		return 2;
	}
	struct config cfg;
	struct strbuf message = STRBUF_INIT, err = STRBUF_INIT;
	double unused;
	config_init(&cfg);
	if (worker_receive(WORKER_FD, &message, &unused) ||
	    config_wire_get(&cfg, message.buf, message.len, &err)) {
		fprintf(stderr, "ragops: parser worker: %s\n",
			err.len ? err.buf : "no configuration came");
		_exit(1);
	}
	strbuf_release(&message);
	worker_child((pid_t)parent, kind, &cfg);
	return 0;
}

static int exec_workers;

void worker_process_use_exec(void)
{
	exec_workers = 1;
}

/*
 * The run's environment, plus what a worker needs from its very first
 * instruction, before its libraries load (see main.c): one OpenMP thread
 * per Tesseract (the worker's page threads are the parallelism) and heaps
 * on huge pages.  OPENBLAS_NUM_THREADS=1 is in the run's own (main.c).  A
 * limit the user set is kept.  env[0] is allocated.
 */
static char **worker_environment(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + 3, sizeof(char *));
	const char *tunables = getenv("GLIBC_TUNABLES");
	if (!tunables || !*tunables)
		env[0] = xstrdup("GLIBC_TUNABLES=glibc.malloc.hugetlb=1");
	else if (!strstr(tunables, "glibc.malloc.hugetlb"))
		env[0] = xasprintf("GLIBC_TUNABLES=%s:glibc.malloc.hugetlb=1", tunables);
	else
		env[0] = xasprintf("GLIBC_TUNABLES=%s", tunables);
	size_t k = 1;
	if (!getenv("OMP_THREAD_LIMIT"))
		env[k++] = "OMP_THREAD_LIMIT=1";
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "GLIBC_TUNABLES=", 15))
			env[k++] = environ[i];
	return env;
}

/*
 * Start the binary again as `ragops __worker KIND PID` on the socket: a
 * fresh process, whatever the run's other threads hold (a child forked
 * while another thread holds an allocator's lock can hang in it).
 */
static int spawn_worker(struct worker_process *wp, const struct worker_kind *kind, int child_end,
			int err_end, struct strbuf *err)
{
	char parent[32];
	snprintf(parent, sizeof(parent), "%ld", (long)getpid());
	char *argv[] = { "ragops", "__worker", (char *)kind->name, parent, NULL };
	posix_spawn_file_actions_t files;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGCHLD);
	posix_spawn_file_actions_init(&files);
	posix_spawn_file_actions_adddup2(&files, child_end, WORKER_FD);
	posix_spawn_file_actions_adddup2(&files, err_end, STDERR_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	char **env = worker_environment();
	pid_t pid;
	int rc = posix_spawn(&pid, "/proc/self/exe", &files, &attr, argv, env);
	free(env[0]);
	free(env);
	posix_spawn_file_actions_destroy(&files);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		strbuf_addf(err, "cannot start a parser worker: %s", strerror(rc));
		return -1;
	}
	wp->pid = pid;
	struct strbuf message = STRBUF_INIT;
	config_wire_put(wp->cfg, &message);
	double no_limit = 0;
	uint64_t len = message.len;
	rc = write_all(wp->fd, &len, sizeof(len)) || write_all(wp->fd, &no_limit, sizeof(no_limit)) ||
	     write_all(wp->fd, message.buf, message.len);
	strbuf_release(&message);
	if (rc) {
		worker_lost(wp, 0, 0, "", err);
		return -1;
	}
	return 0;
}

int worker_process_start(struct worker_process *wp, const struct worker_kind *kind, struct strbuf *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		strbuf_addf(err, "cannot start a parser worker: %s", strerror(errno));
		return -1;
	}
	/* The child's ends must not already be where they go: dup2 onto itself keeps close-on-exec. */
	if (sv[1] == WORKER_FD) {
		int moved = fcntl(sv[1], F_DUPFD_CLOEXEC, WORKER_FD + 1);
		close(sv[1]);
		sv[1] = moved;
	}
	int said[2] = { -1, -1 }; /* its stderr: read by us, non-blocking */
	if (pipe2(said, O_CLOEXEC) == 0)
		fcntl(said[0], F_SETFL, O_NONBLOCK);
	else
		said[1] = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, WORKER_FD + 1);
	wp->fd = sv[0];
	wp->err_fd = said[0];
	strbuf_reset(&wp->said);
	if (exec_workers) {
		int rc = spawn_worker(wp, kind, sv[1], said[1], err);
		close(sv[1]);
		close(said[1]);
		if (rc) {
			close(sv[0]);
			if (wp->err_fd >= 0)
				close(wp->err_fd);
			wp->fd = wp->err_fd = -1;
		}
		return rc;
	}
	fflush(NULL); /* else the child's copy of unwritten output could be written twice */
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		strbuf_addf(err, "cannot start a parser worker: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		close(said[1]);
		if (wp->err_fd >= 0)
			close(wp->err_fd);
		wp->fd = wp->err_fd = -1;
		return -1;
	}
	if (pid == 0) {
		if (dup2(sv[1], WORKER_FD) < 0 || dup2(said[1], STDERR_FILENO) < 0)
			_exit(1);
		worker_child(parent, kind, wp->cfg);
	}
	close(sv[1]);
	close(said[1]);
	wp->pid = pid;
	return 0;
}

int worker_process_running(struct worker_process *wp)
{
	if (wp->pid && waitpid(wp->pid, NULL, WNOHANG) == wp->pid) {
		report_said(wp);
		close(wp->fd);
		if (wp->err_fd >= 0)
			close(wp->err_fd);
		wp->fd = wp->err_fd = -1;
		wp->pid = 0;
	}
	return wp->pid != 0;
}

/* Whether the process is stopped (SIGSTOP, a debugger): its lateness is not its file's doing. */
static int is_stopped(pid_t pid)
{
	char path[64], state = 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(path, "r");
	if (f) {
		/* pid (comm) state ...: comm may hold spaces and parentheses, the last ')' ends it */
		char line[512];
		if (fgets(line, sizeof(line), f)) {
			char *close = strrchr(line, ')');
			if (close && close[1] == ' ')
				state = close[2];
		}
		fclose(f);
	}
	return state == 'T' || state == 't';
}

/* The worker is gone or must go: reap it and say why the request failed. */
static void worker_lost(struct worker_process *wp, int timed_out, double cpu_limit,
			const char *limit_key, struct strbuf *err)
{
	int status = 0;
	int stopped = timed_out && is_stopped(wp->pid);
	if (timed_out)
		kill(wp->pid, SIGKILL);
	pid_t got;
	while ((got = waitpid(wp->pid, &status, 0)) < 0 && errno == EINTR)
		;
	report_said(wp); /* its last words: an assertion, a sanitizer's report */
	close(wp->fd);
	if (wp->err_fd >= 0)
		close(wp->err_fd);
	wp->fd = wp->err_fd = -1;
	wp->pid = 0;
	char mem[32];
	format_size(mem, sizeof(mem), (double)wp->cfg->ingest.parser_memory);
	if (stopped)
		strbuf_addf(
			err,
			"the worker was stopped from outside (SIGSTOP or a debugger) past its time (%s, "
			"%g s) and was ended",
			limit_key, cpu_limit);
	else if (timed_out)
		strbuf_addf(err,
			    "the parser took too long (over %s, %g s, of CPU or twice that "
			    "waiting) and was stopped",
			    limit_key, cpu_limit);
	else if (got < 0)
		strbuf_addstr(err, "the parser worker ended without an answer");
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
		strbuf_addf(err, "the parser used more than %s (%g s) of CPU and was stopped", limit_key,
			    cpu_limit);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		strbuf_addstr(err, "the parser worker was killed (SIGKILL) by something outside ragops: "
				   "the kernel short of memory, or a person");
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

int worker_process_call(struct worker_process *wp, const struct strbuf *request, double cpu_limit,
			const char *limit_key, struct strbuf *reply, struct strbuf *err)
{
	uint64_t len = request->len;
	if (!wp->pid) {
		strbuf_addstr(err, "the parser worker is not running");
		return -1;
	}
	if (write_all(wp->fd, &len, sizeof(len)) || write_all(wp->fd, &cpu_limit, sizeof(cpu_limit)) ||
	    write_all(wp->fd, request->buf, request->len)) {
		worker_lost(wp, 0, cpu_limit, limit_key, err);
		return -1;
	}
	/* The CPU limit stops a busy parser; the wall clock one that waits on something. */
	double deadline = time_mono() + 2 * cpu_limit + 5;
	enum read_result rc = read_all(wp->fd, &len, sizeof(len), deadline, wp);
	if (rc == READ_OK && len > MESSAGE_MAX)
		rc = READ_CLOSED;
	strbuf_reset(reply);
	while (rc == READ_OK && reply->len < len) {
		size_t step = len - reply->len < READ_STEP ? (size_t)(len - reply->len) : READ_STEP;
		strbuf_grow(reply, step);
		rc = read_all(wp->fd, reply->buf + reply->len, step, deadline, wp);
		if (rc == READ_OK)
			strbuf_setlen(reply, reply->len + step);
	}
	if (rc != READ_OK) {
		worker_lost(wp, rc == READ_TIMED_OUT, cpu_limit, limit_key, err);
		return -1;
	}
	report_said(wp);
	return 0;
}

void worker_process_stop(struct worker_process *wp)
{
	if (wp->pid) {
		close(wp->fd); /* the worker reads end-of-file and exits */
		while (waitpid(wp->pid, NULL, 0) < 0 && errno == EINTR)
			;
		report_said(wp);
		if (wp->err_fd >= 0)
			close(wp->err_fd);
		wp->fd = wp->err_fd = -1;
		wp->pid = 0;
	}
	strbuf_release(&wp->said);
}
