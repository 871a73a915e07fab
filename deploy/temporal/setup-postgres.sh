#!/bin/sh
# One-shot schema job (temporalio/admin-tools): creates Temporal's two databases if missing, then
# brings their schemas to the version this admin-tools image ships. Run on every `docker compose up`
# before the server starts; on an upgrade (newer admin-tools and server tags) it applies the new
# schema versions first. Needs POSTGRES_SEEDS, POSTGRES_USER, SQL_PASSWORD (read by temporal-sql-tool).
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT="${TEMPORAL_SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$DB_PORT" --db "$@"
}

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db="${pair%%:*}"
  schema="$SCHEMA_ROOT/${pair##*:}/versioned"
  echo "setup-postgres: $db"
  # `create` fails when the database exists; setup-schema below fails too if it really is missing.
  sql_tool "$db" create || echo "setup-postgres: $db exists"
  sql_tool "$db" setup-schema -v 0.0
  sql_tool "$db" update-schema -d "$schema"
done
echo "setup-postgres: done"
