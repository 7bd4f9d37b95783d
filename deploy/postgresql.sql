-- The app's role and database on PostgreSQL 15+, run once as the postgres superuser:
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -v role=zundapod -v db=zundapod -v password='…' -f deploy/postgresql.sql
-- Since 15 the public schema is no longer writable by every role: the app's role owns the
-- database and its public schema, or `migrate` stops at "permission denied for schema public".
-- A UTF-8 ctype, or search drops Japanese characters (system check episodes.W001).
-- The role once (a second database for a restore reuses it); the database anew each time.
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
CREATE DATABASE :"db" OWNER :"role" TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8';
\connect :"db"
ALTER SCHEMA public OWNER TO :"role";
-- Search uses pg_trgm; creating an extension needs a superuser, so it is made here, once.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
