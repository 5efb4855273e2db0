-- security_model.sql: the declarations the README's security model rests
-- on (SPEC §0): no function is SECURITY DEFINER or carries its own
-- settings, every one is PARALLEL RESTRICTED, the extension is not trusted
-- (installing it takes a superuser), and nobody but its owner can write
-- the config table.  Behaviour is tested elsewhere: hardening.sql
-- (injection, search_path), privileges.sql (RLS, roles, definer wrappers),
-- cache.sql (42501 after another role's load), errors.sql (ownership).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS matrx_relations;

SELECT plan(6);

CREATE TEMP VIEW ext_functions AS
    SELECT p.* FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'matrx_relations';

SELECT cmp_ok((SELECT count(*) FROM ext_functions), '>=', 13::bigint, 'the extension''s functions are found');
SELECT is((SELECT array_agg(proname::text ORDER BY proname) FROM ext_functions WHERE prosecdef), NULL,
          'no function is SECURITY DEFINER');
SELECT is((SELECT array_agg(proname::text ORDER BY proname) FROM ext_functions WHERE proconfig IS NOT NULL), NULL,
          'no function sets its own search_path or other settings');
SELECT is((SELECT array_agg(proname::text ORDER BY proname) FROM ext_functions WHERE proparallel <> 'r'), NULL,
          'every function is PARALLEL RESTRICTED');
SELECT is((SELECT bool_or(trusted) FROM pg_available_extension_versions WHERE name = 'matrx_relations'), false,
          'no version is trusted: only a superuser can install it');

CREATE ROLE sm_user;
SELECT is(ARRAY[has_table_privilege('sm_user', 'matrx_relations.registered_relations', 'INSERT'),
                has_table_privilege('sm_user', 'matrx_relations.registered_relations', 'UPDATE'),
                has_table_privilege('sm_user', 'matrx_relations.registered_relations', 'DELETE'),
                has_table_privilege('sm_user', 'matrx_relations.registered_relations', 'TRUNCATE')],
          ARRAY[false, false, false, false], 'a role cannot write the config table');

SELECT * FROM finish();
ROLLBACK;
