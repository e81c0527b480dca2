-- SQLite's functions that the integration tests' own queries use (sql() in
-- tests/integration/lib.sh), for a store on PostgreSQL: tests/tools/ragops-pg
-- puts them in every database it makes, in a schema of their own that only
-- sql() puts on its search_path, so ragops itself never sees them (its SQL
-- must not depend on them).
CREATE SCHEMA ragops_test_shim;
SET search_path = ragops_test_shim;
-- group_concat(X [, SEP]): SQLite's; NULLs skipped, ',' by default.
CREATE FUNCTION gc_step(acc text, v anyelement, sep text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text ELSE acc || sep || v::text END $$;
CREATE FUNCTION gc_step(acc text, v anyelement) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT ragops_test_shim.gc_step(acc, v, ',') $$;
CREATE AGGREGATE group_concat(anyelement) (SFUNC = gc_step, STYPE = text);
CREATE AGGREGATE group_concat(anyelement, text) (SFUNC = gc_step, STYPE = text);
-- hex(BLOB): upper-case hexadecimal, as SQLite's.
CREATE FUNCTION hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode($1, 'hex')) $$;
CREATE FUNCTION hex(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode(convert_to($1, 'UTF8'), 'hex')) $$;
-- strftime('%s', 'now'): the Unix time in seconds (the only form the tests use).
CREATE FUNCTION strftime(fmt text, t text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT CASE WHEN fmt = '%s' AND t = 'now' THEN extract(epoch FROM now())::bigint END $$;
