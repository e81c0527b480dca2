/*
 * Watch mode: inotify on the inbox folders and every folder beneath them
 * (new ones included), for `ragops run --watch`.  A batch is over when
 * no change came for the debounce time; the caller then runs the
 * pipeline, whose full scan sees every change (so a lost event, or an
 * overflowed queue, costs nothing but that run: the folders are then
 * walked again, so that those made meanwhile are watched).  An inbox
 * folder removed is looked for every two seconds and watched again when
 * it is back; a folder moved out of the inbox is no longer watched; one
 * that cannot be watched (permissions, inotify's limit) is looked at
 * every minute.
 *
 * A change is a file closed after writing, moved in or out, or deleted,
 * or a folder made or moved in; hidden and temporary names
 * (collect_is_ignored_name) are not changes, and neither is anything in
 * the data folder.
 */
#ifndef PIPELINE_WATCH_H
#define PIPELINE_WATCH_H

#include <stddef.h>

#include "core/strbuf.h"

struct watcher;

/* Watch the folders (the data folder, `exclude`, is never watched). */
int watcher_open(struct watcher **out, char *const *roots, size_t nroots, const char *exclude,
		 struct strbuf *err);
void watcher_close(struct watcher **w);

struct watch_batch {
	size_t changes;    /* events that counted */
	char example[256]; /* the first changed name, for the log */
	int overflowed;    /* the kernel's queue overflowed: some events were lost */
};

enum watch_result {
	WATCH_CHANGED = 0, /* a batch settled: run */
	WATCH_STOPPED = 1, /* stop_fd became readable */
	WATCH_FAILED = -1,
};
/*
 * Wait for a batch of changes that then stays quiet for debounce_ms (a
 * steady stream of changes ends a batch after ten times that), or for
 * stop_fd to become readable.
 */
enum watch_result watcher_wait(struct watcher *w, long long debounce_ms, int stop_fd,
			       struct watch_batch *out, struct strbuf *err);
/* The next watcher_wait ends after `ms` even when nothing changed (a run that could not be done). */
void watcher_retry_in(struct watcher *w, long long ms);

#endif
