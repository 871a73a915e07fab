// Operator story: a sync failed because the token was revoked (once, with no retry loop). The operator reads why with
// `ldsync status`, stores a new token with `ldsync connections add`, and resets the failed workflow to
// its first workflow task with the `temporal` CLI (what the Web UI's Reset does): the same workflow id
// runs again as a new, successful run, and both runs stay on record.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startSyncWorkflow } from '../src/temporal/sync-start';
import { type SyncResult } from '../src/shared';
import { findTemporalCli } from '../src/temporal/cli-binary';
import { operatorStack, uniqueId, type OperatorStack } from './operator-helpers';

const ID = uniqueId('recover');
let ops: OperatorStack;

before(async () => {
  ops = await operatorStack('operator-recovery');
  process.env.LDSYNC_TASK_QUEUE = ops.taskQueue;
});

after(async () => {
  await ops?.cleanup();
});

test('after a revoked-token failure, a new token and a reset rerun the sync as a new run', async () => {
  const sim = await ops.simulator({ projects: 1, environments: 1, flags: 3, teams: 1 });
  await ops.connect(ID, sim, 'api-00000000-revoked');
  const handle = await startSyncWorkflow(ops.client, ID, ops.taskQueue);
  await assert.rejects(handle.result(), /invalid_credentials|Workflow execution failed/);
  // Nothing retried in a loop: each activity ran once, and the workflow itself ran once.
  const events = (await handle.fetchHistory()).events ?? [];
  const attempts = events.flatMap((e) =>
    e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : [],
  );
  assert.ok(attempts.length > 0);
  assert.ok(
    attempts.every((a) => a === 1),
    `attempts: ${attempts.join(', ')}`,
  );
  assert.equal((await handle.describe()).status.name, 'FAILED');

  const status = await ops.ldsync(['status', ID]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /failed .*invalid_credentials: .*create a Reader access token/);
  assert.match(
    status.stdout,
    new RegExp(`^Temporal: workflow ldsync-${ID} \\(run ${handle.firstExecutionRunId}\\) is FAILED$`, 'm'),
  );
  assert.match(status.stdout, /^schedule: none$/m);
  // Without Temporal, status still shows what the database knows.
  const offline = await ops.ldsync(['status', ID], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  assert.equal(offline.code, 0, offline.stderr);
  assert.match(offline.stdout, /failed .*invalid_credentials/);
  assert.match(offline.stdout, /^Temporal: unreachable \(/m);

  const update = await ops.ldsync(['connections', 'add', ID, '--token-env', 'LD_TOKEN', '--base-url', sim.baseUrl], {
    LD_TOKEN: sim.readerToken,
  });
  assert.equal(update.code, 0, update.stderr);

  const cli = await findTemporalCli({ allowDownload: false });
  assert.ok(cli.kind !== 'sdk-download');
  await promisify(execFile)(cli.path, [
    'workflow',
    'reset',
    '--address',
    ops.stack.temporalAddress,
    '--namespace',
    ops.stack.namespace,
    '--workflow-id',
    handle.workflowId,
    '--type',
    'FirstWorkflowTask',
    '--reason',
    'token replaced',
  ]);

  // The handle without a run id follows the workflow id to the reset run.
  const result = (await ops.client.workflow.getHandle(handle.workflowId).result()) as SyncResult;
  assert.equal(result.status, 'succeeded');
  const { rows } = await ops.pool.query<{ status: string; error_type: string | null; workflow_run_id: string }>(
    'SELECT status, error_type, workflow_run_id FROM ldsync.sync_runs WHERE connection_id = $1 ORDER BY started_at',
    [ID],
  );
  assert.deepEqual(
    rows.map((r) => [r.status, r.error_type]),
    [
      ['failed', 'invalid_credentials'],
      ['succeeded', null],
    ],
  );
  assert.notEqual(rows[0]?.workflow_run_id, rows[1]?.workflow_run_id);
  assert.equal(rows[0]?.workflow_run_id, handle.firstExecutionRunId);
});
