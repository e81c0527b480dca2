/*
 * The store's schema in PostgreSQL's dialect: the same numbered migrations
 * as sqlite_migrations.c (migration k leaves the same tables, keys,
 * indexes and views in both), less the SQLite full-text index (FTS5).
 * tests/tools/compare_pg_schema.sh holds the two to each other.
 */
#ifndef STORE_PG_MIGRATIONS_H
#define STORE_PG_MIGRATIONS_H

/*
 * pg_migrations[k - 1] is migration k: one or more statements for one
 * PQexec, without parameters, run in its own transaction with the bump of
 * schema_version.version to k.  Each ends in a command (PGRES_COMMAND_OK),
 * the FTS5-only ones included.
 */
extern const char *const pg_migrations[];
extern const int pg_migration_count;

/* Creates the one-row schema_version table if missing (the PRAGMA user_version of SQLite). */
extern const char *const pg_version_table;

#endif
