/*
 * Fault injection for the tests: writes that fail as they do on a full
 * disk or a failing one, switched on and off while a program runs.
 *
 * With RAGOPS_FAULTS=<control file> in the environment, every write
 * ragops makes to its data folder asks fault_write() first: SQLite's
 * (through the VFS shim of store/sqlite_faults.c) and write_file_atomic's
 * (vectors, lexicon, models, metrics and feedback files).  The control
 * file is read again at every write, so a test changes what happens by
 * rewriting it, during a run or while a server is up.  Its content:
 *
 *   (missing, empty) or "none"   nothing
 *   "full"          a full disk: a write that would make a file grow fails
 *                   with ENOSPC; rewriting bytes a file already has still
 *                   works, as on a real disk (a WAL reuses its space)
 *   "space N"       N more bytes (K, M, G suffixes) may be allocated, then
 *                   as "full": a disk with a little room left
 *   "eio"           every write fails with EIO
 *   "full-after N", "eio-after N"
 *                   N more writes go through, then as "full" / "eio"
 *
 * Counts (writes, bytes) start when the content changes, and belong to
 * the process: two processes given "space 1M" have a megabyte each.
 * Without RAGOPS_FAULTS none of this costs anything.
 */
#ifndef CORE_FAULT_H
#define CORE_FAULT_H

/* Whether RAGOPS_FAULTS names a control file (read once). */
int fault_enabled(void);

/*
 * Before writing `len` bytes at `offset` of a file that has `size` bytes:
 * 0 to go ahead, or the errno the write fails with (ENOSPC, EIO).
 * Thread-safe.
 */
int fault_write(long long offset, long long len, long long size);

#endif
