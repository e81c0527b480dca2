/*
 * See beneath.h.  openat2(RESOLVE_NO_SYMLINKS) does it in one call, but
 * only on Linux 5.6 and later and not behind every seccomp policy; a walk
 * one component at a time works everywhere, and is what an absolute root
 * falls back to.
 */
#define _GNU_SOURCE /* O_PATH */
#include "core/beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/xalloc.h"

static void say_why(struct strbuf *err, const char *root, const char *rel, int e)
{
	const char *sep = *rel ? "/" : "";
	if (e == ELOOP || e == ENOTDIR)
		strbuf_addf(err, "cannot open '%s%s%s': a symbolic link or a file is in the way", root,
			    sep, rel);
	else
		strbuf_addf(err, "cannot open '%s%s%s': %s", root, sep, rel, strerror(e));
}

/*
 * From the folder `dir` (taken: closed on return), open each component of
 * `rel` without following links; the last with `flags`.  Returns the
 * descriptor, or -1 with the cause in *e.
 */
static int walk_from(int dir, const char *rel, int flags, int *e)
{
	if (!*rel) { /* the folder itself, now with `flags` */
		int fd = openat(dir, ".", flags | O_CLOEXEC | O_NOCTTY);
		*e = errno;
		close(dir);
		return fd;
	}
	char *path = xstrdup(rel), *name = path;
	int fd = -1;
	while (dir >= 0) {
		char *slash = strchr(name, '/');
		if (slash)
			*slash = '\0';
		if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
			*e = EINVAL;
			close(dir);
			break;
		}
		/* Folders on the way need only search permission (O_PATH), as for any path. */
		int next = openat(dir, name,
				  (slash ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC |
					  O_NOCTTY);
		*e = errno;
		close(dir);
		dir = -1;
		if (next >= 0 && !slash)
			fd = next;
		else if (next >= 0)
			dir = next;
		name = slash ? slash + 1 : name;
	}
	free(path);
	return fd;
}

/* 1 when a component of `path` is empty, "." or "..": refused as the walk refuses them. */
static int has_dot_component(const char *path)
{
	for (const char *p = path;;) {
		size_t n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 1;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static atomic_int no_openat2; /* the kernel (or a seccomp policy) lacks it */

void beneath_walk_only(int on)
{
	atomic_store(&no_openat2, on);
}

/*
 * The absolute root/rel in one openat2 call, no link followed on the way:
 * a re-run opens every file of the inbox, and the walk costs two system
 * calls per component.  -2 when openat2 cannot say (then walk).
 */
static int open_in_one_call(const char *root, const char *rel, int flags, int *e)
{
	if (atomic_load(&no_openat2) || has_dot_component(root + 1) || (*rel && has_dot_component(rel)))
		return -2;
	char *path = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	struct open_how how = {
		.flags = (unsigned)(flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	*e = errno;
	free(path);
	/* ENAMETOOLONG: the whole path is over PATH_MAX, each step of the walk is not. */
	if (fd < 0 &&
	    (*e == ENOSYS || *e == EPERM || *e == EINVAL || *e == E2BIG || *e == ENAMETOOLONG)) {
		if (*e != EINVAL && *e != ENAMETOOLONG)
			atomic_store(&no_openat2, 1);
		return -2;
	}
	return fd;
}

int open_beneath(const char *root, const char *rel, int flags, struct strbuf *err)
{
	/*
	 * The root too is reached without links: it is a canonical path, and a
	 * link put in its place (by whoever may write to its parent) is refused.
	 */
	int e = 0;
	if (root[0] == '/' && root[1]) {
		int fd = open_in_one_call(root, rel, flags, &e);
		if (fd >= 0)
			return fd;
		if (fd == -1) {
			say_why(err, root, rel, e);
			return -1;
		}
	}
	int dir = open(root[0] == '/' ? "/" : root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0 && root[0] == '/')
		dir = walk_from(dir, root + 1, O_PATH | O_DIRECTORY, &e);
	else if (dir < 0)
		e = errno;
	if (dir < 0) {
		say_why(err, root, "", e);
		return -1;
	}
	int fd = walk_from(dir, rel, flags, &e);
	if (fd < 0)
		say_why(err, root, rel, e);
	return fd;
}

DIR *opendir_beneath(const char *root, const char *rel, struct strbuf *err)
{
	int fd = open_beneath(root, rel, O_RDONLY | O_DIRECTORY, err);
	if (fd < 0)
		return NULL;
	DIR *dir = fdopendir(fd);
	if (!dir) {
		say_why(err, root, rel, errno);
		close(fd);
	}
	return dir;
}

int open_file_beneath(const char *root, const char *rel, struct file_stamp *stamp, struct strbuf *err)
{
	int fd = open_beneath(root, rel, O_RDONLY | O_NONBLOCK, err);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st)) {
		say_why(err, root, rel, errno);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_addf(err, "'%s/%s' is not a regular file (a folder, pipe or device)", root, rel);
		close(fd);
		return -1;
	}
	file_stamp_from(stamp, &st);
	return fd;
}

int file_stamp_check_beneath(const char *root, const char *rel, const struct file_stamp *was,
			     struct strbuf *why)
{
	struct file_stamp now;
	struct strbuf err = STRBUF_INIT;
	int fd = open_file_beneath(root, rel, &now, &err);
	if (fd < 0) {
		strbuf_addf(why, "it can no longer be opened: %s", err.buf);
		strbuf_release(&err);
		return 1;
	}
	close(fd);
	strbuf_release(&err);
	return file_stamp_compare(&now, was, why);
}
