-- Up Migration

-- Exact through a Postgres crash (issue 9). ldsync.seen_keys was UNLOGGED, so crash recovery emptied
-- it: counts drifted (a key seen again after the crash counted a second time) and deletion detection
-- was skipped for the scopes whose keys were lost. A logged table keeps every committed page's keys,
-- at the cost of their WAL (scripts/bench-db-writer.ts measures it; see the README).
ALTER TABLE ldsync.seen_keys SET LOGGED;
COMMENT ON TABLE ldsync.seen_keys IS 'Keys seen by a stream pass of a running run (deletion detection and per-pass counts). Logged: survives a crash. Emptied when the pass or its run ends.';

-- A run says where it could not check deletions: `stream/scope` of every stream that completed with
-- deletion_check = 'seen_keys_lost'. Empty when deletions were checked everywhere they should be.
ALTER TABLE ldsync.sync_runs ADD COLUMN deletions_unchecked text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN ldsync.sync_runs.deletions_unchecked IS 'Streams (stream/scope) whose deletions could not be checked in this run; their deleted rows are detected by the next run.';

-- Down Migration
ALTER TABLE ldsync.sync_runs DROP COLUMN IF EXISTS deletions_unchecked;
ALTER TABLE ldsync.seen_keys SET UNLOGGED;
