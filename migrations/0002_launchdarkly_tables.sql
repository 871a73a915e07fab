-- Up Migration

-- The copied LaunchDarkly metadata. Every table has:
--   raw            the upstream JSON (SDK keys, mobile keys and _pubnub removed)
--   content_hash   md5 of the mapped row; a re-sync rewrites a row only when it differs
--   first_seen_at  when this service first saw the row (never changes)
--   updated_at     when the row's content last changed in our copy (not LaunchDarkly's timestamp)
--   deleted_at     set when a complete pass no longer sees the row; cleared when it comes back
-- Archived flags are rows with archived = true, not deletions. Live rows: WHERE deleted_at IS NULL.
-- No foreign keys between these tables: streams write in parallel and soft deletes keep history.
CREATE SCHEMA IF NOT EXISTS launchdarkly;

CREATE TABLE launchdarkly.projects (
  connection_id text NOT NULL,
  project_key   text NOT NULL,
  name          text NOT NULL,
  tags          text[] NOT NULL DEFAULT '{}',
  raw           jsonb NOT NULL,
  content_hash  text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz,
  PRIMARY KEY (connection_id, project_key)
);

CREATE TABLE launchdarkly.environments (
  connection_id   text NOT NULL,
  project_key     text NOT NULL,
  environment_key text NOT NULL,
  name            text NOT NULL,
  color           text,
  critical        boolean,
  tags            text[] NOT NULL DEFAULT '{}',
  raw             jsonb NOT NULL,
  content_hash    text NOT NULL,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz,
  PRIMARY KEY (connection_id, project_key, environment_key)
);

CREATE TABLE launchdarkly.flags (
  connection_id       text NOT NULL,
  project_key         text NOT NULL,
  flag_key            text NOT NULL,
  name                text NOT NULL,
  description         text,
  kind                text NOT NULL,
  temporary           boolean NOT NULL,
  archived            boolean NOT NULL,
  deprecated          boolean NOT NULL,
  created_at          timestamptz,
  archived_at         timestamptz,
  deprecated_at       timestamptz,
  maintainer_id       text,
  maintainer_team_key text,
  tags                text[] NOT NULL DEFAULT '{}',
  raw                 jsonb NOT NULL,
  content_hash        text NOT NULL,
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  deleted_at          timestamptz,
  PRIMARY KEY (connection_id, project_key, flag_key)
);
COMMENT ON COLUMN launchdarkly.flags.created_at IS 'LaunchDarkly creationDate (first_seen_at is when this service first saw the flag).';
CREATE INDEX flags_maintainer_team ON launchdarkly.flags (connection_id, maintainer_team_key) WHERE maintainer_team_key IS NOT NULL;
CREATE INDEX flags_maintainer ON launchdarkly.flags (connection_id, maintainer_id) WHERE maintainer_id IS NOT NULL;
CREATE INDEX flags_tags ON launchdarkly.flags USING gin (tags);

-- One row per flag and environment: the per-environment targeting state.
CREATE TABLE launchdarkly.flag_environments (
  connection_id   text NOT NULL,
  project_key     text NOT NULL,
  flag_key        text NOT NULL,
  environment_key text NOT NULL,
  "on"            boolean NOT NULL,
  archived        boolean NOT NULL,
  last_modified   timestamptz,
  version         integer,
  raw             jsonb NOT NULL,
  content_hash    text NOT NULL,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz,
  PRIMARY KEY (connection_id, project_key, flag_key, environment_key)
);
COMMENT ON COLUMN launchdarkly.flag_environments."on" IS 'Targeting on. ON is an SQL keyword: write fe."on" (or use launchdarkly.flag_rollout_state.targeting_on).';
CREATE INDEX flag_environments_environment ON launchdarkly.flag_environments (connection_id, project_key, environment_key);

CREATE TABLE launchdarkly.flag_statuses (
  connection_id   text NOT NULL,
  project_key     text NOT NULL,
  environment_key text NOT NULL,
  flag_key        text NOT NULL,
  status          text NOT NULL,
  last_requested  timestamptz,
  default_value   jsonb,
  raw             jsonb NOT NULL,
  content_hash    text NOT NULL,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz,
  PRIMARY KEY (connection_id, project_key, environment_key, flag_key)
);
COMMENT ON COLUMN launchdarkly.flag_statuses.status IS 'new, inactive, active or launched (LaunchDarkly flag status).';
CREATE INDEX flag_statuses_flag ON launchdarkly.flag_statuses (connection_id, project_key, flag_key);

CREATE TABLE launchdarkly.tags (
  connection_id text NOT NULL,
  tag           text NOT NULL,
  raw           jsonb NOT NULL,
  content_hash  text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz,
  PRIMARY KEY (connection_id, tag)
);

CREATE TABLE launchdarkly.teams (
  connection_id text NOT NULL,
  team_key      text NOT NULL,
  name          text,
  description   text,
  created_at    timestamptz,
  ld_updated_at timestamptz,
  raw           jsonb NOT NULL,
  content_hash  text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz,
  PRIMARY KEY (connection_id, team_key)
);
COMMENT ON COLUMN launchdarkly.teams.created_at IS 'LaunchDarkly _creationDate.';
COMMENT ON COLUMN launchdarkly.teams.ld_updated_at IS 'LaunchDarkly _lastModified. (updated_at is when our copy of the row last changed.)';

CREATE TABLE launchdarkly.team_maintainers (
  connection_id text NOT NULL,
  team_key      text NOT NULL,
  member_id     text NOT NULL,
  email         text,
  first_name    text,
  last_name     text,
  role          text,
  raw           jsonb NOT NULL,
  content_hash  text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  deleted_at    timestamptz,
  PRIMARY KEY (connection_id, team_key, member_id)
);
CREATE INDEX team_maintainers_member ON launchdarkly.team_maintainers (connection_id, member_id);

-- Down Migration
DROP TABLE IF EXISTS launchdarkly.team_maintainers;
DROP TABLE IF EXISTS launchdarkly.teams;
DROP TABLE IF EXISTS launchdarkly.tags;
DROP TABLE IF EXISTS launchdarkly.flag_statuses;
DROP TABLE IF EXISTS launchdarkly.flag_environments;
DROP TABLE IF EXISTS launchdarkly.flags;
DROP TABLE IF EXISTS launchdarkly.environments;
DROP TABLE IF EXISTS launchdarkly.projects;
