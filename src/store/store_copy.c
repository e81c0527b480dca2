/*
 * Copying a whole store to another backend (ragops store migrate): every
 * table in an order that satisfies its foreign keys, in one transaction on
 * the target, then both read back and compared value by value before the
 * commit.  The FTS5 index is not copied: a PostgreSQL store has none.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

struct copy_table {
	const char *name;
	const char *types; /* one per column: i integer, d real, t text, b blob */
	const char *columns;
	const char *select, *insert, *count;
	const char *sequence; /* moves an identity past the copied ids; NULL without one */
};

#define COPY_TABLE(name, types, columns, key, marks, identity)                                 \
	{                                                                                      \
		name, types, columns, "SELECT " columns " FROM " name " ORDER BY " key,        \
			"INSERT INTO " name " (" columns ") VALUES (" marks ")",               \
			"SELECT count(*) FROM " name,                                          \
			(identity) ? "SELECT setval(pg_get_serial_sequence('" name "', 'id')," \
				     " coalesce(max(id), 0) + 1, false) FROM " name            \
				   : NULL                                                      \
	}

#include "store/copy_tables.h"

#define NTABLES (sizeof(copy_tables) / sizeof(copy_tables[0]))
_Static_assert(NTABLES <= STORE_COPY_MAX_TABLES, "store_copy_report holds every table");

/* documents.version_id and doc_versions.doc_id refer to each other: the former is set last. */
#define DOCUMENTS_VERSION_COLUMN 20

/* Whether the source's columns of `t` are the ones this copy knows, in the same order. */
static int columns_known(struct store *from, const struct copy_table *t, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(from,
			"SELECT group_concat(name, ', ') FROM"
			" (SELECT name FROM pragma_table_info(?) ORDER BY cid)",
			&stmt, err))
		return -1;
	sql_bind_text(stmt, 1, t->name);
	int rc = sql_step(stmt);
	const char *have = rc == SQL_ROW ? sql_column_text(stmt, 0) : NULL;
	int same = have && !strcmp(have, t->columns);
	if (!same)
		strbuf_addf(err,
			    "store: the copy does not know table '%s' as this store has it (%s):"
			    " scripts/gen-copy-tables.py must be run again",
			    t->name, have ? have : "missing");
	sql_finalize(stmt);
	return same ? 0 : -1;
}

static long long count_rows(struct store *st, const struct copy_table *t, struct strbuf *err)
{
	struct sql_stmt *stmt = NULL;
	if (sql_prepare(st, t->count, &stmt, err))
		return -1;
	long long n = sql_step(stmt) == SQL_ROW ? sql_column_int64(stmt, 0) : -1;
	if (n < 0)
		sql_fail(st, "cannot count rows", err);
	sql_finalize(stmt);
	return n;
}

/* Bind column `col` of the source's current row to parameter col + 1 of the insert. */
static void bind_column(struct sql_stmt *src, struct sql_stmt *dst, int col, char type)
{
	if (sql_column_is_null(src, col)) {
		sql_bind_null(dst, col + 1);
		return;
	}
	switch (type) {
	case 'i':
		sql_bind_int64(dst, col + 1, sql_column_int64(src, col));
		break;
	case 'd':
		sql_bind_double(dst, col + 1, sql_column_double(src, col));
		break;
	case 'b':
		sql_bind_blob(dst, col + 1, sql_column_blob(src, col), sql_column_bytes(src, col));
		break;
	default:
		sql_bind_text(dst, col + 1, sql_column_text(src, col));
	}
}

static int copy_rows(struct store *from, struct store *to, const struct copy_table *t, long long *rows,
		     struct strbuf *err)
{
	struct sql_stmt *src = NULL, *dst = NULL;
	int ncols = (int)strlen(t->types), rc, ret = -1;
	int documents = !strcmp(t->name, "documents");
	*rows = 0;
	if (sql_prepare(from, t->select, &src, err) || sql_prepare(to, t->insert, &dst, err))
		goto out;
	sql_repeat(dst);
	while ((rc = sql_step(src)) == SQL_ROW) {
		sql_reset(dst);
		sql_clear_bindings(dst);
		for (int c = 0; c < ncols; c++)
			if (!(documents && c == DOCUMENTS_VERSION_COLUMN))
				bind_column(src, dst, c, t->types[c]);
		if (sql_step(dst) != SQL_DONE) {
			sql_fail(to, "cannot copy a row", err);
			strbuf_addf(err, " (table %s, row %lld)", t->name, *rows + 1);
			goto out;
		}
		(*rows)++;
	}
	if (rc != SQL_DONE) {
		sql_fail(from, "cannot read the rows to copy", err);
		strbuf_addf(err, " (table %s)", t->name);
		goto out;
	}
	ret = 0;
out:
	sql_finalize(src);
	sql_finalize(dst);
	return ret;
}

/* documents.version_id, once the versions it names are there. */
static int link_document_versions(struct store *from, struct store *to, struct strbuf *err)
{
	struct sql_stmt *src = NULL, *dst = NULL;
	int rc, ret = -1;
	if (sql_prepare(from,
			"SELECT id, version_id FROM documents WHERE version_id IS NOT NULL"
			" ORDER BY id",
			&src, err) ||
	    sql_prepare(to, "UPDATE documents SET version_id = ? WHERE id = ?", &dst, err))
		goto out;
	sql_repeat(dst);
	while ((rc = sql_step(src)) == SQL_ROW) {
		sql_reset(dst);
		sql_bind_int64(dst, 1, sql_column_int64(src, 1));
		sql_bind_int64(dst, 2, sql_column_int64(src, 0));
		if (sql_step(dst) != SQL_DONE) {
			sql_fail(to, "cannot link a document to its version", err);
			goto out;
		}
	}
	if (rc != SQL_DONE) {
		sql_fail(from, "cannot read the documents' versions", err);
		goto out;
	}
	ret = 0;
out:
	sql_finalize(src);
	sql_finalize(dst);
	return ret;
}

/* Whether column `col` holds the same value on both sides. */
static int same_value(struct sql_stmt *a, struct sql_stmt *b, int col, char type)
{
	int null_a = sql_column_is_null(a, col), null_b = sql_column_is_null(b, col);
	if (null_a || null_b)
		return null_a && null_b;
	switch (type) {
	case 'i':
		return sql_column_int64(a, col) == sql_column_int64(b, col);
	case 'd': /* PostgreSQL prints the shortest text that reads back as the same double */
		return sql_column_double(a, col) == sql_column_double(b, col);
	case 'b': {
		size_t n = sql_column_bytes(a, col);
		return n == sql_column_bytes(b, col) &&
		       (n == 0 || !memcmp(sql_column_blob(a, col), sql_column_blob(b, col), n));
	}
	default: {
		const char *ta = sql_column_text(a, col), *tb = sql_column_text(b, col);
		return ta && tb && !strcmp(ta, tb);
	}
	}
}

/* Read `t` back from both stores, in key order, and compare every value. */
static int verify_table(struct store *from, struct store *to, const struct copy_table *t,
			struct strbuf *err)
{
	struct sql_stmt *a = NULL, *b = NULL;
	int ncols = (int)strlen(t->types), ret = -1;
	long long row = 0;
	if (sql_prepare(from, t->select, &a, err) || sql_prepare(to, t->select, &b, err))
		goto out;
	for (;;) {
		int ra = sql_step(a), rb = sql_step(b);
		row++;
		if (ra == SQL_DONE && rb == SQL_DONE)
			break;
		if (ra != SQL_ROW || rb != SQL_ROW) {
			strbuf_addf(err, "store: the copy of table %s differs at row %lld: %s", t->name,
				    row,
				    ra == SQL_ROW || rb == SQL_ROW ? "one side has more rows"
								   : "a side cannot be read");
			goto out;
		}
		for (int c = 0; c < ncols; c++)
			if (!same_value(a, b, c, t->types[c])) {
				strbuf_addf(err,
					    "store: the copy of table %s differs at row %lld, column %d",
					    t->name, row, c + 1);
				goto out;
			}
	}
	ret = 0;
out:
	sql_finalize(a);
	sql_finalize(b);
	return ret;
}

/* The target holds nothing yet: a copy never merges into a store in use. */
static int target_empty(struct store *to, struct strbuf *err)
{
	for (size_t i = 0; i < NTABLES; i++) {
		long long n = count_rows(to, &copy_tables[i], err);
		if (n < 0)
			return -1;
		if (n > 0) {
			strbuf_addf(err,
				    "store: the target store is not empty (%lld rows in %s): a copy"
				    " goes into a new store only",
				    n, copy_tables[i].name);
			return -1;
		}
	}
	return 0;
}

static int copy_all(struct store *from, struct store *to, struct store_copy_report *report,
		    struct strbuf *err)
{
	for (size_t i = 0; i < NTABLES; i++) {
		const struct copy_table *t = &copy_tables[i];
		report->tables[i].table = t->name;
		if (copy_rows(from, to, t, &report->tables[i].rows, err))
			return -1;
		report->n = i + 1;
		if (!strcmp(t->name, "doc_versions") && link_document_versions(from, to, err))
			return -1;
	}
	for (size_t i = 0; i < NTABLES; i++)
		if (to->pg && copy_tables[i].sequence && sql_exec(to, copy_tables[i].sequence, err))
			return -1;
	for (size_t i = 0; i < NTABLES; i++)
		if (verify_table(from, to, &copy_tables[i], err))
			return -1;
	return 0;
}

int store_copy(struct store *from, struct store *to, struct store_copy_report *report,
	       struct strbuf *err)
{
	memset(report, 0, sizeof(*report));
	if (!from->db || !to->pg) {
		strbuf_addstr(err, "store: a copy goes from a SQLite store to a PostgreSQL one");
		return -1;
	}
	int version = store_schema_version(from);
	if (version != COPY_TABLES_VERSION || store_schema_version(to) != version) {
		strbuf_addf(err,
			    "store: schema versions differ (source %d, target %d, copy %d):"
			    " open both with this ragops first",
			    version, store_schema_version(to), COPY_TABLES_VERSION);
		return -1;
	}
	for (size_t i = 0; i < NTABLES; i++)
		if (columns_known(from, &copy_tables[i], err))
			return -1;
	/* The source's write lock for a consistent snapshot; the target's transaction for all or nothing. */
	if (sql_begin(from, err))
		return -1;
	if (sql_begin(to, err)) {
		sql_rollback(from);
		return -1;
	}
	int rc = target_empty(to, err) || copy_all(from, to, report, err) || sql_commit(to, err);
	if (rc)
		sql_rollback(to);
	sql_rollback(from); /* it only read */
	return rc ? -1 : 0;
}
