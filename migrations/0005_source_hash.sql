-- Up Migration

-- A no-change re-sync ships no row to Postgres (issue 11). The worker hashes each row's JSON as it
-- builds it (`source_hash`) and sends only keys and hashes; Postgres answers which rows differ, and
-- only those travel in full and are compared by `content_hash` as before. NULL for rows written before
-- this migration: the next pass stores their hash once (counted unchanged, `updated_at` kept).
--
-- A writer that does not know source hashes (a worker from before this migration, during a rolling
-- deploy or after a rollback) changes content but leaves the old source hash: the trigger forgets it
-- then, or the next pass would take the row for unchanged while it holds the other writer's content.
CREATE FUNCTION launchdarkly.forget_stale_source_hash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.source_hash := NULL;
  RETURN NEW;
END
$$;

DO $$
DECLARE
  data_table text;
BEGIN
  FOREACH data_table IN ARRAY ARRAY['projects', 'environments', 'flags', 'flag_environments', 'flag_statuses',
                                    'tags', 'teams', 'team_maintainers'] LOOP
    EXECUTE format('ALTER TABLE launchdarkly.%I ADD COLUMN source_hash text', data_table);
    EXECUTE format('COMMENT ON COLUMN launchdarkly.%I.source_hash IS %L', data_table,
                   'md5 of the row as the worker built it; NULL until a pass after migration 0005 stores it');
    EXECUTE format(
      'CREATE TRIGGER forget_stale_source_hash BEFORE UPDATE ON launchdarkly.%I FOR EACH ROW '
      'WHEN (NEW.content_hash IS DISTINCT FROM OLD.content_hash AND NEW.source_hash IS NOT DISTINCT FROM OLD.source_hash) '
      'EXECUTE FUNCTION launchdarkly.forget_stale_source_hash()', data_table);
  END LOOP;
END
$$;

-- Down Migration
DROP FUNCTION IF EXISTS launchdarkly.forget_stale_source_hash() CASCADE;
DO $$
DECLARE
  data_table text;
BEGIN
  FOREACH data_table IN ARRAY ARRAY['projects', 'environments', 'flags', 'flag_environments', 'flag_statuses',
                                    'tags', 'teams', 'team_maintainers'] LOOP
    EXECUTE format('ALTER TABLE launchdarkly.%I DROP COLUMN IF EXISTS source_hash', data_table);
  END LOOP;
END
$$;
