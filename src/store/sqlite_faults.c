/*
 * A SQLite VFS for the fault-injection tests (see core/fault.h): it wraps
 * the default VFS (unix) and asks fault_write() before every write to a
 * named file (the database, its WAL and journals), failing it with
 * SQLITE_FULL (ENOSPC) or SQLITE_IOERR_WRITE (EIO) as a full or failing
 * disk would.  SQLite's own temporary files (no name) are left alone.
 * Installed as the default VFS only when RAGOPS_FAULTS is set.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/fault.h"
#include "store/sqlite_internal.h"

struct fault_file {
	sqlite3_file base;  /* pMethods: fault_io */
	sqlite3_file *real; /* the wrapped VFS's file, allocated just after */
	int faulty;         /* a named file: its writes may fail */
};

static sqlite3_vfs *real_vfs;

#define REAL(f) (((struct fault_file *)(f))->real)

static int f_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 ofst)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, amt, ofst);
}

static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 ofst)
{
	sqlite3_file *real = REAL(f);
	if (((struct fault_file *)f)->faulty) {
		sqlite3_int64 size = 0;
		if (real->pMethods->xFileSize(real, &size) != SQLITE_OK)
			size = 0;
		int e = fault_write(ofst, amt, size);
		if (e == ENOSPC)
			return SQLITE_FULL;
		if (e)
			return SQLITE_IOERR_WRITE;
	}
	return real->pMethods->xWrite(real, buf, amt, ofst);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int f_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int f_check_reserved_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
	const sqlite3_io_methods *m = REAL(f)->pMethods;
	return m->iVersion >= 2 ? m->xShmMap(REAL(f), pg, pgsz, extend, pp) : SQLITE_IOERR_SHMMAP;
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	const sqlite3_io_methods *m = REAL(f)->pMethods;
	return m->iVersion >= 2 ? m->xShmLock(REAL(f), offset, n, flags) : SQLITE_IOERR_SHMLOCK;
}

static void f_shm_barrier(sqlite3_file *f)
{
	const sqlite3_io_methods *m = REAL(f)->pMethods;
	if (m->iVersion >= 2)
		m->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int delete_flag)
{
	const sqlite3_io_methods *m = REAL(f)->pMethods;
	return m->iVersion >= 2 ? m->xShmUnmap(REAL(f), delete_flag) : SQLITE_OK;
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 ofst, int amt, void **pp)
{
	const sqlite3_io_methods *m = REAL(f)->pMethods;
	if (m->iVersion >= 3)
		return m->xFetch(REAL(f), ofst, amt, pp);
	*pp = NULL;
	return SQLITE_OK;
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 ofst, void *p)
{
	const sqlite3_io_methods *m = REAL(f)->pMethods;
	return m->iVersion >= 3 ? m->xUnfetch(REAL(f), ofst, p) : SQLITE_OK;
}

static const sqlite3_io_methods fault_io = {
	3,
	f_close,
	f_read,
	f_write,
	f_truncate,
	f_sync,
	f_file_size,
	f_lock,
	f_unlock,
	f_check_reserved_lock,
	f_file_control,
	f_sector_size,
	f_device_characteristics,
	f_shm_map,
	f_shm_lock,
	f_shm_barrier,
	f_shm_unmap,
	f_fetch,
	f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	struct fault_file *f = (struct fault_file *)file;
	f->real = (sqlite3_file *)(f + 1);
	memset(f->real, 0, (size_t)real_vfs->szOsFile);
	f->faulty = name != NULL;
	int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	/* SQLite closes a file whose methods are set, even when the open failed. */
	f->base.pMethods = f->real->pMethods ? &fault_io : NULL;
	return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
	return real_vfs->xDlOpen(real_vfs, name);
}

static void v_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
	real_vfs->xDlError(real_vfs, n, msg);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void v_dl_close(sqlite3_vfs *vfs, void *h)
{
	real_vfs->xDlClose(real_vfs, h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	return real_vfs->xSleep(real_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs fault_vfs = {
	.iVersion = 2,
	.zName = "ragops-faults",
	.xOpen = v_open,
	.xDelete = v_delete,
	.xAccess = v_access,
	.xFullPathname = v_full_pathname,
	.xDlOpen = v_dl_open,
	.xDlError = v_dl_error,
	.xDlSym = v_dl_sym,
	.xDlClose = v_dl_close,
	.xRandomness = v_randomness,
	.xSleep = v_sleep,
	.xCurrentTime = v_current_time,
	.xGetLastError = v_get_last_error,
	.xCurrentTimeInt64 = v_current_time_int64,
};

static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

int sqlite_faults_install(struct strbuf *err)
{
	int rc = SQLITE_OK;
	if (!fault_enabled())
		return 0;
	pthread_mutex_lock(&install_lock);
	if (!real_vfs) {
		sqlite3_vfs *base = sqlite3_vfs_find(NULL);
		if (!base || base->iVersion < 2 || !base->xCurrentTimeInt64) {
			rc = SQLITE_ERROR;
		} else {
			fault_vfs.szOsFile = (int)sizeof(struct fault_file) + base->szOsFile;
			fault_vfs.mxPathname = base->mxPathname;
			real_vfs = base;
			rc = sqlite3_vfs_register(&fault_vfs, 1);
			if (rc != SQLITE_OK)
				real_vfs = NULL;
		}
	}
	pthread_mutex_unlock(&install_lock);
	if (rc == SQLITE_OK)
		return 0;
	strbuf_addf(err, "cannot install the fault-injection VFS (RAGOPS_FAULTS): %s",
		    sqlite3_errstr(rc));
	return -1;
}
