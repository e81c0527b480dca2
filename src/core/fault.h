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
 * and, for memory (an allocation that fails as it does when the process
 * has no address space left):
 *
 *   "malloc N"      the Nth allocation through xmalloc and friends (and
 *                   jansson's, which go through them) fails once: the
 *                   allocation tried again after that succeeds
 *   "malloc-from N" every allocation from the Nth fails, tried again or
 *                   not: memory that never comes back
 *   "sqlite-nomem N", "sqlite-nomem-from N"
 *                   the same for SQLite's own allocations
 *                   (store/sqlite_memory.c); the allocation that fails
 *                   fails when tried again too, so SQLite answers
 *                   SQLITE_NOMEM
 *
 * While the content names a memory fault, memory "has not come back": a
 * server's memory reserve (core/mem_reserve.h) cannot be mapped again.
 *
 * Counts (writes, bytes, allocations) start when the content changes, and
 * belong to the process: two processes given "space 1M" have a megabyte
 * each.  The control file is read again at every write, at every request
 * a server takes (fault_refresh) and when a program starts; not at every
 * allocation, which would cost a system call each.  Without RAGOPS_FAULTS
 * none of this costs anything.
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

/* Read the control file again (when it changed, the counts start again). */
void fault_refresh(void);

enum fault_allocator { FAULT_ALLOC_XALLOC = 1, FAULT_ALLOC_SQLITE = 2 };

/*
 * Before an allocation by `allocator`: 1 when it must fail.  Lock-free and
 * allocation-free (one atomic load when no memory fault is set), so the
 * allocators call it every time.
 */
int fault_alloc(enum fault_allocator allocator);

/* Whether the control file, as last read, names a memory fault. */
int fault_memory_held(void);

#endif
