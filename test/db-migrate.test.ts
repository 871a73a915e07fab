// Migrations against a real Postgres: idempotent, safe when run concurrently, and producing the
// schema of DESIGN.md's Tables contract.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { migrate } from '../src/db/migrate';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import { adminDatabaseUrl } from './db-helpers';

const ALL = [
  '0001_bookkeeping',
  '0002_launchdarkly_tables',
  '0003_analyst_views',
  '0004_durable_seen_keys',
  '0005_source_hash',
];

let db: IsolatedDatabase;
let client: pg.Client;

before(async () => {
  db = await createIsolatedDatabase(adminDatabaseUrl(), 'migrate', { migrate: false });
});

after(async () => {
  await client?.end();
  await db?.drop();
});

test('two concurrent runs on an empty database apply every migration exactly once; a third applies nothing', async () => {
  const results = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
  const applied = results.map((r) => r.applied);
  assert.deepEqual(
    applied.filter((a) => a.length > 0),
    [ALL],
  );
  assert.equal(applied.filter((a) => a.length === 0).length, 2);
  assert.deepEqual(await migrate(db.url), { applied: [] });

  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query('SELECT name FROM ldsync.schema_migrations ORDER BY id');
  assert.deepEqual(
    rows.map((r) => r.name),
    ALL,
  );
});

test('the contract tables have their primary keys and bookkeeping columns', async () => {
  const primaryKeys: Record<string, string[]> = {
    'launchdarkly.projects': ['connection_id', 'project_key'],
    'launchdarkly.environments': ['connection_id', 'project_key', 'environment_key'],
    'launchdarkly.flags': ['connection_id', 'project_key', 'flag_key'],
    'launchdarkly.flag_environments': ['connection_id', 'project_key', 'flag_key', 'environment_key'],
    'launchdarkly.flag_statuses': ['connection_id', 'project_key', 'environment_key', 'flag_key'],
    'launchdarkly.tags': ['connection_id', 'tag'],
    'launchdarkly.teams': ['connection_id', 'team_key'],
    'launchdarkly.team_maintainers': ['connection_id', 'team_key', 'member_id'],
    'ldsync.connections': ['id'],
    'ldsync.sync_runs': ['id'],
    'ldsync.sync_run_streams': ['run_id', 'stream', 'scope'],
  };
  for (const [table, expected] of Object.entries(primaryKeys)) {
    const { rows } = await client.query<{ column_name: string }>(
      `SELECT a.attname AS column_name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary
       ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [table],
    );
    assert.deepEqual(
      rows.map((r) => r.column_name),
      expected,
      table,
    );
  }

  const required: Record<string, string[]> = {
    projects: ['name', 'tags'],
    environments: ['name', 'color', 'critical', 'tags'],
    flags: [
      'name',
      'kind',
      'temporary',
      'archived',
      'deprecated',
      'created_at',
      'maintainer_id',
      'maintainer_team_key',
      'tags',
    ],
    flag_environments: ['on', 'archived', 'last_modified'],
    flag_statuses: ['status', 'last_requested', 'default_value'],
    tags: [],
    teams: ['name', 'description', 'created_at', 'updated_at'],
    team_maintainers: ['email', 'first_name', 'last_name', 'role'],
  };
  for (const [table, columns] of Object.entries(required)) {
    const { rows } = await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'launchdarkly' AND table_name = $1`,
      [table],
    );
    const present = new Set(rows.map((r) => r.column_name));
    for (const column of [...columns, 'raw', 'content_hash', 'first_seen_at', 'updated_at', 'deleted_at']) {
      assert.ok(present.has(column), `launchdarkly.${table}.${column}`);
    }
  }

  // Logged (issue 9): crash recovery must not empty the keys a running pass has seen.
  const persistence = await client.query(
    `SELECT relpersistence FROM pg_class WHERE oid = 'ldsync.seen_keys'::regclass`,
  );
  assert.equal(persistence.rows[0]?.relpersistence, 'p');
  const unchecked = await client.query(
    `SELECT data_type FROM information_schema.columns WHERE table_schema = 'ldsync' AND table_name = 'sync_runs' AND column_name = 'deletions_unchecked'`,
  );
  assert.equal(unchecked.rows[0]?.data_type, 'ARRAY');

  for (const view of ['launchdarkly.stale_flags', 'launchdarkly.flags_per_team', 'launchdarkly.flag_rollout_state']) {
    await client.query(`SELECT * FROM ${view} LIMIT 1`);
  }

  await client.query(
    `INSERT INTO ldsync.sync_runs (connection_id, workflow_id, workflow_run_id, trigger) VALUES ('c', 'w', 'r1', 'test')`,
  );
  await assert.rejects(
    client.query(
      `INSERT INTO ldsync.sync_runs (connection_id, workflow_id, workflow_run_id, trigger) VALUES ('c', 'w', 'r2', 'test')`,
    ),
    /sync_runs_one_running_per_connection/,
  );
  await assert.rejects(
    client.query(`UPDATE ldsync.sync_runs SET status = 'done', finished_at = now() WHERE workflow_run_id = 'r1'`),
    /check constraint/,
  );
});

test('the analyst views answer their questions', async () => {
  await client.query(`
    INSERT INTO launchdarkly.environments (connection_id, project_key, environment_key, name, raw, content_hash) VALUES
      ('v', 'p', 'production', 'Production', '{}', ''), ('v', 'p', 'test', 'Test', '{}', '');
    INSERT INTO launchdarkly.teams (connection_id, team_key, name, raw, content_hash) VALUES ('v', 'web', 'Web', '{}', '');
    INSERT INTO launchdarkly.flags (connection_id, project_key, flag_key, name, kind, temporary, archived, deprecated,
                                    maintainer_team_key, raw, content_hash) VALUES
      ('v', 'p', 'idle', 'idle', 'boolean', false, false, false, 'web', '{}', ''),
      ('v', 'p', 'done', 'done', 'boolean', true, false, false, 'web', '{}', ''),
      ('v', 'p', 'busy', 'busy', 'boolean', true, false, false, NULL, '{}', ''),
      ('v', 'p', 'old', 'old', 'boolean', true, true, false, 'web', '{}', '');
    INSERT INTO launchdarkly.flag_statuses (connection_id, project_key, environment_key, flag_key, status, raw, content_hash) VALUES
      ('v', 'p', 'production', 'idle', 'inactive', '{}', ''), ('v', 'p', 'test', 'idle', 'inactive', '{}', ''),
      ('v', 'p', 'production', 'done', 'launched', '{}', ''), ('v', 'p', 'test', 'done', 'launched', '{}', ''),
      ('v', 'p', 'production', 'busy', 'active', '{}', ''), ('v', 'p', 'test', 'busy', 'inactive', '{}', ''),
      ('v', 'p', 'production', 'old', 'inactive', '{}', '');
    INSERT INTO launchdarkly.flag_environments (connection_id, project_key, flag_key, environment_key, "on", archived, raw, content_hash) VALUES
      ('v', 'p', 'busy', 'production', true, false, '{}', '');
  `);
  const stale = await client.query(
    `SELECT flag_key, stale_reason, environment_count::int, never_requested FROM launchdarkly.stale_flags
     WHERE connection_id = 'v' ORDER BY flag_key`,
  );
  assert.deepEqual(stale.rows, [
    { flag_key: 'done', stale_reason: 'launched_everywhere', environment_count: 2, never_requested: true },
    { flag_key: 'idle', stale_reason: 'inactive_everywhere', environment_count: 2, never_requested: true },
  ]);
  const perTeam = await client.query(
    `SELECT team_key, team_name, live_flags::int, temporary_flags::int, archived_flags::int, stale_flags::int
     FROM launchdarkly.flags_per_team WHERE connection_id = 'v' ORDER BY team_key NULLS LAST`,
  );
  assert.deepEqual(perTeam.rows, [
    { team_key: 'web', team_name: 'Web', live_flags: 2, temporary_flags: 1, archived_flags: 1, stale_flags: 2 },
    { team_key: null, team_name: null, live_flags: 1, temporary_flags: 1, archived_flags: 0, stale_flags: 0 },
  ]);
  const rollout = await client.query(
    `SELECT flag_key, environment_key, targeting_on, status FROM launchdarkly.flag_rollout_state WHERE connection_id = 'v'`,
  );
  assert.deepEqual(rollout.rows, [
    { flag_key: 'busy', environment_key: 'production', targeting_on: true, status: 'active' },
  ]);
});
