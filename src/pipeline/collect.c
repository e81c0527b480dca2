/*
 * The collect stage; see collect.h.
 */
#include "pipeline/collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/beneath.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/strutil.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "pipeline/flow.h"

int collect_is_ignored_name(const char *name)
{
	static const char *const temp_suffixes[] = { "~",           ".tmp", ".temp", ".part", ".partial",
						     ".crdownload", ".swp", ".swx",  ".bak",  NULL };
	if (name[0] == '.' || name[0] == '~' || name[0] == '#')
		return 1; /* hidden, Office "~$x.docx" locks, Emacs "#x#" */
	for (const char *const *s = temp_suffixes; *s; s++)
		if (ends_with(name, *s))
			return 1;
	return 0;
}

struct walk {
	const struct config *cfg;
	const char *exclude;
	struct scan *scan;
	size_t root_index;
	const char *root;
};

static struct found_file *new_file(struct walk *w, const char *relpath, const char *source,
				   const struct file_stamp *stamp)
{
	struct scan *scan = w->scan;
	ALLOC_GROW(scan->files, scan->n + 1, scan->alloc);
	struct found_file *f = &scan->files[scan->n++];
	memset(f, 0, sizeof(*f));
	f->root = xstrdup(w->root);
	f->relpath = xstrdup(relpath);
	f->source = xstrdup(source);
	f->path = xasprintf("%s/%s", w->root, relpath);
	f->stamp = *stamp;
	f->size = stamp->size;
	f->mtime = stamp->mtime_ns / 1000000000LL;
	return f;
}

/*
 * Hash the file reached without links from the root (a folder swapped for
 * a link since the listing is refused, not followed), stamped from the
 * very descriptor hashed.
 */
static void add_file(struct walk *w, const char *relpath, const char *source)
{
	struct strbuf err = STRBUF_INIT;
	struct file_stamp stamp = { 0 };
	int fd = open_file_beneath(w->root, source, &stamp, &err);
	struct found_file *f = new_file(w, relpath, source, &stamp);
	unsigned long long limit = w->cfg->collect.max_file_size;
	if (fd < 0) {
		f->refused = strbuf_detach(&err, NULL);
	} else if ((unsigned long long)stamp.size > limit) {
		char have[32], max[32];
		format_size(have, sizeof(have), (double)stamp.size);
		format_size(max, sizeof(max), (double)limit);
		f->refused = xasprintf("the file is %s, over collect.max_file_size (%s)", have, max);
	} else if (sha256_fd(fd, f->path, f->sha256, &f->size, &err)) {
		f->refused = strbuf_detach(&err, NULL);
	}
	if (fd >= 0)
		close(fd);
	strbuf_release(&err);
}

static int is_under(const char *path, const char *root)
{
	size_t n = strlen(root);
	return !strncmp(path, root, n) && (path[n] == '/' || (n == 1 && root[0] == '/'));
}

/*
 * A symbolic link is followed only to a file inside the inbox: one leading
 * elsewhere would put any file the user can read (/etc/passwd) within reach
 * of search and the API.  Links to folders are not entered (they can loop);
 * a broken or looping link is skipped, and deletions elsewhere go on.
 */
static void add_link(struct walk *w, const char *relpath, const char *path)
{
	char target[PATH_MAX];
	struct stat st;
	if (!realpath(path, target) || stat(target, &st)) {
		log_event(LOG_WARNING, 0, path, "collect", "broken symbolic link (%s): skipped",
			  strerror(errno));
		w->scan->skipped++;
	} else if (S_ISDIR(st.st_mode)) {
		w->scan->skipped++;
	} else if (!S_ISREG(st.st_mode)) {
		return;
	} else if (w->exclude && is_under(target, w->exclude)) {
		w->scan->skipped++; /* our own files */
	} else if (!is_under(target, w->root)) {
		struct file_stamp stamp;
		file_stamp_from(&stamp, &st);
		struct found_file *f = new_file(w, relpath, relpath, &stamp);
		f->refused = xasprintf("a symbolic link leading out of the inbox (to %s): not followed",
				       target);
	} else {
		add_file(w, relpath, target + strlen(w->root) + (w->root[1] != '\0'));
	}
}

/* Deeper folders are not entered: a tree nested thousands deep is an attack, not a library. */
#define MAX_FOLDER_DEPTH 128

struct entry {
	char *name;
	int stat_errno; /* 0: `mode` is its type, read without following a link */
	mode_t mode;
};

static int cmp_entries(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/*
 * The folder's entries, sorted, each with its type; the folder is closed
 * before its sub-folders are walked, so a deep tree holds one descriptor.
 */
static struct entry *list_folder(struct walk *w, const char *rel, const char *dirpath, size_t *n)
{
	struct strbuf err = STRBUF_INIT;
	DIR *dir = opendir_beneath(w->root, rel, &err);
	*n = 0;
	if (!dir) {
		log_event(LOG_WARNING, 0, dirpath, "collect",
			  "cannot read folder: %s; files under it are left as they were", err.buf);
		w->scan->root_complete[w->root_index] = 0;
		strbuf_release(&err);
		return NULL;
	}
	strbuf_release(&err);
	struct entry *entries = NULL;
	size_t alloc = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ALLOC_GROW(entries, *n + 1, alloc);
		struct entry *e = &entries[(*n)++];
		struct stat st;
		e->name = xstrdup(de->d_name);
		e->stat_errno = fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ? errno : 0;
		e->mode = e->stat_errno ? 0 : st.st_mode;
	}
	closedir(dir);
	if (*n) /* an empty folder (a share not mounted) has no list to sort */
		qsort(entries, *n, sizeof(*entries), cmp_entries);
	return entries;
}

static void walk_dir(struct walk *w, const char *rel, int depth)
{
	char *dirpath = *rel ? xasprintf("%s/%s", w->root, rel) : xstrdup(w->root);
	if (depth > MAX_FOLDER_DEPTH) {
		log_event(LOG_WARNING, 0, dirpath, "collect",
			  "folder nested deeper than %d levels: not entered; files under it are left "
			  "as they were",
			  MAX_FOLDER_DEPTH);
		w->scan->root_complete[w->root_index] = 0;
		free(dirpath);
		return;
	}
	if (*rel)
		flow_crash_point("collect-folder"); /* a sub-folder seen, not yet opened */
	size_t n;
	struct entry *entries = list_folder(w, rel, dirpath, &n);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &entries[i];
		char *child_rel = *rel ? xasprintf("%s/%s", rel, e->name) : xstrdup(e->name);
		char *child = xasprintf("%s/%s", dirpath, e->name);
		if (collect_is_ignored_name(e->name)) {
			w->scan->skipped++;
		} else if (e->stat_errno) {
			log_event(LOG_WARNING, 0, child, "collect", "cannot stat: %s",
				  strerror(e->stat_errno));
			/* Gone since the listing: a deletion, not a blind spot. */
			if (e->stat_errno != ENOENT)
				w->scan->root_complete[w->root_index] = 0;
		} else if (S_ISLNK(e->mode)) {
			add_link(w, child_rel, child);
		} else if (S_ISDIR(e->mode)) {
			char real[PATH_MAX];
			if (w->exclude && realpath(child, real) && !strcmp(real, w->exclude))
				w->scan->skipped++;
			else
				walk_dir(w, child_rel, depth + 1);
		} else if (S_ISREG(e->mode)) {
			add_file(w, child_rel, child_rel);
		}
		free(child);
		free(child_rel);
		free(e->name);
	}
	free(entries);
	free(dirpath);
}

int collect_scan(char *const *inbox, size_t ninbox, const char *exclude, const struct config *cfg,
		 struct scan *out, struct strbuf *err)
{
	double t0 = time_mono();
	char real_exclude[PATH_MAX];
	memset(out, 0, sizeof(*out));
	if (exclude && !realpath(exclude, real_exclude))
		exclude = NULL;
	else if (exclude)
		exclude = real_exclude;
	out->roots = xcalloc(ninbox + 1, sizeof(char *));
	out->root_complete = xcalloc(ninbox + 1, 1);
	for (size_t i = 0; i < ninbox; i++) {
		char real[PATH_MAX];
		struct stat st;
		if (!realpath(inbox[i], real) || stat(real, &st)) {
			strbuf_addf(err, "inbox '%s' cannot be read: %s", inbox[i], strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			strbuf_addf(err, "inbox '%s' is not a folder", inbox[i]);
			return -1;
		}
		int dup = 0;
		for (size_t j = 0; j < out->nroots; j++)
			dup |= !strcmp(out->roots[j], real);
		if (dup)
			continue;
		out->roots[out->nroots] = xstrdup(real);
		out->root_complete[out->nroots] = 1;
		struct walk w = { cfg, exclude, out, out->nroots, out->roots[out->nroots] };
		out->nroots++;
		walk_dir(&w, "", 0);
	}
	out->seconds = time_mono() - t0;
	return 0;
}

void scan_release(struct scan *scan)
{
	for (size_t i = 0; i < scan->n; i++) {
		free(scan->files[i].root);
		free(scan->files[i].relpath);
		free(scan->files[i].source);
		free(scan->files[i].path);
		free(scan->files[i].refused);
	}
	free(scan->files);
	for (size_t i = 0; i < scan->nroots; i++)
		free(scan->roots[i]);
	free(scan->roots);
	free(scan->root_complete);
	memset(scan, 0, sizeof(*scan));
}
