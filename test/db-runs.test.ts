// Sync runs against a real Postgres: one running run per connection (atomically), idempotence per
// workflow run, abandonment of stale rows, and totals summed from the streams.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { abandonRun, beginRun, finishRun, getRunWithStreams, listRuns, type BeginRunInput } from '../src/db/runs';
import { failStream, openStream, type StreamKey } from '../src/db';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import { adminDatabaseUrl, completeStream, project, tag, writePage } from './db-helpers';

let db: IsolatedDatabase;
let pool: pg.Pool;

before(async () => {
  db = await createIsolatedDatabase(adminDatabaseUrl(), 'runs');
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
});

after(async () => {
  await pool?.end();
  await db?.drop();
});

const input = (connectionId: string, workflowRunId: string): BeginRunInput => ({
  connectionId,
  workflowId: `ldsync-${connectionId}`,
  workflowRunId,
  trigger: 'manual',
});

function runIdOf(result: Awaited<ReturnType<typeof beginRun>>): string {
  if (!('runId' in result)) throw new Error(`unexpected conflict with run ${result.conflict.runId}`);
  return result.runId;
}

test('beginRun is idempotent for one workflow run and refuses a second running run of the connection', async () => {
  const first = await beginRun(pool, input('acme', 'wf-1'));
  assert.ok('runId' in first && first.resumed === false);
  assert.deepEqual(await beginRun(pool, input('acme', 'wf-1')), { runId: first.runId, resumed: true });

  const second = await beginRun(pool, input('acme', 'wf-2'));
  assert.ok('conflict' in second);
  assert.equal(second.conflict.runId, first.runId);
  assert.equal(second.conflict.workflowRunId, 'wf-1');
  assert.equal(second.conflict.workflowId, 'ldsync-acme');
  assert.ok(second.conflict.startedAt instanceof Date);

  // Another connection is independent.
  assert.ok('runId' in (await beginRun(pool, input('other', 'wf-3'))));

  await finishRun(pool, first.runId, { status: 'succeeded' });
  const third = await beginRun(pool, input('acme', 'wf-2'));
  assert.ok('runId' in third && third.resumed === false, 'once the first run finished, a new one may start');
});

test('of many concurrent beginRun calls for one connection exactly one wins', async () => {
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => beginRun(pool, input('race', `race-${i}`))));
  const winners = results.filter((r) => 'runId' in r);
  assert.equal(winners.length, 1);
  const winner = runIdOf(winners[0] ?? results[0]!);
  for (const r of results) if ('conflict' in r) assert.equal(r.conflict.runId, winner);
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM ldsync.sync_runs WHERE connection_id = 'race' AND status = 'running'`,
  );
  assert.equal(rows[0]?.n, 1);
});

test('abandonRun fails a stale running row so the next run can start', async () => {
  const stale = runIdOf(await beginRun(pool, input('stale', 'gone-1')));
  const key: StreamKey = { runId: stale, connectionId: 'stale', stream: 'projects', scope: '' };
  await openStream(pool, key);
  assert.equal(await abandonRun(pool, stale, 'its workflow closed without recording an ending'), true);
  assert.equal(await abandonRun(pool, stale, 'again'), false, 'only a running row is abandoned');
  const detail = await getRunWithStreams(pool, stale);
  assert.equal(detail?.run.status, 'failed');
  assert.equal(detail?.run.errorType, 'abandoned');
  assert.equal(detail?.run.errorMessage, 'its workflow closed without recording an ending');
  assert.equal(detail?.streams[0]?.status, 'failed');
  assert.ok('runId' in (await beginRun(pool, input('stale', 'new-1'))));
});

test('finishRun sums the streams into totals, closes open streams and is idempotent', async () => {
  const runId = runIdOf(await beginRun(pool, input('totals', 'totals-1')));
  const projects: StreamKey = { runId, connectionId: 'totals', stream: 'projects', scope: '' };
  await openStream(pool, projects);
  await writePage(pool, projects, { cursor: 'p2', requests: 2, writes: [{ table: 'projects', rows: [project('a')] }] });
  await writePage(pool, projects, {
    cursor: null,
    requests: 1,
    writes: [{ table: 'projects', rows: [project('b'), project('c')] }],
  });
  await completeStream(pool, projects);
  const tags: StreamKey = { runId, connectionId: 'totals', stream: 'tags', scope: '' };
  await openStream(pool, tags);
  await writePage(pool, tags, { cursor: 'more', requests: 4, writes: [{ table: 'tags', rows: [tag('x')] }] });
  await failStream(
    pool,
    { runId, connectionId: 'totals', stream: 'teams', scope: '' },
    {
      status: 'skipped',
      errorType: 'not_entitled',
      message: 'teams are not in this plan',
    },
  );

  const live = await getRunWithStreams(pool, runId);
  assert.deepEqual(live?.run.totals, { inserted: 4, updated: 0, unchanged: 0, deleted: 0, requests: 7, pages: 3 });

  const finished = await finishRun(pool, runId, {
    status: 'partial',
    errorType: 'upstream_unavailable',
    errorMessage: 'tags failed',
  });
  assert.equal(finished.status, 'partial');
  assert.deepEqual(finished.totals, { inserted: 4, updated: 0, unchanged: 0, deleted: 0, requests: 7, pages: 3 });
  assert.ok(finished.finishedAt instanceof Date);

  const again = await finishRun(pool, runId, { status: 'failed', errorMessage: 'a retried activity' });
  assert.deepEqual(again, finished, 'a second finishRun changes nothing');

  const detail = await getRunWithStreams(pool, runId);
  assert.ok(detail);
  assert.deepEqual(
    detail.streams.map((s) => [s.stream, s.status, s.rowsInserted, s.pages, s.requests, s.errorType]),
    [
      ['projects', 'succeeded', 3, 2, 3, null],
      ['tags', 'failed', 1, 1, 4, null],
      ['teams', 'skipped', 0, 0, 0, 'not_entitled'],
    ],
  );
  assert.equal(detail.streams[1]?.errorMessage, 'the run ended before this stream completed');
  assert.deepEqual(detail.streams[0]?.tableCounts, { projects: { inserted: 3, updated: 0, unchanged: 0, deleted: 0 } });
});

test('listRuns returns a connection’s runs newest first, limited', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const runId = runIdOf(await beginRun(pool, input('history', `history-${i}`)));
    ids.push(runId);
    await finishRun(pool, runId, { status: i === 1 ? 'failed' : 'succeeded' });
  }
  const runs = await listRuns(pool, 'history', 2);
  assert.deepEqual(
    runs.map((r) => [r.id, r.status]),
    [
      [ids[2], 'succeeded'],
      [ids[1], 'failed'],
    ],
  );
  assert.equal(runs[0]?.workflowRunId, 'history-2');
  assert.equal(await getRunWithStreams(pool, '00000000-0000-4000-8000-000000000000'), null);
});
