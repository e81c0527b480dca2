/*
 * Small filesystem helpers: whole-file reads, atomic writes, mkdir -p.
 */
#ifndef CORE_FSUTIL_H
#define CORE_FSUTIL_H

#include <stddef.h>

#include "core/strbuf.h"

/* Create `path` and its parents (mode 0755); 0 if it exists already. */
int mkdir_p(const char *path);
/*
 * Read the whole file into `out`, failing with a reason in `err` when it
 * is larger than `max_bytes` (0 = no limit).
 */
int read_file(const char *path, struct strbuf *out, size_t max_bytes, struct strbuf *err);
/* 0 when `path` is a regular file; -1 with the reason (a FIFO or a device would block or never end). */
int check_regular_file(const char *path, struct strbuf *err);
/* Write via a temporary file + fsync + rename: readers see old or new, never half. */
int write_file_atomic(const char *path, const void *data, size_t len, struct strbuf *err);
/*
 * Whether this thread's last failed write_file_atomic since
 * write_failure_clear() failed on a full disk (ENOSPC, EDQUOT): room may
 * come back, so it is worth trying again.
 */
void write_failure_clear(void);
int write_failure_is_transient(void);
/*
 * Remove the temporary files write_file_atomic left in `dir` when its
 * process was killed (named NAME.tmp.PID.SEQ, PID no longer running);
 * returns how many.
 */
size_t remove_stale_temporaries(const char *dir);
/*
 * Take an exclusive lock on `path` (created if needed) without waiting;
 * returns the descriptor to keep open while the lock is needed, or -1 with
 * the reason in err.  The kernel drops the lock when the process dies, so
 * a killed holder never blocks the next one.
 */
int lock_file(const char *path, struct strbuf *err);
void unlock_file(int fd);
/*
 * What identifies a file's content without reading it: any write changes
 * its change time (ctime, which no one can set back), a replacement its
 * inode.  Taken before hashing and compared after reading, it proves the
 * bytes read are the bytes hashed.
 */
struct file_stamp {
	unsigned long long dev, ino;
	long long size, mtime_ns, ctime_ns;
};
struct stat;
void file_stamp_from(struct file_stamp *stamp, const struct stat *st);
/* 0 when `now` is the stamp `was`; otherwise 1 with what changed in `why`. */
int file_stamp_compare(const struct file_stamp *now, const struct file_stamp *was, struct strbuf *why);

/* "12.3 KB", "4.0 MB": for messages. */
void format_size(char *out, size_t outlen, double bytes);

#endif
