/*
 * Filesystem helpers; see fsutil.h.
 */
#define _GNU_SOURCE /* O_TMPFILE */
#include "core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/xalloc.h"

int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	int ret = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			ret = -1;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return ret;
}

int check_regular_file(const char *path, struct strbuf *err)
{
	struct stat sb;
	if (stat(path, &sb)) {
		strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		strbuf_addf(err, "'%s' is not a regular file", path);
		return -1;
	}
	return 0;
}

int read_file(const char *path, struct strbuf *out, size_t max_bytes, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && max_bytes && (size_t)st.st_size > max_bytes) {
		strbuf_addf(err, "'%s' is %lld bytes, over the limit of %zu", path,
			    (long long)st.st_size, max_bytes);
		close(fd);
		return -1;
	}
	strbuf_grow(out, st.st_size > 0 ? (size_t)st.st_size : 4096);
	for (;;) {
		strbuf_grow(out, 65536);
		ssize_t n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		strbuf_setlen(out, out->len + (size_t)n);
		if (max_bytes && out->len > max_bytes) {
			strbuf_addf(err, "'%s' grew over the limit of %zu bytes while read", path,
				    max_bytes);
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* This thread's last write failure: a full disk is worth trying again later (retry.h). */
static _Thread_local int last_write_errno;

/* Why a write failed, in words: a full disk says so first. */
static const char *write_failure(int e)
{
	last_write_errno = e;
	return e == ENOSPC ? "disk full (No space left on device)" : strerror(e);
}

void write_failure_clear(void)
{
	last_write_errno = 0;
}

int write_failure_is_transient(void)
{
	return last_write_errno == ENOSPC || last_write_errno == EDQUOT;
}

/* write(2), unless the fault injection (core/fault.h) fails it first. */
static ssize_t write_some(int fd, const void *p, size_t n, size_t done)
{
	int e = fault_write((long long)done, (long long)n, (long long)done);
	if (e) {
		errno = e;
		return -1;
	}
	return write(fd, p, n);
}

/* Write all of data to fd and sync it; on failure the reason, naming `name`, in err. */
static int write_synced(int fd, const char *name, const void *data, size_t len, struct strbuf *err)
{
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write_some(fd, p, left, len - left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_addf(err, "cannot write '%s': %s", name, write_failure(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd)) {
		strbuf_addf(err, "cannot flush '%s': %s", name, write_failure(errno));
		return -1;
	}
	return 0;
}

/*
 * Written unnamed (O_TMPFILE) and given the temporary name only once whole,
 * just before the rename: a process killed while writing leaves nothing
 * (killed in the instant between, a file remove_stale_temporaries takes).
 * 1 when the filesystem or a missing /proc does not allow it.
 */
static int write_unnamed(const char *path, const char *tmp, const void *data, size_t len,
			 struct strbuf *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int fd = open(slash ? dir : ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	free(dir);
	if (fd < 0)
		return 1;
	if (write_synced(fd, path, data, len, err)) {
		close(fd);
		return -1;
	}
	char fd_path[64];
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	int linked = linkat(AT_FDCWD, fd_path, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0;
	close(fd);
	return linked ? 0 : 1;
}

int write_file_atomic(const char *path, const void *data, size_t len, struct strbuf *err)
{
	/* One name per call: two threads may write the same file (the server's feedback copies). */
	static atomic_uint seq;
	char *tmp = xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&seq, 1));
	int ret = write_unnamed(path, tmp, data, len, err);
	if (ret == 1) { /* a named temporary file, then */
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			strbuf_addf(err, "cannot create '%s': %s", tmp, write_failure(errno));
		} else {
			ret = write_synced(fd, tmp, data, len, err);
			if (close(fd) && !ret) {
				strbuf_addf(err, "cannot flush '%s': %s", tmp, write_failure(errno));
				ret = -1;
			}
			if (ret)
				unlink(tmp);
		}
	}
	if (!ret && rename(tmp, path)) {
		strbuf_addf(err, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		unlink(tmp);
		ret = -1;
	}
	free(tmp);
	return ret ? -1 : 0;
}

size_t remove_stale_temporaries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t removed = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		/* NAME.tmp.PID.SEQ, as write_file_atomic names them */
		const char *mark = strstr(de->d_name, ".tmp.");
		char *end;
		long pid = mark ? strtol(mark + 5, &end, 10) : 0;
		if (pid <= 0 || *end != '.' || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		removed += unlinkat(dirfd(d), de->d_name, 0) == 0;
	}
	closedir(d);
	return removed;
}

int lock_file(const char *path, struct strbuf *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		strbuf_addf(err, "cannot open lock '%s': %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			strbuf_addf(err, "another run holds '%s': wait for it to finish", path);
		else
			strbuf_addf(err, "cannot lock '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void unlock_file(int fd)
{
	if (fd >= 0)
		close(fd);
}

void file_stamp_from(struct file_stamp *stamp, const struct stat *st)
{
	stamp->dev = (unsigned long long)st->st_dev;
	stamp->ino = (unsigned long long)st->st_ino;
	stamp->size = (long long)st->st_size;
	stamp->mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	stamp->ctime_ns = (long long)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
}

int file_stamp_compare(const struct file_stamp *now, const struct file_stamp *was, struct strbuf *why)
{
	if (now->dev != was->dev || now->ino != was->ino)
		strbuf_addstr(why, "the file was replaced by another one");
	else if (now->size != was->size)
		strbuf_addf(why, "its size went from %lld to %lld bytes", was->size, now->size);
	else if (now->mtime_ns != was->mtime_ns || now->ctime_ns != was->ctime_ns)
		strbuf_addstr(why, "it was written to");
	else
		return 0;
	return 1;
}

void format_size(char *out, size_t outlen, double bytes)
{
	static const char *units[] = { "B", "KB", "MB", "GB", "TB" };
	int u = 0;
	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%.0f %s", bytes, units[u]);
	else
		snprintf(out, outlen, "%.1f %s", bytes, units[u]);
}
