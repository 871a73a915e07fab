-- Up Migration

-- Schema `ldsync` holds the service's own bookkeeping: connections (with encrypted tokens), sync runs
-- and their per-stream progress. Schema `launchdarkly` (next migration) holds the copied data.
CREATE SCHEMA IF NOT EXISTS ldsync;

CREATE TABLE ldsync.connections (
  id               text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  name             text NOT NULL,
  base_url         text NOT NULL,
  api_version      text NOT NULL,
  -- AES-256-GCM, format `v1:<key fingerprint>:<iv>:<tag>:<ciphertext>`; never the plain token.
  token_ciphertext text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ldsync.connections IS 'LaunchDarkly accounts this service syncs. Removing one keeps its data and run history.';
COMMENT ON COLUMN ldsync.connections.token_ciphertext IS 'API token encrypted with LDSYNC_ENCRYPTION_KEY (AES-256-GCM, bound to the connection id).';

-- No foreign key to connections: run history outlives a removed connection.
CREATE TABLE ldsync.sync_runs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  connection_id   text NOT NULL,
  workflow_id     text NOT NULL,
  workflow_run_id text NOT NULL UNIQUE,
  trigger         text NOT NULL,
  status          text NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'cancelled')),
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  error_type      text,
  error_message   text,
  -- {inserted, updated, unchanged, deleted, requests, pages}, summed from the streams when the run ends.
  totals          jsonb,
  CHECK ((status = 'running') = (finished_at IS NULL))
);
-- At most one running sync per connection, enforced by the database so two starters cannot race.
CREATE UNIQUE INDEX sync_runs_one_running_per_connection ON ldsync.sync_runs (connection_id) WHERE status = 'running';
CREATE INDEX sync_runs_connection_started ON ldsync.sync_runs (connection_id, started_at DESC);
COMMENT ON TABLE ldsync.sync_runs IS 'One row per sync workflow run (ldsync status reads it).';

CREATE TABLE ldsync.sync_run_streams (
  run_id         uuid NOT NULL REFERENCES ldsync.sync_runs (id) ON DELETE CASCADE,
  stream         text NOT NULL
                 CHECK (stream IN ('projects', 'tags', 'teams', 'team_maintainers', 'environments', 'flags', 'flag_statuses')),
  -- '' for account-wide streams, a project key, a team key, or `<project>/<environment>`.
  scope          text NOT NULL DEFAULT '',
  status         text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
  -- Where a retry resumes: committed in the same transaction as the rows of the page before it.
  cursor         text,
  requests       integer NOT NULL DEFAULT 0,
  pages          integer NOT NULL DEFAULT 0,
  rows_inserted  integer NOT NULL DEFAULT 0,
  rows_updated   integer NOT NULL DEFAULT 0,
  rows_unchanged integer NOT NULL DEFAULT 0,
  rows_deleted   integer NOT NULL DEFAULT 0,
  -- The same counts per table, e.g. {"flags": {...}, "flag_environments": {...}}.
  table_counts   jsonb NOT NULL DEFAULT '{}',
  -- Number of keys this pass recorded in ldsync.seen_keys; lets completion notice a lost (unlogged) table.
  seen_key_count integer NOT NULL DEFAULT 0,
  deletion_check text CHECK (deletion_check IN ('done', 'skipped', 'seen_keys_lost')),
  error_type     text,
  error_message  text,
  started_at     timestamptz NOT NULL DEFAULT now(),
  -- Last progress (page written, state change): a running stream whose updated_at is old is stuck.
  updated_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  -- Set while the stream sleeps on a rate limit.
  waiting_until  timestamptz,
  PRIMARY KEY (run_id, stream, scope)
);
COMMENT ON TABLE ldsync.sync_run_streams IS 'Progress and row counts of each stream pass of a run; counts are per distinct key, exact across retries.';

-- Keys seen during a stream pass, so deletion detection never needs to touch unchanged data rows.
-- UNLOGGED: cheap to write, and only needed until the pass completes. Postgres empties it after a
-- crash; sync_run_streams.seen_key_count detects that, and deletion detection is then skipped.
CREATE UNLOGGED TABLE ldsync.seen_keys (
  run_id     uuid NOT NULL,
  stream     text NOT NULL,
  scope      text NOT NULL,
  table_name text NOT NULL,
  key        text[] NOT NULL,
  PRIMARY KEY (run_id, stream, scope, table_name, key)
);

-- Down Migration
DROP TABLE IF EXISTS ldsync.seen_keys;
DROP TABLE IF EXISTS ldsync.sync_run_streams;
DROP TABLE IF EXISTS ldsync.sync_runs;
DROP TABLE IF EXISTS ldsync.connections;
