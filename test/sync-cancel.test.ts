// Cancel means stop: a cancel at any point ends the workflow Cancelled, and only after every activity
// and child it started has stopped; no LaunchDarkly request starts and no row is written after the run
// is recorded `cancelled`. Both scenarios wedged or leaked work before the fan-out waited for every
// branch (an early cancel with more projects than the window; a cancel among many slow teams).
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { CancelledFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { SYNC_WORKFLOW_TYPE, syncWorkflowId } from '../src/shared';
import type { SimulatorOptions } from '../src/simulator';
import { expectedCounts, startSyncHarness, type SyncHarness } from './support/sync-harness';
import { waitFor } from './support/wait';
import { installWriteLog, startRecordingProxy, writesAfterFinish, type RecordingProxy } from './support/write-log';

interface Scenario {
  label: string;
  sim: SimulatorOptions;
  /** the cancel is sent once a `sync_run_streams` row of this stream exists */
  cancelWhen: string;
}

const scenarios: Scenario[] = [
  {
    // 10 projects through a window of 4: the cancel lands while 6 projects wait for a slot.
    label: 'cancel-window',
    sim: { seed: 31, projects: 10, environments: 2, flags: 30, teams: 2, latencyMs: 400 },
    cancelWhen: 'environments',
  },
  {
    // 30 teams answering after 2 s each: the cancel lands among running and waiting maintainer scopes.
    label: 'cancel-teams',
    sim: { seed: 32, projects: 1, environments: 1, flags: 5, teams: 30, membersPerTeam: 2, latencyMs: 2000 },
    cancelWhen: 'team_maintainers',
  },
];

for (const scenario of scenarios) {
  describe(`a cancel (${scenario.label})`, () => {
    let h: SyncHarness;
    let proxy: RecordingProxy;

    before(async () => {
      h = await startSyncHarness(scenario.label, scenario.sim);
      proxy = await startRecordingProxy(h.sim.baseUrl);
      await h.pool.query('UPDATE ldsync.connections SET base_url = $1 WHERE id = $2', [proxy.url, h.connectionId]);
      await installWriteLog(h.pool);
    });
    after(async () => {
      await proxy?.close();
      await h?.close();
    });

    it('stops every activity and child before the run is recorded cancelled, then a new sync runs', async (t) => {
      const handle = await h.stack.client.workflow.start(SYNC_WORKFLOW_TYPE, {
        taskQueue: h.stack.taskQueue,
        workflowId: syncWorkflowId(h.connectionId),
        args: [{ connectionId: h.connectionId }],
      });
      await waitFor(() => streamStarted(h, scenario.cancelWhen), 60_000, `${scenario.cancelWhen} started`);
      const cancelledAt = Date.now();
      await handle.cancel();

      await assertCancelled(handle);
      const description = await handle.describe();
      assert.equal(description.status.name, 'CANCELLED');

      const { rows: runs } = await h.pool.query<{ id: string; status: string }>(
        'SELECT id, status FROM ldsync.sync_runs WHERE connection_id = $1',
        [h.connectionId],
      );
      assert.equal(runs.length, 1);
      assert.equal(runs[0]?.status, 'cancelled');
      const runId = runs[0]?.id as string;
      const { rows: stuck } = await h.pool.query(
        `SELECT stream, scope FROM ldsync.sync_run_streams WHERE run_id = $1 AND status = 'running'`,
        [runId],
      );
      assert.deepEqual(stuck, []);

      // Give anything still in flight time to show itself, then look at the logs.
      await new Promise((r) => setTimeout(r, 3000));
      const writes = await writesAfterFinish(h.pool, runId);
      const finished = writes.finishedAt.getTime();
      const requestsAfter = proxy.requests.filter((r) => r.at > finished);
      assert.deepEqual(requestsAfter, [], 'no LaunchDarkly request after the run was recorded cancelled');
      assert.equal(writes.writesAfter, 0, 'no row written after the run was recorded cancelled');
      report(t, {
        cancelToRecordedMs: finished - cancelledAt,
        cancelToLastRequestMs: Math.max(...proxy.requests.map((r) => r.at)) - cancelledAt,
        cancelToLastWriteMs: writes.lastWriteAt.getTime() - cancelledAt,
        requests: proxy.requests.length,
      });

      // Nothing is left holding the connection: the next sync runs and is exact.
      const result = await h.runSync();
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
    });
  });
}

async function streamStarted(h: SyncHarness, stream: string): Promise<boolean> {
  const { rows } = await h.pool.query(
    `SELECT 1 FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
     WHERE r.connection_id = $1 AND s.stream = $2 LIMIT 1`,
    [h.connectionId, stream],
  );
  return rows.length > 0;
}

/** The workflow must close as cancelled, and soon: the old fan-out never closed at all. */
async function assertCancelled(handle: WorkflowHandle): Promise<void> {
  const outcome = await Promise.race([
    handle.result().then(
      () => 'completed',
      (err: unknown) => err,
    ),
    new Promise((resolve) => setTimeout(() => resolve('still open after 120 s'), 120_000)),
  ]);
  assert.ok(outcome instanceof WorkflowFailedError, `expected a cancelled workflow, got ${String(outcome)}`);
  assert.ok(outcome.cause instanceof CancelledFailure, `expected CancelledFailure, got ${String(outcome.cause)}`);
}

function report(t: TestContext, figures: Record<string, number>): void {
  t.diagnostic(
    Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );
}
