// How a sync fails: one stream's failure is isolated, Teams outside the plan is skipped, a revoked
// token fails fast without retry loops, a cancel stops everything and is recorded, and two runs of
// one connection never overlap.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { SYNC_WORKFLOW_TYPE, syncWorkflowId } from '../src/shared';
import { waitFor } from './support/wait';
import { expectedCounts, startSyncHarness, type SyncHarness } from './support/sync-harness';

const quickClient = { maxRetries: 0, maxRateLimitRetries: 5, timeoutMs: 5_000 };

async function runRows(h: SyncHarness) {
  const { rows } = await h.pool.query<{ status: string; error_type: string | null; error_message: string | null }>(
    `SELECT status, error_type, error_message FROM ldsync.sync_runs WHERE connection_id = $1 ORDER BY started_at`,
    [h.connectionId],
  );
  return rows;
}

async function failureOf(p: Promise<unknown>): Promise<WorkflowFailedError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return err;
    throw err;
  }
  throw new Error('the workflow did not fail');
}

describe('stream isolation', () => {
  let h: SyncHarness;
  before(async () => {
    h = await startSyncHarness(
      'isolation',
      {
        seed: 21,
        projects: 2,
        environments: 2,
        flags: 15,
        teamsEntitlement: 405,
        faults: { errorRate: 1, routes: /tags/ },
      },
      { clientOptions: quickClient },
    );
  });
  after(async () => {
    await h?.close();
  });

  it('tags answering 500s and teams not entitled leave the other streams complete: the run is partial', async () => {
    const result = await h.runSync({ maxAttempts: 2 });
    assert.equal(result.status, 'partial');
    assert.equal(result.streams.tags.state, 'failed');
    assert.equal(result.streams.tags.errors[0]?.type, 'upstream_unavailable');
    assert.match(result.streams.tags.errors[0]?.message ?? '', /tags/);
    assert.equal(result.streams.teams.state, 'skipped');
    for (const s of ['projects', 'environments', 'flags', 'flag_statuses'] as const) {
      assert.equal(result.streams[s].state, 'succeeded', s);
    }
    const live = await h.liveCounts();
    const expected = expectedCounts(h.sim);
    assert.deepEqual({ ...live, tags: 0 }, { ...expected, tags: 0 });
    assert.equal(live.teams, 0);
    const [run] = await runRows(h);
    assert.equal(run?.status, 'partial');
    assert.equal(run?.error_type, 'upstream_unavailable');
    const { rows: streams } = await h.pool.query<{ stream: string; status: string; error_type: string | null }>(
      `SELECT s.stream, s.status, s.error_type FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
       WHERE r.connection_id = $1 AND stream IN ('tags', 'teams') ORDER BY stream`,
      [h.connectionId],
    );
    assert.deepEqual(streams, [
      { stream: 'tags', status: 'failed', error_type: 'upstream_unavailable' },
      { stream: 'teams', status: 'skipped', error_type: 'not_entitled' },
    ]);
  });
});

describe('a revoked token', () => {
  let h: SyncHarness;
  before(async () => {
    h = await startSyncHarness(
      'badtoken',
      { seed: 2, projects: 1 },
      { token: 'api-revoked-0000', clientOptions: quickClient },
    );
  });
  after(async () => {
    await h?.close();
  });

  it('fails the run at once as invalid_credentials, with what to do, after one attempt', async () => {
    const err = await failureOf(h.runSync());
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'invalid_credentials');
    assert.equal(err.cause.nonRetryable, true);
    assert.match(err.cause.message, new RegExp(h.connectionId));
    assert.doesNotMatch(err.cause.message, /api-revoked-0000/);
    const [run] = await runRows(h);
    assert.equal(run?.status, 'failed');
    assert.equal(run?.error_type, 'invalid_credentials');

    const history = await h.stack.client.workflow.getHandle(syncWorkflowId(h.connectionId)).fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes?.attempt);
    assert.ok(attempts.length > 0);
    assert.ok(
      attempts.every((a) => a === 1),
      `no activity was retried (${JSON.stringify(attempts)})`,
    );
  });
});

describe('cancellation and overlap', () => {
  let h: SyncHarness;
  before(async () => {
    h = await startSyncHarness('cancel', { seed: 4, projects: 3, environments: 4, flags: 600, latencyMs: 400 });
  });
  after(async () => {
    await h?.close();
  });

  it('refuses a second run of the same connection, then a cancel stops the first and records it', async () => {
    const handle = await h.stack.client.workflow.start(SYNC_WORKFLOW_TYPE, {
      taskQueue: h.stack.taskQueue,
      workflowId: syncWorkflowId(h.connectionId),
      args: [{ connectionId: h.connectionId }],
    });
    // Committed flag pages, not the progress query: that one counts a scope's pages when it ends.
    await waitFor(async () => {
      const { rows } = await h.pool.query<{ pages: number }>(
        `SELECT coalesce(sum(pages), 0)::int AS pages FROM ldsync.sync_run_streams s
         JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 AND s.stream = 'flags'`,
        [h.connectionId],
      );
      return (rows[0]?.pages ?? 0) > 0;
    }, 60_000);

    // Another workflow id for the same connection (as a schedule would start): refused, nothing written.
    const second = await failureOf(
      h.stack.client.workflow.execute(SYNC_WORKFLOW_TYPE, {
        taskQueue: h.stack.taskQueue,
        workflowId: `${syncWorkflowId(h.connectionId)}-other`,
        args: [{ connectionId: h.connectionId }],
      }),
    );
    assert.ok(second.cause instanceof ApplicationFailure);
    assert.equal(second.cause.type, 'sync_already_running');

    await handle.cancel();
    const cancelled = await failureOf(handle.result());
    assert.ok(cancelled.cause instanceof CancelledFailure, `cancelled, not ${String(cancelled.cause)}`);

    const runs = await runRows(h);
    assert.deepEqual(
      runs.map((r) => r.status),
      ['cancelled'],
    );
    const { rows: open } = await h.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
       WHERE r.connection_id = $1 AND s.status = 'running'`,
      [h.connectionId],
    );
    assert.equal(open[0]?.n, 0, 'no stream is left running');
    // What was written is consistent: every stored flag has a stored project.
    const { rows: orphans } = await h.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM launchdarkly.flags f WHERE f.connection_id = $1 AND NOT EXISTS
       (SELECT 1 FROM launchdarkly.projects p WHERE p.connection_id = f.connection_id AND p.project_key = f.project_key)`,
      [h.connectionId],
    );
    assert.equal(orphans[0]?.n, 0);

    // The next sync completes what the cancelled one left.
    h.sim.configure({ latencyMs: 0 });
    const result = await h.runSync();
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
  });
});

describe('rate limits', () => {
  let h: SyncHarness;
  before(async () => {
    h = await startSyncHarness('ratelimit', {
      seed: 8,
      projects: 3,
      environments: 4,
      flags: 120,
      rateLimit: { routePerWindow: 4, globalPerWindow: 1000, windowMs: 1000, send429Headers: 'reset' },
    });
  });
  after(async () => {
    await h?.close();
  });

  it('slow the sync down without failing it', async () => {
    const result = await h.runSync();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
    const stats = h.sim.stats();
    const busiest = Math.max(...Object.values(stats.byRoute));
    assert.ok(busiest > 4, `one route took ${busiest} requests, more than one window allows`);
    // The < 2 % goal is measured at scale by `npm run bench`; here the point is that 429s never fail a sync.
    console.log(`# rate-limited sync: ${stats.rateLimited} of ${stats.requests} requests answered 429`);
  });
});
