/*
 * The collect stage: walk the inbox folders, skip hidden and temporary
 * files, refuse oversized ones and symbolic links that lead out of the
 * inbox, and hash the rest (SHA-256 of content:
 * that, not the name or the date, decides what is new or changed).
 */
#ifndef PIPELINE_COLLECT_H
#define PIPELINE_COLLECT_H

#include <stddef.h>

#include "core/config.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/strbuf.h"

struct work_claim;

struct found_file {
	char *root;    /* canonical inbox folder */
	char *relpath; /* path under it */
	char *path;    /* root/relpath */
	char *source;  /* path under root of the file read: relpath, or where its link leads */
	long long size, mtime;
	struct file_stamp stamp; /* of the descriptor hashed: see file_stamp_check_beneath */
	char sha256[SHA256_HEX_LEN + 1];
	char *refused; /* why the file cannot be taken, or NULL */
	/* A queue worker's claim on it (store/work_queue.h): its save is fenced by it. NULL: a local run's. */
	struct work_claim *claim;
};

struct scan {
	struct found_file *files; /* sorted by root, then relpath */
	size_t n, alloc;
	char **roots;                 /* canonical inbox folders */
	unsigned char *root_complete; /* 0 when a folder could not be read: no deletions there */
	size_t nroots;
	size_t skipped; /* hidden and temporary files */
	double seconds;
};

/* Temporary and hidden names a person's editor or sync tool leaves around. */
int collect_is_ignored_name(const char *name);

/*
 * Scan the folders.  A folder that does not exist is an error; an
 * unreadable sub-folder is a warning that marks its root incomplete.
 * `exclude` (the data folder) is never entered.
 */
int collect_scan(char *const *inbox, size_t ninbox, const char *exclude, const struct config *cfg,
		 struct scan *out, struct strbuf *err);
void scan_release(struct scan *scan);

#endif
