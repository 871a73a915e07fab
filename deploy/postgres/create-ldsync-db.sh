#!/bin/sh
# One-shot job (the postgres image, for its psql): the role and database ldsync writes to, beside
# Temporal's databases in the same instance. Idempotent, so it also works on a volume made before
# this job existed; the role's password follows LDSYNC_DB_PASSWORD.
# PGHOST, PGUSER, PGPASSWORD: a superuser; LDSYNC_DB_NAME, LDSYNC_DB_USER (ldsync), LDSYNC_DB_PASSWORD.
set -eu
: "${PGHOST:?}" "${PGUSER:?}" "${LDSYNC_DB_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 -d postgres -q \
  -v db="${LDSYNC_DB_NAME:-ldsync}" -v role="${LDSYNC_DB_USER:-ldsync}" -v password="$LDSYNC_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
echo "create-ldsync-db: database ${LDSYNC_DB_NAME:-ldsync} owned by ${LDSYNC_DB_USER:-ldsync}"
