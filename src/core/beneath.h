/*
 * Opening a file under a folder without ever leaving it: every component
 * of the path is opened relative to the one before with O_NOFOLLOW, so a
 * folder swapped for a symbolic link between two looks (the inbox being
 * written to while a run reads it) is refused instead of followed.
 */
#ifndef CORE_BENEATH_H
#define CORE_BENEATH_H

#include <dirent.h>

#include "core/fsutil.h"
#include "core/strbuf.h"

/*
 * Open `rel` ("a/b/c.pdf", no "." or ".." components) under the folder
 * `root` with `flags` (O_CLOEXEC and O_NOFOLLOW are added; "" opens root
 * itself).  Returns the descriptor, or -1 with the reason in err, naming
 * root/rel.  Links are refused on the way and at the end alike.
 */
int open_beneath(const char *root, const char *rel, int flags, struct strbuf *err);

/* The folder `rel` under `root`, opened as open_beneath does, for readdir. */
DIR *opendir_beneath(const char *root, const char *rel, struct strbuf *err);

/*
 * Open the regular file `rel` under `root` for reading (never blocking on
 * a FIFO or a device) and take its stamp.  Anything else than a regular
 * file is refused with a reason.
 */
int open_file_beneath(const char *root, const char *rel, struct file_stamp *stamp, struct strbuf *err);

/*
 * 0 when root/rel, reached without links, is still the file stamped
 * `was`; otherwise 1 with what changed in `why`.
 */
int file_stamp_check_beneath(const char *root, const char *rel, const struct file_stamp *was,
			     struct strbuf *why);

/* Tests: take the walk one component at a time even where openat2 exists. */
void beneath_walk_only(int on);

#endif
