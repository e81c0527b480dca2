/*
 * Watch mode; see watch.h.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/collect.h"
#include "pipeline/watch.h"

#define WATCH_MASK                                                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF | \
	 IN_MOVE_SELF | IN_DONT_FOLLOW | IN_ONLYDIR | IN_EXCL_UNLINK)
/* A folder inotify could not watch is looked at by a run this often. */
#define RESCAN_MS (60 * 1000)
/* An inbox folder that is gone is looked for this often. */
#define ROOT_POLL_MS 2000

struct watcher {
	int fd;
	char **dirs; /* by watch descriptor: the folder's path, NULL when none */
	size_t ndirs;
	char **roots; /* the inbox folders, as given */
	size_t nroots;
	char *exclude;    /* canonical data folder, or NULL */
	size_t unwatched; /* folders beneath that could not be watched (limit, permissions) */
	size_t missing;   /* inbox folders that are gone */
	int rewalk;       /* events were lost or a root went: walk the folders again */
	int warned_limit;
	long long retry_ms; /* watcher_retry_in: a batch wanted although nothing changed */
};

static int excluded(const struct watcher *w, const char *path)
{
	if (!w->exclude)
		return 0;
	char *real = realpath(path, NULL);
	int same = real && !strcmp(real, w->exclude);
	free(real);
	return same;
}

static void remember(struct watcher *w, int wd, const char *path)
{
	if ((size_t)wd >= w->ndirs) {
		size_t n = (size_t)wd + 64;
		w->dirs = xrealloc(w->dirs, n * sizeof(*w->dirs));
		memset(w->dirs + w->ndirs, 0, (n - w->ndirs) * sizeof(*w->dirs));
		w->ndirs = n;
	}
	free(w->dirs[wd]);
	w->dirs[wd] = xstrdup(path);
}

/* Watch `path` and every folder beneath it; 0, or -1 when `path` itself cannot be watched. */
static int add_tree(struct watcher *w, const char *path)
{
	if (excluded(w, path))
		return 0;
	int wd = inotify_add_watch(w->fd, path, WATCH_MASK);
	if (wd < 0) {
		if (errno == ENOSPC || errno == ENOMEM || errno == EACCES) {
			int limit = errno != EACCES;
			w->unwatched++;
			if (limit && !w->warned_limit++)
				log_event(LOG_WARNING, 0, path, "watch",
					  "inotify's limit reached (sysctl fs.inotify.max_user_watches): "
					  "folders not watched are rescanned every minute");
			else if (!limit)
				log_event(
					LOG_WARNING, 0, path, "watch",
					"cannot watch (permission denied): looked at again every minute");
			return 0;
		}
		return -1;
	}
	remember(w, wd, path);
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    collect_is_ignored_name(e->d_name))
			continue;
		char *sub = xasprintf("%s/%s", path, e->d_name);
		struct stat sb;
		int is_dir = e->d_type == DT_DIR ||
			     (e->d_type == DT_UNKNOWN && !lstat(sub, &sb) && S_ISDIR(sb.st_mode));
		if (is_dir && add_tree(w, sub))
			log_event(LOG_WARNING, 0, sub, "watch", "cannot watch: %s", strerror(errno));
		free(sub);
	}
	if (d)
		closedir(d);
	return 0;
}

int watcher_open(struct watcher **out, char *const *roots, size_t nroots, const char *exclude,
		 struct strbuf *err)
{
	struct watcher *w = xcalloc(1, sizeof(*w));
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		strbuf_addf(err, "cannot watch the inbox: inotify: %s", strerror(errno));
		free(w);
		return -1;
	}
	w->exclude = exclude ? realpath(exclude, NULL) : NULL;
	w->roots = xcalloc(nroots ? nroots : 1, sizeof(char *));
	for (size_t i = 0; i < nroots; i++) {
		w->roots[w->nroots++] = xstrdup(roots[i]);
		if (add_tree(w, roots[i])) {
			strbuf_addf(err, "cannot watch '%s': %s", roots[i], strerror(errno));
			watcher_close(&w);
			return -1;
		}
	}
	*out = w;
	return 0;
}

/*
 * Walk the inbox folders again, watching what is not watched yet (after
 * lost events, a folder that was gone or could not be watched): 1 when a
 * folder that was gone is back.
 */
static int walk_again(struct watcher *w)
{
	size_t was_missing = w->missing;
	w->missing = 0;
	w->unwatched = 0;
	w->rewalk = 0;
	for (size_t i = 0; i < w->nroots; i++) {
		struct stat sb;
		if (stat(w->roots[i], &sb) || !S_ISDIR(sb.st_mode) || add_tree(w, w->roots[i]))
			w->missing++;
	}
	return w->missing < was_missing;
}

void watcher_retry_in(struct watcher *w, long long ms)
{
	w->retry_ms = ms;
}

/* Stop watching `path` and every folder beneath it (moved out of the inbox). */
static void forget_tree(struct watcher *w, const char *path)
{
	size_t n = strlen(path);
	for (size_t wd = 0; wd < w->ndirs; wd++) {
		const char *dir = w->dirs[wd];
		if (dir && !strncmp(dir, path, n) && (dir[n] == '\0' || dir[n] == '/')) {
			inotify_rm_watch(w->fd, (int)wd);
			free(w->dirs[wd]);
			w->dirs[wd] = NULL;
		}
	}
}

static int is_root(const struct watcher *w, const char *dir)
{
	for (size_t i = 0; i < w->nroots; i++)
		if (!strcmp(w->roots[i], dir))
			return 1;
	return 0;
}

void watcher_close(struct watcher **pw)
{
	struct watcher *w = *pw;
	if (!w)
		return;
	close(w->fd);
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i]);
	free(w->dirs);
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i]);
	free(w->roots);
	free(w->exclude);
	free(w);
	*pw = NULL;
}

/* Whether one event is a change a run must see; new folders are watched from here on. */
static int counts(struct watcher *w, const struct inotify_event *ev, struct watch_batch *b)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		b->overflowed = 1;
		w->rewalk = 1; /* folders made meanwhile are not watched yet */
		return 1;
	}
	const char *dir = ev->wd >= 0 && (size_t)ev->wd < w->ndirs ? w->dirs[ev->wd] : NULL;
	if (ev->mask & IN_IGNORED) { /* the folder is gone, or no longer watched */
		if (dir) {
			free(w->dirs[ev->wd]);
			w->dirs[ev->wd] = NULL;
		}
		return 0;
	}
	if (!dir)
		return 0;
	if (!ev->len) { /* the watched folder itself moved or went */
		if (!(ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)))
			return 0;
		if (is_root(w, dir)) {
			/* Watched no more where it went; looked for where it was. */
			forget_tree(w, dir);
			w->rewalk = 1;
		}
		return 1;
	}
	if (collect_is_ignored_name(ev->name))
		return 0;
	if (!b->example[0])
		snprintf(b->example, sizeof(b->example), "%s/%s", dir, ev->name);
	if (ev->mask & IN_ISDIR) {
		char *sub = xasprintf("%s/%s", dir, ev->name);
		if (ev->mask & (IN_CREATE | IN_MOVED_TO))
			add_tree(w, sub); /* files may already be in it: the run's scan finds them */
		else if (ev->mask & IN_MOVED_FROM)
			forget_tree(w, sub); /* out of the inbox: what happens there is not ours */
		free(sub);
		return 1;
	}
	/* A file being created is a change once it is closed after writing. */
	return (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) != 0;
}

/* Read what the kernel has queued; the number of changes, or -1. */
static long drain(struct watcher *w, struct watch_batch *b, struct strbuf *err)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	long changes = 0;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return changes;
		if (n <= 0) {
			strbuf_addf(err, "cannot read inotify events: %s", n ? strerror(errno) : "end");
			return -1;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			changes += counts(w, ev, b);
			p += sizeof(*ev) + ev->len;
		}
	}
}

enum watch_result watcher_wait(struct watcher *w, long long debounce_ms, int stop_fd,
			       struct watch_batch *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	double start = time_mono(), first = 0, last = 0, root_check = start;
	long long retry = w->retry_ms;
	w->retry_ms = 0;
	for (;;) {
		if (w->rewalk && walk_again(w) && !first)
			first = last = time_mono(); /* an inbox folder is back: its files are news */
		double now = time_mono();
		long long timeout = -1;
		if (first) {
			double settle = last + debounce_ms / 1000.0;
			double cap = first + 10 * debounce_ms / 1000.0;
			timeout = (long long)(((settle < cap ? settle : cap) - now) * 1000);
			if (timeout <= 0)
				break;
		} else if (retry && now >= start + retry / 1000.0) {
			break; /* the last run could not be done: again, changes or not */
		} else if (w->unwatched && now >= start + RESCAN_MS / 1000.0) {
			walk_again(w);
			break; /* the unwatched folders' turn */
		} else if (w->missing && now >= root_check + ROOT_POLL_MS / 1000.0) {
			root_check = now;
			w->rewalk = 1;
			continue;
		} else if (retry || w->unwatched || w->missing) {
			double next = start + (retry ? retry / 1000.0 : RESCAN_MS / 1000.0);
			if (w->missing && root_check + ROOT_POLL_MS / 1000.0 < next)
				next = root_check + ROOT_POLL_MS / 1000.0;
			timeout = (long long)((next - now) * 1000) + 1;
		}
		struct pollfd fds[2] = { { .fd = w->fd, .events = POLLIN },
					 { .fd = stop_fd, .events = POLLIN } };
		int ready = poll(fds, 2, timeout > INT_MAX ? INT_MAX : (int)timeout);
		if (ready < 0 && errno != EINTR) {
			strbuf_addf(err, "cannot wait for inotify events: %s", strerror(errno));
			return WATCH_FAILED;
		}
		if (ready > 0 && fds[1].revents)
			return WATCH_STOPPED;
		if (ready > 0 && fds[0].revents) {
			long changes = drain(w, out, err);
			if (changes < 0)
				return WATCH_FAILED;
			if (changes) {
				out->changes += (size_t)changes;
				last = time_mono();
				if (!first)
					first = last;
			}
		}
	}
	return WATCH_CHANGED;
}
