-- Run once by the postgres image on a new data volume (/docker-entrypoint-initdb.d), as its superuser.
-- Two roles (README, Security):
--   popscreen_owner  owns the database and its tables; only migrations use it (MIGRATION_DATABASE_URL).
--   popscreen_app    the service (DATABASE_URL): SELECT and INSERT on every table and UPDATE on the few
--                    columns it changes (api_keys, registry_versions, review_cases), granted by the
--                    migration step (src/db/service-role.ts). No UPDATE, DELETE or TRUNCATE on the audit
--                    trail, and not the owner, so it cannot disable the append-only triggers either.
-- The passwords are for this local stack only: change them (and the URLs in docker-compose.yml) elsewhere.
CREATE ROLE popscreen_owner LOGIN PASSWORD 'popscreen_owner';
CREATE ROLE popscreen_app LOGIN PASSWORD 'popscreen_app';
ALTER DATABASE popscreen OWNER TO popscreen_owner;
\connect popscreen
ALTER SCHEMA public OWNER TO popscreen_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
