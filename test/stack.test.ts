// Proves the stack every other test stands on: a workflow goes through the real Temporal dev server
// to a real worker, whose activity writes a row into a real Postgres database and reads it back.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createPool } from '../src/db/pool';
import { searchAttributes } from '../src/shared';
import { createSyncWorker } from '../src/temporal/worker';
import { createProbeActivities } from './fixtures/stack-activities';
import { stackProbe } from './fixtures/stack-workflows';
import { testStack, type TestStack } from './support/stack';

let stack: TestStack;
before(async () => {
  stack = await testStack('stack');
});
after(async () => {
  await stack?.cleanup();
});

test('a workflow runs an activity that writes and reads a row in Postgres', async () => {
  const pool = createPool(stack.databaseUrl);
  try {
    const worker = await createSyncWorker({
      connection: stack.nativeConnection,
      namespace: stack.namespace,
      taskQueue: stack.taskQueue,
      activities: createProbeActivities(pool),
      workflowsPath: path.join(__dirname, 'fixtures', 'stack-workflows.ts'),
    });
    const workflowId = `stack-probe-${randomUUID()}`;
    const note = `written by ${workflowId}`;
    const result = await worker.runUntil(
      stack.client.workflow.execute(stackProbe, { taskQueue: stack.taskQueue, workflowId, args: [{ note }] }),
    );

    assert.equal(result.key, workflowId);
    assert.equal(result.note, note);
    assert.match(result.serverVersion, /^\d+/);

    // The row outlives the workflow: read it with a connection of our own.
    const { rows } = await pool.query('SELECT note FROM stack_probe WHERE key = $1', [workflowId]);
    assert.deepEqual(rows, [{ note }]);

    // Temporal recorded the run: the activity completed in the workflow's history.
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const completed = (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes);
    assert.equal(completed.length, 1);
  } finally {
    await pool.end();
  }
});

test('the repository workflows bundle into a worker on the default workflows path', async () => {
  // Worker.create bundles WORKFLOWS_PATH with the sandbox's rules: a missing folder or a Node
  // built-in imported by workflow code fails here, not at the first sync.
  const worker = await createSyncWorker({
    connection: stack.nativeConnection,
    namespace: stack.namespace,
    taskQueue: stack.taskQueue,
    activities: {},
  });
  await worker.runUntil(async () => assert.equal(worker.getState(), 'RUNNING'));
  assert.equal(worker.getState(), 'STOPPED');
});

test('the dev server registered the search attributes the project uses', async () => {
  const response = await stack.client.connection.operatorService.listSearchAttributes({
    namespace: stack.namespace,
  });
  for (const key of Object.values(searchAttributes)) {
    assert.ok(key.name in (response.customAttributes ?? {}), `${key.name} is not registered`);
  }
});
