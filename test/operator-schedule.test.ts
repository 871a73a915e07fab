// Operator story: "sync this connection every N" with `ldsync schedule ...` on a real Temporal Schedule,
// a real worker and a simulated LaunchDarkly account. Scheduled syncs run on the interval and are
// recorded as runs; a trigger while the schedule's sync is still running is skipped, not doubled.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { type Simulator } from '../src/simulator';
import { operatorStack, uniqueId, type OperatorStack } from './operator-helpers';
import { waitFor } from './support/wait';

const ID = uniqueId('sched');
const SCHEDULE_ID = `ldsync-schedule-${ID}`;

let ops: OperatorStack;
let sim: Simulator;

before(async () => {
  ops = await operatorStack('operator-schedule');
  sim = await ops.simulator({ projects: 1, environments: 1, flags: 3, teams: 1 });
  await ops.connect(ID, sim);
});

after(async () => {
  if (ops) {
    await ops.client.schedule
      .getHandle(SCHEDULE_ID)
      .delete()
      .catch(() => undefined);
    await ops.cleanup();
  }
});

const describe = () => ops.client.schedule.getHandle(SCHEDULE_ID).describe();

test('schedule set --every 5s starts a sync on every 5 s tick; each is a recorded, successful run', async () => {
  const set = await ops.ldsync(['schedule', 'set', ID, '--every', '5s', '--jitter', '0s', '--json']);
  assert.equal(set.code, 0, set.stderr);
  const view = JSON.parse(set.stdout) as { created: boolean; scheduleId: string; timing: string; paused: boolean };
  assert.deepEqual([view.created, view.scheduleId, view.timing, view.paused], [true, SCHEDULE_ID, 'every 5s', false]);

  // What Temporal holds is the contract: the action, overlap SKIP and a short catch-up window.
  const schedule = await describe();
  assert.equal(schedule.policies.overlap, 'SKIP');
  assert.equal(schedule.policies.catchupWindow, 5 * 60_000);
  assert.equal(schedule.action.workflowType, 'syncConnection');
  assert.equal(schedule.action.workflowId, `ldsync-${ID}`);
  assert.equal(schedule.action.taskQueue, ops.taskQueue);
  assert.deepEqual(schedule.action.args, [{ connectionId: ID }]);

  let runs: string[] = [];
  await waitFor(
    async () => {
      const { rows } = await ops.pool.query<{ workflow_id: string; trigger: string }>(
        `SELECT workflow_id, trigger FROM ldsync.sync_runs WHERE connection_id = $1 AND status = 'succeeded' ORDER BY started_at`,
        [ID],
      );
      runs = rows.map((r) => r.workflow_id);
      // The run knows it was scheduled (TemporalScheduledById), not merely started by a workflow.
      for (const row of rows) assert.equal(row.trigger, 'schedule', row.workflow_id);
      return runs.length >= 2;
    },
    120_000,
    'two scheduled syncs to succeed',
  );
  // Scheduled runs carry the contract id plus the scheduled time.
  for (const workflowId of runs) assert.match(workflowId, new RegExp(`^ldsync-${ID}-\\d{4}-\\d\\d-\\d\\dT`));

  // On time: every action the schedule took was due on the 5 s grid (no jitter was asked for), and the
  // recorded runs are exactly those actions.
  const { recentActions } = (await describe()).info;
  assert.ok(recentActions.length >= 2);
  for (const action of recentActions) assert.equal(action.scheduledAt.getTime() % 5_000, 0);
  const started = new Set(recentActions.map((a) => a.action.workflow.workflowId));
  for (const workflowId of runs) assert.ok(started.has(workflowId), `${workflowId} was not started by the schedule`);

  // Operators find a connection's runs by its search attribute.
  const listed: string[] = [];
  for await (const wf of ops.client.workflow.list({ query: `LdsyncConnectionId = '${ID}'` }))
    listed.push(wf.workflowId);
  assert.ok(runs.every((r) => listed.includes(r)));
});

test('schedule trigger while the schedule’s sync runs is skipped (overlap SKIP), not doubled', async () => {
  const pause = await ops.ldsync(['schedule', 'pause', ID, '--json']);
  assert.equal(pause.code, 0, pause.stderr);
  assert.equal((JSON.parse(pause.stdout) as { paused: boolean }).paused, true);
  // Wait for a scheduled sync that was already running to end, so the trigger below starts the only one.
  await waitFor(async () => (await describe()).info.runningActions.length === 0, 60_000, 'no scheduled sync running');

  // Slow enough that the sync is certainly still running when the second trigger arrives.
  sim.configure({ latencyMs: 8_000 });
  const first = await ops.ldsync(['schedule', 'trigger', ID, '--json']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal((JSON.parse(first.stdout) as { skipped: boolean }).skipped, false);
  let running = '';
  await waitFor(
    async () => {
      running = (await describe()).info.runningActions[0]?.workflow.workflowId ?? '';
      return running !== '';
    },
    60_000,
    'the triggered sync to run',
  );
  const before = (await describe()).info;

  const second = await ops.ldsync(['schedule', 'trigger', ID, '--json']);
  assert.equal(second.code, 0, second.stderr);
  const outcome = JSON.parse(second.stdout) as { skipped: boolean; running: string[] };
  assert.deepEqual([outcome.skipped, outcome.running], [true, [running]]);

  // Temporal counts the trigger as skipped for overlap, and took no new action.
  let after = before;
  await waitFor(
    async () => {
      after = (await describe()).info;
      return after.numActionsSkippedOverlap > before.numActionsSkippedOverlap;
    },
    60_000,
    'the trigger to be counted as an overlap skip',
  );
  assert.equal(after.numActionsSkippedOverlap, before.numActionsSkippedOverlap + 1);
  assert.equal(after.recentActions.length, before.recentActions.length);
  assert.deepEqual(
    after.runningActions.map((a) => a.workflow.workflowId),
    [running],
  );

  // Stop the slow sync; the run is recorded as cancelled.
  sim.configure({ latencyMs: 0 });
  const handle = ops.client.workflow.getHandle(running);
  await handle.cancel();
  await assert.rejects(handle.result());
  const { rows } = await ops.pool.query<{ status: string }>(
    'SELECT status FROM ldsync.sync_runs WHERE workflow_id = $1',
    [running],
  );
  assert.deepEqual(rows, [{ status: 'cancelled' }]);
});

test('schedule list, resume, set again (an update), remove; bad arguments exit 2', async () => {
  const list = await ops.ldsync(['schedule', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const views = JSON.parse(list.stdout) as Array<{ connectionId: string; paused: boolean; taskQueue: string }>;
  const mine = views.find((v) => v.connectionId === ID);
  assert.deepEqual(mine && [mine.paused, mine.taskQueue], [true, ops.taskQueue]);

  const resume = await ops.ldsync(['schedule', 'resume', ID]);
  assert.equal(resume.code, 0, resume.stderr);
  assert.match(resume.stdout, new RegExp(`^resumed schedule ${SCHEDULE_ID} .*next run \\d{4}-`));

  // `set` on an existing schedule updates it in place, with the default jitter for cron schedules.
  const update = await ops.ldsync(['schedule', 'set', ID, '--cron', '0 6 * * *', '--json']);
  assert.equal(update.code, 0, update.stderr);
  const updated = JSON.parse(update.stdout) as { created: boolean; timing: string; jitterMs: number };
  assert.deepEqual([updated.created, updated.timing, updated.jitterMs], [false, 'cron "0 6 * * *"', 30_000]);

  const bad = await ops.ldsync(['schedule', 'set', ID, '--every', '5s', '--cron', '0 6 * * *']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /exactly one of --every DURATION or --cron EXPR/);
  const outOfRange = await ops.ldsync(['schedule', 'set', ID, '--cron', '61 * * * *']);
  assert.equal(outOfRange.code, 2);
  assert.match(outOfRange.stderr, /invalid schedule: .*[Mm]inute/);
  const unknown = await ops.ldsync(['schedule', 'set', 'nobody', '--every', '1h']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /connection_not_found/);

  const remove = await ops.ldsync(['schedule', 'remove', ID]);
  assert.equal(remove.code, 0, remove.stderr);
  await assert.rejects(describe(), ScheduleNotFoundError);
  const again = await ops.ldsync(['schedule', 'remove', ID]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /has no schedule/);
});
