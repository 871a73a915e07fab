// The words and numbers of the per-stream summary (`ldsync sync --wait`, `ldsync status`), from both
// ledgers: the workflow's progress/result and `ldsync.sync_run_streams`. The shapes below are the ones
// runs really produced: a failed run whose progress said `succeeded 0/0` for streams that never ran
// and `environments failed 1/0` (a "not synced" marker with scope `*`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StreamRecord } from '../src/db';
import { emptyRowCounts, STREAMS, type StreamName, type StreamProgress } from '../src/shared';
import { formatSummary, summaryFromProgress, summaryFromStreams, tidyMessage } from '../src/cli/run-summary';

function progress(overrides: Partial<Record<StreamName, Partial<StreamProgress>>>): Record<StreamName, StreamProgress> {
  return Object.fromEntries(
    STREAMS.map((name) => [
      name,
      {
        state: 'succeeded',
        scopesTotal: 0,
        scopesDone: 0,
        scopesFailed: 0,
        pages: 0,
        rows: 0,
        requests: 0,
        counts: emptyRowCounts(),
        errors: [],
        ...overrides[name],
      },
    ]),
  ) as Record<StreamName, StreamProgress>;
}

const unreachable = (stream: string) => ({
  scope: '',
  type: 'upstream_unavailable',
  message: `connection "dead": ${stream}: ${stream} (GET /api/v2/${stream}): the connection failed`,
});

test('from the progress of a failed run: never-run streams are `not run`, never `succeeded 0/0` or `1/0`', () => {
  const rows = summaryFromProgress(
    progress({
      projects: { state: 'failed', scopesTotal: 1, scopesDone: 1, scopesFailed: 1, errors: [unreachable('projects')] },
      tags: { state: 'failed', scopesTotal: 1, scopesDone: 1, scopesFailed: 1, errors: [unreachable('tags')] },
      teams: { state: 'failed', scopesTotal: 1, scopesDone: 1, scopesFailed: 1, errors: [unreachable('teams')] },
      environments: {
        state: 'failed',
        scopesTotal: 0,
        scopesDone: 1,
        scopesFailed: 1,
        errors: [{ scope: '*', type: 'upstream_unavailable', message: 'not synced: projects of "" failed first' }],
      },
    }),
    true,
  );
  assert.deepEqual(
    rows.map((r) => [r.stream, r.state, r.scopesOk, r.scopesTotal]),
    [
      ['projects', 'failed', 0, 1],
      ['tags', 'failed', 0, 1],
      ['teams', 'failed', 0, 1],
      ['team_maintainers', 'not run', 0, 0],
      ['environments', 'not run', 0, 0],
      ['flags', 'not run', 0, 0],
      ['flag_statuses', 'not run', 0, 0],
    ],
  );
  const text = formatSummary(rows, 'dead');
  assert.doesNotMatch(text, /succeeded/);
  assert.doesNotMatch(text, /1\/0/);
  assert.match(text, /^environments\s+not run\s+-\s/m);
  // The stream and the connection are named once.
  assert.match(text, /^ {2}upstream_unavailable: projects \(GET \/api\/v2\/projects\): the connection failed$/m);
  assert.match(text, /^ {2}environments: upstream_unavailable: not run: projects failed first$/m);
  assert.doesNotMatch(text, /connection "dead"/);
});

test('the pending streams of a closed run are `not run`; of a running one, `pending`', () => {
  const streams = progress({
    projects: { state: 'cancelled', scopesTotal: 1, scopesDone: 0 },
    environments: { state: 'pending' },
    flags: { state: 'pending' },
    flag_statuses: { state: 'pending' },
  });
  assert.equal(summaryFromProgress(streams, true).find((r) => r.stream === 'flags')?.state, 'not run');
  assert.equal(summaryFromProgress(streams, false).find((r) => r.stream === 'flags')?.state, 'pending');
});

function record(stream: StreamName, scope: string, status: StreamRecord['status'], extra: Partial<StreamRecord> = {}) {
  const now = new Date();
  return {
    stream,
    scope,
    status,
    cursor: null,
    requests: 1,
    pages: 1,
    rowsInserted: 2,
    rowsUpdated: 0,
    rowsUnchanged: 0,
    rowsDeleted: 0,
    tableCounts: {},
    deletionCheck: null,
    errorType: null,
    errorMessage: null,
    startedAt: now,
    updatedAt: now,
    finishedAt: now,
    waitingUntil: null,
    ...extra,
  } satisfies StreamRecord;
}

test('from sync_run_streams: a stream without rows did not run, unless its parent found nothing to read', () => {
  const partial = summaryFromStreams(
    [
      record('projects', '', 'succeeded'),
      record('tags', '', 'succeeded'),
      record('teams', '', 'succeeded', { rowsInserted: 0 }),
      record('environments', 'web', 'succeeded'),
      record('environments', 'api', 'failed', { errorType: 'upstream_unavailable', errorMessage: 'boom' }),
      record('flags', 'web', 'succeeded'),
      record('flags', 'api', 'cancelled'),
    ],
    'partial',
    { flags: 2 },
  );
  assert.deepEqual(
    partial.map((r) => [r.stream, r.state, r.scopesOk, r.scopesTotal]),
    [
      ['projects', 'succeeded', 1, 1],
      ['tags', 'succeeded', 1, 1],
      ['teams', 'succeeded', 1, 1],
      ['team_maintainers', 'nothing to read', 0, 0],
      ['environments', 'partial', 1, 2],
      ['flags', 'cancelled', 1, 2],
      ['flag_statuses', 'not run', 0, 0],
    ],
  );
  assert.ok(partial.every((r) => r.scopesOk <= r.scopesTotal));
  assert.equal(partial.find((r) => r.stream === 'environments')?.counts.inserted, 4);

  const running = summaryFromStreams([record('projects', '', 'running')], 'running');
  assert.deepEqual(
    running.slice(0, 2).map((r) => r.state),
    ['running', 'pending'],
  );
});

test('messages name the connection in their hints and each stream once', () => {
  assert.equal(
    tidyMessage(
      'connection "prod": projects: projects (GET /api/v2/projects): the token was rejected (401): update the connection with `ldsync connections add <id> --token-env VAR`',
      'prod',
      'projects',
    ),
    'projects (GET /api/v2/projects): the token was rejected (401): update the connection with `ldsync connections add prod --token-env VAR`',
  );
});

test('a cancelled run: streams its parent found items for, but that never started, are `not run`', () => {
  const rows = summaryFromStreams(
    [
      record('projects', '', 'succeeded'),
      record('environments', 'web', 'succeeded'),
      record('environments', 'api', 'succeeded'),
    ],
    'cancelled',
  );
  assert.deepEqual(
    rows.filter((r) => r.stream === 'flags' || r.stream === 'flag_statuses').map((r) => r.state),
    ['not run', 'not run'],
  );
});
