// The stream writer against a real Postgres: counts, no-op re-syncs (proved with xmin), deletion
// per scope with cascades and resurrection, page replays, resume points and the guards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { finishRun, getRunWithStreams } from '../src/db/runs';
import { addStreamRequests, failStream, openStream, StreamStateError, type StreamKey } from '../src/db';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import type { RowCounts, StreamName } from '../src/shared';
import {
  adminDatabaseUrl,
  completeStream,
  environment,
  flag,
  flagEnvironment,
  flagStatus,
  newRun,
  project,
  setStreamWaiting,
  tag,
  writePage,
  type NamedWrite,
} from './db-helpers';

let db: IsolatedDatabase;
let pool: pg.Pool;

before(async () => {
  db = await createIsolatedDatabase(adminDatabaseUrl(), 'stream_writer');
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

const counts = (inserted: number, updated: number, unchanged: number, deleted: number): RowCounts => ({
  inserted,
  updated,
  unchanged,
  deleted,
});

/** One complete pass of a stream: open, one writePage per page, complete. */
async function pass(
  runId: string,
  connectionId: string,
  stream: StreamName,
  scope: string,
  pages: NamedWrite[][],
  options?: { detectDeletions?: boolean },
): Promise<RowCounts> {
  const key: StreamKey = { runId, connectionId, stream, scope };
  await openStream(pool, key);
  let n = 0;
  for (const writes of pages) {
    n += 1;
    await writePage(pool, key, { cursor: n < pages.length ? `page-${n + 1}` : null, requests: 1, writes });
  }
  return completeStream(pool, key, options);
}

/** A run that does the given passes and finishes. */
async function run(connectionId: string, passes: (runId: string) => Promise<unknown>): Promise<string> {
  const runId = await newRun(pool, connectionId);
  await passes(runId);
  await finishRun(pool, runId, { status: 'succeeded' });
  return runId;
}

async function rowVersions(table: string, connectionId: string): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ k: string; xmin: string }>(
    `SELECT t::text AS k, xmin::text AS xmin FROM launchdarkly.${table} t WHERE connection_id = $1`,
    [connectionId],
  );
  return new Map(rows.map((r) => [r.k, r.xmin]));
}

async function xmins(table: string, connectionId: string): Promise<string[]> {
  const { rows } = await pool.query<{ xmin: string }>(
    `SELECT xmin::text AS xmin FROM launchdarkly.${table} WHERE connection_id = $1 ORDER BY 1`,
    [connectionId],
  );
  return rows.map((r) => r.xmin);
}

async function deletedKeys(table: string, keyColumn: string, connectionId: string): Promise<string[]> {
  const { rows } = await pool.query<{ k: string }>(
    `SELECT ${keyColumn} AS k FROM launchdarkly.${table} WHERE connection_id = $1 AND deleted_at IS NOT NULL ORDER BY 1`,
    [connectionId],
  );
  return rows.map((r) => r.k);
}

describe('upserts and counts', () => {
  const conn = 'counts';

  test('a first pass inserts, a second unchanged pass rewrites no row, a change updates only that row', async () => {
    let first!: RowCounts;
    await run(conn, async (runId) => {
      first = await pass(runId, conn, 'projects', '', [
        [{ table: 'projects', rows: [project('a'), project('b')] }],
        [{ table: 'projects', rows: [project('c')] }],
      ]);
    });
    assert.deepEqual(first, counts(3, 0, 0, 0));

    const before = await pool.query<{ project_key: string; first_seen_at: Date; updated_at: Date; xmin: string }>(
      `SELECT project_key, first_seen_at, updated_at, xmin::text AS xmin FROM launchdarkly.projects
       WHERE connection_id = $1 ORDER BY project_key`,
      [conn],
    );

    let second!: RowCounts;
    await run(conn, async (runId) => {
      second = await pass(runId, conn, 'projects', '', [
        [{ table: 'projects', rows: [project('a'), project('b')] }],
        [{ table: 'projects', rows: [project('c')] }],
      ]);
    });
    assert.deepEqual(second, counts(0, 0, 3, 0));
    const unchanged = await pool.query(
      `SELECT project_key, first_seen_at, updated_at, xmin::text AS xmin FROM launchdarkly.projects
       WHERE connection_id = $1 ORDER BY project_key`,
      [conn],
    );
    // Same xmin: no new row version was written, so no UPDATE touched any row.
    assert.deepEqual(unchanged.rows, before.rows);

    let third!: RowCounts;
    await run(conn, async (runId) => {
      third = await pass(runId, conn, 'projects', '', [
        [{ table: 'projects', rows: [project('a'), project('b', 'Renamed B')] }],
        [{ table: 'projects', rows: [project('c')] }],
      ]);
    });
    assert.deepEqual(third, counts(0, 1, 2, 0));
    const afterChange = await pool.query<{
      project_key: string;
      name: string;
      first_seen_at: Date;
      updated_at: Date;
      xmin: string;
    }>(
      `SELECT project_key, name, first_seen_at, updated_at, xmin::text AS xmin FROM launchdarkly.projects
       WHERE connection_id = $1 ORDER BY project_key`,
      [conn],
    );
    const [a, b, c] = afterChange.rows;
    const [a0, b0, c0] = before.rows;
    assert.ok(a && b && c && a0 && b0 && c0);
    assert.equal(b.name, 'Renamed B');
    assert.notEqual(b.xmin, b0.xmin);
    assert.ok(b.updated_at > b0.updated_at, 'updated_at moves when content changes');
    assert.deepEqual(b.first_seen_at, b0.first_seen_at, 'first_seen_at never changes');
    assert.deepEqual([a.xmin, c.xmin], [a0.xmin, c0.xmin], 'the unchanged rows were not rewritten');
    assert.deepEqual([a.updated_at, c.updated_at], [a0.updated_at, c0.updated_at]);
  });

  test('the columns hold the mapped values, including raw, arrays, timestamps and jsonb', async () => {
    const c = 'columns';
    await run(c, async (runId) => {
      await pass(runId, c, 'flags', 'p', [
        [
          {
            table: 'flags',
            rows: [
              flag('p', 'f', {
                description: 'why',
                tags: ['x', 'y'],
                archived: true,
                archived_at: '2025-01-02T03:04:05.678Z',
              }),
            ],
          },
          { table: 'flag_environments', rows: [flagEnvironment('p', 'f', 'production', false)] },
        ],
      ]);
      await pass(runId, c, 'flag_statuses', 'p/production', [
        [
          {
            table: 'flag_statuses',
            rows: [{ ...flagStatus('p', 'production', 'f'), default_value: { color: 'red' } }],
          },
        ],
      ]);
    });
    const f = await pool.query(
      `SELECT name, description, kind, temporary, archived, deprecated, created_at, archived_at, maintainer_id,
              maintainer_team_key, tags, raw, deleted_at
       FROM launchdarkly.flags WHERE connection_id = $1`,
      [c],
    );
    assert.deepEqual(f.rows[0], {
      name: 'f',
      description: 'why',
      kind: 'boolean',
      temporary: true,
      archived: true,
      deprecated: false,
      created_at: new Date('2024-06-13T17:27:27.527Z'),
      archived_at: new Date('2025-01-02T03:04:05.678Z'),
      maintainer_id: 'm1',
      maintainer_team_key: 'team-a',
      tags: ['x', 'y'],
      raw: { key: 'f' },
      deleted_at: null,
    });
    const fe = await pool.query(
      `SELECT "on", archived, last_modified, version FROM launchdarkly.flag_environments WHERE connection_id = $1`,
      [c],
    );
    assert.deepEqual(fe.rows[0], {
      on: false,
      archived: false,
      last_modified: new Date('2024-06-14T00:00:00.000Z'),
      version: 3,
    });
    const s = await pool.query(
      `SELECT status, last_requested, default_value FROM launchdarkly.flag_statuses WHERE connection_id = $1`,
      [c],
    );
    assert.deepEqual(s.rows[0], {
      status: 'active',
      last_requested: new Date('2024-06-15T00:00:00.000Z'),
      default_value: { color: 'red' },
    });
  });

  test('archived flags are rows with archived = true, never deletions', async () => {
    const c = 'archived';
    await run(c, (runId) =>
      pass(runId, c, 'flags', 'p', [[{ table: 'flags', rows: [flag('p', 'live'), flag('p', 'old')] }]]),
    );
    let second!: RowCounts;
    await run(c, async (runId) => {
      second = await pass(runId, c, 'flags', 'p', [
        [{ table: 'flags', rows: [flag('p', 'live')] }],
        [{ table: 'flags', rows: [flag('p', 'old', { archived: true })] }],
      ]);
    });
    assert.deepEqual(second, counts(0, 1, 1, 0));
    assert.deepEqual(await deletedKeys('flags', 'flag_key', c), []);
  });

  test('a key repeated within a page or across pages of one pass counts once', async () => {
    const c = 'repeats';
    let result!: RowCounts;
    await run(c, async (runId) => {
      result = await pass(runId, c, 'projects', '', [
        [{ table: 'projects', rows: [project('a'), project('a', 'A again'), project('b')] }],
        [{ table: 'projects', rows: [project('b'), project('c')] }],
      ]);
    });
    assert.deepEqual(result, counts(3, 0, 0, 0));
    const { rows } = await pool.query(
      'SELECT name FROM launchdarkly.projects WHERE connection_id = $1 AND project_key = $2',
      [c, 'a'],
    );
    assert.equal(rows[0]?.name, 'A again', 'the last occurrence in a page wins');
  });
});

describe('page replays and resume points', () => {
  const conn = 'replay';

  test('a page written twice counts its rows once and the stream counters stay exact', async () => {
    const runId = await newRun(pool, conn);
    const key: StreamKey = { runId, connectionId: conn, stream: 'flags', scope: 'p' };
    const page1: NamedWrite[] = [
      { table: 'flags', rows: [flag('p', 'f1'), flag('p', 'f2')] },
      {
        table: 'flag_environments',
        rows: [flagEnvironment('p', 'f1', 'production'), flagEnvironment('p', 'f2', 'production')],
      },
    ];
    const fresh = await openStream(pool, key);
    assert.deepEqual(fresh, { cursor: null, pages: 0, requests: 0, counts: counts(0, 0, 0, 0), completed: false });

    assert.deepEqual(
      await writePage(pool, key, { cursor: 'offset=2', requests: 2, writes: page1 }),
      counts(4, 0, 0, 0),
    );
    const versions = await rowVersions('flags', conn);
    // The retry redoes page 1 (a lost heartbeat, a zombie attempt): nothing counts, nothing is rewritten.
    assert.deepEqual(
      await writePage(pool, key, { cursor: 'offset=2', requests: 2, writes: page1 }),
      counts(0, 0, 0, 0),
    );
    assert.deepEqual(await rowVersions('flags', conn), versions);

    const resumed = await openStream(pool, key);
    assert.deepEqual(resumed, {
      cursor: 'offset=2',
      pages: 2,
      requests: 4,
      counts: counts(4, 0, 0, 0),
      completed: false,
    });

    await writePage(pool, key, {
      cursor: null,
      requests: 1,
      writes: [{ table: 'flags', rows: [flag('p', 'f3')] }],
    });
    const done = await completeStream(pool, key);
    assert.deepEqual(done, counts(5, 0, 0, 0));
    const { rows } = await pool.query(
      `SELECT status, cursor, pages, requests, rows_inserted, table_counts, deletion_check
       FROM ldsync.sync_run_streams WHERE run_id = $1 AND stream = 'flags' AND scope = 'p'`,
      [runId],
    );
    assert.deepEqual(rows[0], {
      status: 'succeeded',
      cursor: null,
      pages: 3,
      requests: 5,
      rows_inserted: 5,
      table_counts: {
        flags: counts(3, 0, 0, 0),
        flag_environments: counts(2, 0, 0, 0),
      },
      deletion_check: 'done',
    });

    // Completing again (a retried activity) changes nothing; reopening says there is nothing to do.
    assert.deepEqual(await completeStream(pool, key), done);
    assert.deepEqual(await openStream(pool, key), {
      cursor: null,
      pages: 3,
      requests: 5,
      counts: done,
      completed: true,
    });
    await assert.rejects(
      writePage(pool, key, { cursor: null, requests: 0, writes: page1 }),
      (err: unknown) => err instanceof StreamStateError && err.reason === 'stream_completed',
    );
    await finishRun(pool, runId, { status: 'succeeded' });
  });

  test('a failed stream keeps its cursor and seen keys: the retry resumes and still detects deletions', async () => {
    const c = 'retry';
    await run(c, (runId) =>
      pass(runId, c, 'projects', '', [[{ table: 'projects', rows: [project('a'), project('b'), project('gone')] }]]),
    );
    const runId = await newRun(pool, c);
    const key: StreamKey = { runId, connectionId: c, stream: 'projects', scope: '' };
    await openStream(pool, key);
    await writePage(pool, key, { cursor: 'next', requests: 1, writes: [{ table: 'projects', rows: [project('a')] }] });
    await setStreamWaiting(pool, key, new Date(Date.now() + 10_000));
    await failStream(pool, key, { status: 'failed', errorType: 'rate_limited', message: 'slow down' });
    const failed = await pool.query(
      'SELECT status, error_type, waiting_until FROM ldsync.sync_run_streams WHERE run_id = $1',
      [runId],
    );
    assert.deepEqual(failed.rows[0], { status: 'failed', error_type: 'rate_limited', waiting_until: null });

    const resumed = await openStream(pool, key);
    assert.equal(resumed.cursor, 'next');
    assert.equal(resumed.completed, false);
    await writePage(pool, key, { cursor: null, requests: 1, writes: [{ table: 'projects', rows: [project('b')] }] });
    assert.deepEqual(await completeStream(pool, key), counts(0, 0, 2, 1));
    assert.deepEqual(await deletedKeys('projects', 'project_key', c), ['gone']);
    const row = await pool.query('SELECT status, error_type FROM ldsync.sync_run_streams WHERE run_id = $1', [runId]);
    assert.deepEqual(row.rows[0], { status: 'succeeded', error_type: null });
    await finishRun(pool, runId, { status: 'succeeded' });
  });

  test('failStream never turns a succeeded stream into a failure', async () => {
    const c = 'late-failure';
    const runId = await newRun(pool, c);
    await pass(runId, c, 'tags', '', [[{ table: 'tags', rows: [tag('x')] }]]);
    await failStream(
      pool,
      { runId, connectionId: c, stream: 'tags', scope: '' },
      { status: 'failed', message: 'late' },
    );
    const { rows } = await pool.query('SELECT status FROM ldsync.sync_run_streams WHERE run_id = $1', [runId]);
    assert.equal(rows[0]?.status, 'succeeded');
    await finishRun(pool, runId, { status: 'succeeded' });
  });
});

describe('deletion detection', () => {
  test('a deleted project cascades to its environments, flags, flag environments and statuses; it comes back as inserted', async () => {
    const c = 'cascade-project';
    const everything = (runId: string, projects: string[]) =>
      (async () => {
        await pass(runId, c, 'projects', '', [[{ table: 'projects', rows: projects.map((p) => project(p)) }]]);
        for (const p of projects) {
          await pass(runId, c, 'environments', p, [[{ table: 'environments', rows: [environment(p, 'production')] }]]);
          await pass(runId, c, 'flags', p, [
            [
              { table: 'flags', rows: [flag(p, 'f')] },
              { table: 'flag_environments', rows: [flagEnvironment(p, 'f', 'production')] },
            ],
          ]);
          await pass(runId, c, 'flag_statuses', `${p}/production`, [
            [{ table: 'flag_statuses', rows: [flagStatus(p, 'production', 'f')] }],
          ]);
        }
      })();
    await run(c, (runId) => everything(runId, ['keep', 'drop']));
    const firstSeen = await pool.query('SELECT first_seen_at FROM launchdarkly.projects WHERE project_key = $1', [
      'drop',
    ]);

    let dropped!: RowCounts;
    await run(c, async (runId) => {
      dropped = await pass(runId, c, 'projects', '', [[{ table: 'projects', rows: [project('keep')] }]]);
    });
    // 1 project + its environment, flag, flag environment and status.
    assert.deepEqual(dropped, counts(0, 0, 1, 5));
    for (const [table, keyColumn] of [
      ['projects', 'project_key'],
      ['environments', 'project_key'],
      ['flags', 'project_key'],
      ['flag_environments', 'project_key'],
      ['flag_statuses', 'project_key'],
    ] as const) {
      assert.deepEqual(await deletedKeys(table, keyColumn, c), ['drop'], table);
    }

    let back!: RowCounts;
    await run(c, async (runId) => {
      back = await pass(runId, c, 'projects', '', [[{ table: 'projects', rows: [project('keep'), project('drop')] }]]);
    });
    assert.deepEqual(back, counts(1, 0, 1, 0), 'a resurrected row counts as inserted');
    assert.deepEqual(await deletedKeys('projects', 'project_key', c), []);
    const again = await pool.query('SELECT first_seen_at FROM launchdarkly.projects WHERE project_key = $1', ['drop']);
    assert.deepEqual(again.rows, firstSeen.rows, 'first_seen_at survives deletion and resurrection');
    // Its dependents come back when their own streams see them again.
    await run(c, (runId) => everything(runId, ['keep', 'drop']));
    for (const table of ['environments', 'flags', 'flag_environments', 'flag_statuses']) {
      assert.deepEqual(await deletedKeys(table, 'project_key', c), [], table);
    }
  });

  test('deletion is per scope: one project’s flags pass never deletes another project’s flags', async () => {
    const c = 'scopes';
    await run(c, async (runId) => {
      await pass(runId, c, 'flags', 'p1', [[{ table: 'flags', rows: [flag('p1', 'a'), flag('p1', 'b')] }]]);
      await pass(runId, c, 'flags', 'p2', [[{ table: 'flags', rows: [flag('p2', 'a')] }]]);
    });
    const p2Before = await xmins('flags', c);
    let result!: RowCounts;
    await run(c, async (runId) => {
      result = await pass(runId, c, 'flags', 'p1', [[{ table: 'flags', rows: [flag('p1', 'a')] }]]);
    });
    assert.deepEqual(result, counts(0, 0, 1, 1));
    assert.deepEqual(await deletedKeys('flags', `project_key || '/' || flag_key`, c), ['p1/b']);
    assert.equal((await xmins('flags', c)).length, p2Before.length);
  });

  test('a deleted environment marks only its own flag environments and statuses; a vanished flag environment is deleted', async () => {
    const c = 'cascade-env';
    const flagsPass = (runId: string, envs: string[]) =>
      pass(runId, c, 'flags', 'p', [
        [
          { table: 'flags', rows: [flag('p', 'f')] },
          { table: 'flag_environments', rows: envs.map((e) => flagEnvironment('p', 'f', e)) },
        ],
      ]);
    await run(c, async (runId) => {
      await pass(runId, c, 'environments', 'p', [
        [{ table: 'environments', rows: [environment('p', 'production'), environment('p', 'staging')] }],
      ]);
      await flagsPass(runId, ['production', 'staging']);
      for (const e of ['production', 'staging']) {
        await pass(runId, c, 'flag_statuses', `p/${e}`, [
          [{ table: 'flag_statuses', rows: [flagStatus('p', e, 'f')] }],
        ]);
      }
    });
    let envs!: RowCounts;
    await run(c, async (runId) => {
      envs = await pass(runId, c, 'environments', 'p', [
        [{ table: 'environments', rows: [environment('p', 'production')] }],
      ]);
    });
    assert.deepEqual(envs, counts(0, 0, 1, 3));
    assert.deepEqual(await deletedKeys('environments', 'environment_key', c), ['staging']);
    assert.deepEqual(await deletedKeys('flag_environments', 'environment_key', c), ['staging']);
    assert.deepEqual(await deletedKeys('flag_statuses', 'environment_key', c), ['staging']);
    assert.deepEqual(await deletedKeys('flags', 'flag_key', c), []);

    const stream = await pool.query(
      `SELECT table_counts FROM ldsync.sync_run_streams WHERE stream = 'environments' ORDER BY started_at DESC LIMIT 1`,
    );
    assert.deepEqual(stream.rows[0]?.table_counts, {
      environments: counts(0, 0, 1, 1),
      flag_environments: counts(0, 0, 0, 1),
      flag_statuses: counts(0, 0, 0, 1),
    });
  });

  test('a deleted team marks its maintainers; maintainers are scoped per team', async () => {
    const c = 'teams';
    const maintainer = (teamKey: string, memberId: string) => ({
      team_key: teamKey,
      member_id: memberId,
      email: `${memberId}@example.com`,
      first_name: null,
      last_name: null,
      role: 'reader',
      raw: { _id: memberId },
    });
    const team = (teamKey: string) => ({
      team_key: teamKey,
      name: teamKey,
      description: null,
      created_at: null,
      ld_updated_at: null,
      raw: { key: teamKey },
    });
    await run(c, async (runId) => {
      await pass(runId, c, 'teams', '', [[{ table: 'teams', rows: [team('a'), team('b')] }]]);
      await pass(runId, c, 'team_maintainers', 'a', [
        [{ table: 'team_maintainers', rows: [maintainer('a', 'm1'), maintainer('a', 'm2')] }],
      ]);
      await pass(runId, c, 'team_maintainers', 'b', [[{ table: 'team_maintainers', rows: [maintainer('b', 'm1')] }]]);
    });
    await run(c, async (runId) => {
      assert.deepEqual(
        await pass(runId, c, 'team_maintainers', 'a', [[{ table: 'team_maintainers', rows: [maintainer('a', 'm1')] }]]),
        counts(0, 0, 1, 1),
      );
      assert.deepEqual(
        await pass(runId, c, 'teams', '', [[{ table: 'teams', rows: [team('a')] }]]),
        counts(0, 0, 1, 2),
      );
    });
    assert.deepEqual(await deletedKeys('team_maintainers', `team_key || '/' || member_id`, c), ['a/m2', 'b/m1']);
    assert.deepEqual(await deletedKeys('teams', 'team_key', c), ['b']);
  });

  test('with detectDeletions: false nothing is deleted', async () => {
    const c = 'no-detect';
    await run(c, (runId) => pass(runId, c, 'tags', '', [[{ table: 'tags', rows: [tag('a'), tag('b')] }]]));
    let result!: RowCounts;
    await run(c, async (runId) => {
      result = await pass(runId, c, 'tags', '', [[{ table: 'tags', rows: [tag('a')] }]], {
        detectDeletions: false,
      });
    });
    assert.deepEqual(result, counts(0, 0, 1, 0));
    assert.deepEqual(await deletedKeys('tags', 'tag', c), []);
  });

  test('an empty complete pass deletes every row of its scope', async () => {
    const c = 'empty-pass';
    await run(c, (runId) => pass(runId, c, 'tags', '', [[{ table: 'tags', rows: [tag('a'), tag('b')] }]]));
    let result!: RowCounts;
    await run(c, async (runId) => {
      result = await pass(runId, c, 'tags', '', []);
    });
    assert.deepEqual(result, counts(0, 0, 0, 2));
  });

  test('if the seen keys were lost (emptied by hand), no row is wrongly deleted and the run says where', async () => {
    const c = 'lost-keys';
    await run(c, (runId) => pass(runId, c, 'tags', '', [[{ table: 'tags', rows: [tag('a'), tag('b')] }]]));
    const runId = await newRun(pool, c);
    const key: StreamKey = { runId, connectionId: c, stream: 'tags', scope: '' };
    await openStream(pool, key);
    await writePage(pool, key, {
      cursor: null,
      requests: 1,
      writes: [{ table: 'tags', rows: [tag('a'), tag('b')] }],
    });
    await pool.query('DELETE FROM ldsync.seen_keys WHERE run_id = $1', [runId]);
    assert.deepEqual(await completeStream(pool, key), counts(0, 0, 2, 0));
    assert.deepEqual(await deletedKeys('tags', 'tag', c), []);
    const { rows } = await pool.query('SELECT deletion_check FROM ldsync.sync_run_streams WHERE run_id = $1', [runId]);
    assert.equal(rows[0]?.deletion_check, 'seen_keys_lost');
    let told: string | null | undefined;
    await completeStream(pool, key, { onDeletionCheck: (check) => (told = check) });
    assert.equal(told, 'seen_keys_lost', 'a completed stream reports its recorded check again');
    const live = await getRunWithStreams(pool, runId);
    assert.deepEqual(live?.run.deletionsUnchecked, ['tags/'], 'live while the run runs');
    const finished = await finishRun(pool, runId, { status: 'succeeded' });
    assert.deepEqual(finished.deletionsUnchecked, ['tags/']);
    const { rows: stored } = await pool.query('SELECT deletions_unchecked FROM ldsync.sync_runs WHERE id = $1', [
      runId,
    ]);
    assert.deepEqual(stored[0]?.deletions_unchecked, ['tags/']);
  });

  test('a run whose deletions were checked everywhere has no unchecked streams', async () => {
    const c = 'all-checked';
    const runId = await run(c, (id) => pass(id, c, 'tags', '', [[{ table: 'tags', rows: [tag('a')] }]]));
    const { rows } = await pool.query('SELECT deletions_unchecked FROM ldsync.sync_runs WHERE id = $1', [runId]);
    assert.deepEqual(rows[0]?.deletions_unchecked, []);
  });

  test('seen keys are cleared when a stream completes and when its run finishes', async () => {
    const c = 'seen-cleanup';
    const runId = await newRun(pool, c);
    await pass(runId, c, 'tags', '', [[{ table: 'tags', rows: [tag('a')] }]]);
    const key: StreamKey = { runId, connectionId: c, stream: 'projects', scope: '' };
    await openStream(pool, key);
    await writePage(pool, key, { cursor: 'x', requests: 1, writes: [{ table: 'projects', rows: [project('a')] }] });
    const count = async () =>
      (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ldsync.seen_keys WHERE run_id = $1', [runId]))
        .rows[0]?.n;
    assert.equal(await count(), 1, 'only the unfinished projects pass still holds keys');
    await finishRun(pool, runId, { status: 'failed', errorType: 'upstream_unavailable' });
    assert.equal(await count(), 0);
  });
});

describe('retries after a lost connection, request counts, values Postgres cannot store', () => {
  test('rows from before source hashes count unchanged once, keep updated_at, and get their hash', async () => {
    const c = 'source-hash-upgrade';
    await run(c, (runId) =>
      pass(runId, c, 'projects', '', [[{ table: 'projects', rows: [project('a'), project('b')] }]]),
    );
    // As migration 0005 leaves rows written before it.
    await pool.query('UPDATE launchdarkly.projects SET source_hash = NULL WHERE connection_id = $1', [c]);
    const before = await pool.query(
      'SELECT project_key, updated_at FROM launchdarkly.projects WHERE connection_id = $1 ORDER BY 1',
      [c],
    );
    let next!: RowCounts;
    await run(c, async (runId) => {
      next = await pass(runId, c, 'projects', '', [[{ table: 'projects', rows: [project('a'), project('b')] }]]);
    });
    assert.deepEqual(next, counts(0, 0, 2, 0));
    const after = await pool.query(
      'SELECT project_key, updated_at FROM launchdarkly.projects WHERE connection_id = $1 ORDER BY 1',
      [c],
    );
    assert.deepEqual(after.rows, before.rows, 'updated_at kept');
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM launchdarkly.projects WHERE connection_id = $1 AND source_hash IS NOT NULL',
      [c],
    );
    assert.equal(rows[0]?.n, 2);
    const versions = await xmins('projects', c);
    await run(c, (runId) =>
      pass(runId, c, 'projects', '', [[{ table: 'projects', rows: [project('a'), project('b')] }]]),
    );
    assert.deepEqual(await xmins('projects', c), versions, 'from then on, a pass with no change rewrites no row');
  });

  test('content changed by a writer that keeps no source hash (an older worker) is rewritten by the next pass', async () => {
    const c = 'source-hash-old-writer';
    await run(c, (runId) => pass(runId, c, 'projects', '', [[{ table: 'projects', rows: [project('a')] }]]));
    // What a worker from before migration 0005 writes: new content and content_hash, source_hash untouched.
    await pool.query(
      `UPDATE launchdarkly.projects SET name = 'Older writer', content_hash = md5('other') WHERE connection_id = $1`,
      [c],
    );
    let next!: RowCounts;
    await run(c, async (runId) => {
      next = await pass(runId, c, 'projects', '', [[{ table: 'projects', rows: [project('a')] }]]);
    });
    assert.deepEqual(next, counts(0, 1, 0, 0));
    const { rows } = await pool.query<{ name: string }>(
      'SELECT name FROM launchdarkly.projects WHERE connection_id = $1',
      [c],
    );
    assert.equal(rows[0]?.name, project('a').name);
  });

  test('writePage with `after` is a no-op when that page was already committed (a COMMIT whose answer was lost)', async () => {
    const c = 'lost-commit';
    const runId = await newRun(pool, c);
    const key: StreamKey = { runId, connectionId: c, stream: 'tags', scope: '' };
    await openStream(pool, key);
    const page1 = { cursor: 'p2', requests: 1, writes: [{ table: 'tags', rows: [tag('a')] }] as NamedWrite[] };
    assert.deepEqual(await writePage(pool, key, { ...page1, after: null }), counts(1, 0, 0, 0));
    // The same call again, as the activity's retry sends it: nothing changes.
    assert.deepEqual(await writePage(pool, key, { ...page1, after: null }), counts(0, 0, 0, 0));
    const page2 = { cursor: null, requests: 1, writes: [{ table: 'tags', rows: [tag('b')] }] as NamedWrite[] };
    assert.deepEqual(await writePage(pool, key, { ...page2, after: 'p2' }), counts(1, 0, 0, 0));
    const { rows } = await pool.query(
      'SELECT pages, requests, rows_inserted, cursor FROM ldsync.sync_run_streams WHERE run_id = $1',
      [runId],
    );
    // The replay's request is counted again (another attempt may have sent it): over, never under.
    assert.deepEqual(rows[0], { pages: 2, requests: 3, rows_inserted: 2, cursor: null });
    await finishRun(pool, runId, { status: 'succeeded' });
  });

  test('addStreamRequests counts requests of a running stream before any page commits, and not after it ends', async () => {
    const c = 'requests-first';
    const runId = await newRun(pool, c);
    const key: StreamKey = { runId, connectionId: c, stream: 'tags', scope: '' };
    await openStream(pool, key);
    await addStreamRequests(pool, key);
    await addStreamRequests(pool, key, 2);
    await failStream(pool, key, { status: 'failed', errorType: 'upstream_unavailable', message: 'x' });
    await addStreamRequests(pool, key);
    const { rows } = await pool.query('SELECT requests, pages FROM ldsync.sync_run_streams WHERE run_id = $1', [runId]);
    assert.deepEqual(rows[0], { requests: 3, pages: 0 });
    await finishRun(pool, runId, { status: 'failed' });
  });

  test('a U+0000 in a name, a description, raw JSON or a key is stored as U+FFFD; the page is kept whole', async () => {
    const c = 'nul-chars';
    const runId = await newRun(pool, c);
    await pass(runId, c, 'flags', 'p', [
      [
        {
          table: 'flags',
          rows: [
            flag('p', 'nul', { name: 'bad\u0000name', description: 'x\u0000y', raw: { 'k\u0000': 'v\u0000' } }),
            flag('p', 'fine'),
          ],
        },
      ],
    ]);
    const { rows } = await pool.query<{ flag_key: string; name: string; description: string | null; raw: object }>(
      `SELECT flag_key, name, description, raw FROM launchdarkly.flags WHERE connection_id = $1 ORDER BY flag_key`,
      [c],
    );
    assert.deepEqual(
      rows.map((r) => r.flag_key),
      ['fine', 'nul'],
    );
    assert.equal(rows[1]?.name, 'bad\uFFFDname');
    assert.equal(rows[1]?.description, 'x\uFFFDy');
    assert.deepEqual(rows[1]?.raw, { 'k\uFFFD': 'v\uFFFD' });
    await failStream(
      pool,
      { runId, connectionId: c, stream: 'tags', scope: '' },
      { status: 'failed', message: 'a\u0000b' },
    );
    await finishRun(pool, runId, { status: 'succeeded' });
  });
});

describe('guards', () => {
  // A stream writes only its own tables and scopes by construction (the catalog composes its writes):
  // the database still refuses rows outside the scope, since deletion detection trusts it.
  test('rows outside the stream’s scope are refused', async () => {
    const c = 'guards';
    const runId = await newRun(pool, c);
    const key: StreamKey = { runId, connectionId: c, stream: 'flags', scope: 'p1' };
    await openStream(pool, key);
    await assert.rejects(
      writePage(pool, key, { cursor: null, requests: 1, writes: [{ table: 'flags', rows: [flag('p2', 'f')] }] }),
      /does not belong to stream flags scope "p1"/,
    );
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM launchdarkly.flags WHERE connection_id = $1', [
      c,
    ]);
    assert.equal(rows[0]?.n, 0, 'a refused page writes nothing');
    await finishRun(pool, runId, { status: 'failed' });
  });

  test('streams of a finished run, an unknown run or another connection cannot be written', async () => {
    const c = 'closed';
    const runId = await newRun(pool, c);
    const key: StreamKey = { runId, connectionId: c, stream: 'tags', scope: '' };
    await openStream(pool, key);
    await assert.rejects(
      openStream(pool, { ...key, connectionId: 'someone-else' }),
      (err: unknown) => err instanceof StreamStateError && err.reason === 'connection_mismatch',
    );
    await finishRun(pool, runId, { status: 'cancelled' });
    await assert.rejects(
      writePage(pool, key, { cursor: null, requests: 1, writes: [{ table: 'tags', rows: [tag('late')] }] }),
      (err: unknown) => err instanceof StreamStateError && err.reason === 'run_not_running',
    );
    await assert.rejects(
      openStream(pool, key),
      (err: unknown) => err instanceof StreamStateError && err.reason === 'run_not_running',
    );
    await assert.rejects(
      openStream(pool, { ...key, runId: '00000000-0000-4000-8000-000000000000' }),
      (err: unknown) => err instanceof StreamStateError && err.reason === 'run_not_found',
    );
    const { rows } = await pool.query('SELECT status FROM ldsync.sync_run_streams WHERE run_id = $1', [runId]);
    assert.equal(rows[0]?.status, 'cancelled', 'finishing a cancelled run closes its open streams as cancelled');
  });
});
