-- Up Migration

-- Views for the questions analysts ask most. They read live rows only (deleted_at IS NULL).

-- Per flag and environment: is targeting on, and is the flag being evaluated there?
CREATE VIEW launchdarkly.flag_rollout_state AS
SELECT
  fe.connection_id,
  fe.project_key,
  fe.flag_key,
  fe.environment_key,
  f.name AS flag_name,
  e.name AS environment_name,
  e.critical AS environment_critical,
  fe."on" AS targeting_on,
  f.archived AS flag_archived,
  f.temporary AS flag_temporary,
  fe.last_modified,
  s.status,
  s.last_requested
FROM launchdarkly.flag_environments fe
JOIN launchdarkly.flags f
  ON f.connection_id = fe.connection_id AND f.project_key = fe.project_key AND f.flag_key = fe.flag_key
  AND f.deleted_at IS NULL
JOIN launchdarkly.environments e
  ON e.connection_id = fe.connection_id AND e.project_key = fe.project_key AND e.environment_key = fe.environment_key
  AND e.deleted_at IS NULL
LEFT JOIN launchdarkly.flag_statuses s
  ON s.connection_id = fe.connection_id AND s.project_key = fe.project_key
  AND s.environment_key = fe.environment_key AND s.flag_key = fe.flag_key AND s.deleted_at IS NULL
WHERE fe.deleted_at IS NULL;

-- Live (unarchived) flags that look ready for clean-up, by LaunchDarkly's own status in every
-- environment that reports one:
--   inactive_everywhere  no evaluations in the last 7 days in any environment
--   launched_everywhere  a temporary flag serving a single variation everywhere for 7+ days
CREATE VIEW launchdarkly.stale_flags AS
WITH per_flag AS (
  SELECT
    s.connection_id,
    s.project_key,
    s.flag_key,
    count(*) AS environment_count,
    count(*) FILTER (WHERE s.status = 'inactive') AS inactive_count,
    count(*) FILTER (WHERE s.status = 'launched') AS launched_count,
    max(s.last_requested) AS last_requested,
    jsonb_object_agg(s.environment_key, s.status) AS statuses
  FROM launchdarkly.flag_statuses s
  JOIN launchdarkly.environments e
    ON e.connection_id = s.connection_id AND e.project_key = s.project_key AND e.environment_key = s.environment_key
    AND e.deleted_at IS NULL
  WHERE s.deleted_at IS NULL
  GROUP BY s.connection_id, s.project_key, s.flag_key
)
SELECT
  f.connection_id,
  f.project_key,
  f.flag_key,
  f.name,
  f.kind,
  f.temporary,
  f.created_at,
  f.maintainer_id,
  f.maintainer_team_key,
  f.tags,
  p.environment_count,
  p.last_requested,
  p.last_requested IS NULL AS never_requested,
  p.statuses,
  CASE
    WHEN p.inactive_count = p.environment_count THEN 'inactive_everywhere'
    ELSE 'launched_everywhere'
  END AS stale_reason
FROM launchdarkly.flags f
JOIN per_flag p ON p.connection_id = f.connection_id AND p.project_key = f.project_key AND p.flag_key = f.flag_key
WHERE f.deleted_at IS NULL
  AND NOT f.archived
  AND (p.inactive_count = p.environment_count OR (f.temporary AND p.launched_count = p.environment_count));

-- Flag counts per maintaining team (team_key NULL: flags not maintained by a team).
CREATE VIEW launchdarkly.flags_per_team AS
SELECT
  f.connection_id,
  f.maintainer_team_key AS team_key,
  t.name AS team_name,
  count(*) FILTER (WHERE NOT f.archived) AS live_flags,
  count(*) FILTER (WHERE NOT f.archived AND f.temporary) AS temporary_flags,
  count(*) FILTER (WHERE f.archived) AS archived_flags,
  count(sf.flag_key) AS stale_flags
FROM launchdarkly.flags f
LEFT JOIN launchdarkly.teams t
  ON t.connection_id = f.connection_id AND t.team_key = f.maintainer_team_key AND t.deleted_at IS NULL
LEFT JOIN launchdarkly.stale_flags sf
  ON sf.connection_id = f.connection_id AND sf.project_key = f.project_key AND sf.flag_key = f.flag_key
WHERE f.deleted_at IS NULL
GROUP BY f.connection_id, f.maintainer_team_key, t.name;

-- Down Migration
DROP VIEW IF EXISTS launchdarkly.flags_per_team;
DROP VIEW IF EXISTS launchdarkly.stale_flags;
DROP VIEW IF EXISTS launchdarkly.flag_rollout_state;
