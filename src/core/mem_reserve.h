/*
 * An emergency reserve of memory for a long-lived process (ragops serve):
 * one anonymous mapping, every page written so that it really holds
 * address space, commit charge and resident memory.  When an allocation
 * fails, xalloc's out-of-memory handler (mem_reserve_release) unmaps it,
 * and the allocation tried again finds room: the request in flight
 * completes.  From then on the process is short of memory ("spent") until
 * a later request maps the reserve again (mem_reserve_restore), which
 * works once the memory is there again.
 *
 * This helps where malloc can fail: an address-space limit (ulimit -v,
 * systemd's LimitAS), strict overcommit (vm.overcommit_memory=2), an
 * allocation too large for what is left.  Under Linux's default
 * overcommit, or a cgroup memory limit, the kernel's OOM killer ends a
 * process without any allocation failing, and no reserve helps; the
 * reserve's pages then only make the process look larger.
 *
 * Thread-safe.  mem_reserve_release neither allocates nor calls anything
 * that does (a mutex, munmap), so it can run inside a failing allocation,
 * in SQLite's or jansson's as well as ours.
 */
#ifndef CORE_MEM_RESERVE_H
#define CORE_MEM_RESERVE_H

#include <stddef.h>

/*
 * Map and touch a reserve of `size` bytes (rounded up to whole pages), in
 * place of any before, its counts started again; 0 leaves the process
 * without one (never short of memory).  0, or -1 with
 * errno when it cannot be mapped: the process then starts short of memory,
 * and mem_reserve_restore tries again.
 */
int mem_reserve_init(size_t size);

/*
 * An allocation of `failed_size` bytes failed: unmap the reserve if it is
 * held (the process is then short of memory).  An xalloc_oom_handler.
 */
void mem_reserve_release(size_t failed_size);

/* Whether a reserve is configured and not held: the process is short of memory. */
int mem_reserve_spent(void);

/*
 * Map the reserve again when it is spent: 1 when it is held now (or none
 * is configured), 0 when memory has not come back (the mapping failed, or
 * RAGOPS_FAULTS names a memory fault, see core/fault.h).  One thread maps
 * at a time; the others answer 0 meanwhile.
 */
int mem_reserve_restore(void);

struct mem_reserve_stats {
	size_t size;                 /* configured, whole pages; 0: none */
	int spent;                   /* short of memory */
	double spent_since;          /* time_mono() when it was released */
	size_t failed_size;          /* the last allocation that failed */
	unsigned long long failures; /* allocations that failed (each calls the handler once) */
	unsigned long long releases; /* times the reserve was given back */
	unsigned long long restores; /* times it was mapped again */
};

void mem_reserve_stats(struct mem_reserve_stats *out);

/* Unmap the reserve and forget it (no reserve, not short of memory); counts kept. */
void mem_reserve_end(void);

#endif
