// Fault suite (issue 9, item 5), processes dying on the real stack: a worker SIGKILLed twice in one
// sync, two workers with one killed for good, and Temporal SIGKILLed and restarted on its SQLite file
// (a dev server of this file's own, on the first free port from 15491). One kill is also test/sync-resilience.test.ts.
// Every fault scenario ends the same way (assertExact in test/support/fault-harness.ts): live rows
// equal, row by row, a clean reference sync of the same account; sum(rows_inserted) per table equals
// the live rows (nothing counted updated or unchanged in a first sync); exactly one sync_runs row with
// the right status and no stream left running; counters that add up (table counts = stream counts =
// run totals = the workflow result; requests counted >= requests the simulator received). The file
// ends with a secrets test over everything it produced (test/secrets-under-faults.test.ts then looks
// at all the suites' artifacts together).
//
// Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:only -- test/faults-processes.test.ts
// (the scenario table is printed at the end and written to $TMPDIR/ldsync-fault-artifacts/<run>/faults-processes.report.json).
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { before, describe, it } from 'node:test';
import {
  assertExact,
  captureRuntimeLogs,
  fixedFreePort,
  flagPages,
  killableTemporal,
  scenario,
  sleep,
  snapshot,
  type Snapshot,
} from './support/fault-harness';
import { faultSuite, KILL } from './support/fault-suite';
import { waitFor } from './support/wait';

// Before anything creates a Temporal connection: every worker log line of this process is kept.
captureRuntimeLogs();

const suite = faultSuite('faults-processes');
const rig = suite.rig;
const closeRig = suite.closeRig;
let reference: Snapshot;

describe('fault suite: workers killed', () => {
  before(async () => {
    reference = await suite.reference();
  });
  it('worker SIGKILLed twice in one sync: exact', { timeout: 600_000 }, async () => {
    await scenario('worker SIGKILL x2', async () => {
      const r = await rig('kill2', { sim: KILL, worker: 'none' });
      const first = r.startWorkerProcess();
      const run = await r.start();
      const kill = async (w: ChildProcess, atLeastPages: number) => {
        await waitFor(
          async () => {
            if (w.exitCode !== null) throw new Error(`the worker exited early (code ${w.exitCode})`);
            return (await flagPages(r)) >= atLeastPages;
          },
          180_000,
          `${atLeastPages} flag pages`,
        );
        w.kill('SIGKILL');
        await new Promise((resolve) => w.once('exit', resolve));
        return flagPages(r);
      };
      const pages1 = await kill(first, 2);
      const second = r.startWorkerProcess();
      const pages2 = await kill(second, pages1 + 2);
      const flagsAtKill = (await snapshot(r)).flags.length;
      assert.ok(flagsAtKill < 900, `the second kill landed mid-flags (${flagsAtKill} flags stored)`);
      r.startWorkerProcess();
      const result = await run.result();
      assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
      const exact = await assertExact(r, reference, { status: 'succeeded', result, requestSlack: 20 });
      await closeRig(r);
      return { status: 'succeeded', ...exact, note: `killed at ${pages1} and ${pages2} flag pages` };
    });
  });

  it('two workers, one killed for good: the other finishes, exact', { timeout: 600_000 }, async () => {
    await scenario('two workers, one SIGKILLed', async () => {
      const r = await rig('kill1of2', { sim: KILL, worker: 'none' });
      const a = r.startWorkerProcess();
      const b = r.startWorkerProcess();
      const run = await r.start();
      await waitFor(async () => (await flagPages(r)) >= 2, 180_000, 'flag pages');
      a.kill('SIGKILL');
      await new Promise((resolve) => a.once('exit', resolve));
      const result = await run.result();
      assert.equal(b.exitCode, null, 'the other worker still runs');
      assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
      const exact = await assertExact(r, reference, { status: 'succeeded', result, requestSlack: 20 });
      await closeRig(r);
      return { status: 'succeeded', ...exact };
    });
  });
});

describe('fault suite: Temporal SIGKILLed and restarted on its file', () => {
  before(async () => {
    reference = await suite.reference();
  });
  it('the sync resumes where it was and ends exact', { timeout: 600_000 }, async () => {
    await scenario('Temporal SIGKILL + restart', async () => {
      const temporal = await killableTemporal(await fixedFreePort(15491));
      try {
        const r = await rig('temporalkill', { sim: KILL, worker: 'none', temporalAddress: temporal.address });
        let worker = r.startWorkerProcess();
        const run = await r.start();
        await waitFor(async () => (await flagPages(r)) >= 2, 180_000, 'flag pages');
        await temporal.kill();
        await sleep(3_000);
        await temporal.start();
        // The client's long poll may give up while the server is down: wait on describe, then read the result.
        await waitFor(
          async () => (await r.client.workflow.getHandle(r.workflowId).describe()).status.name !== 'RUNNING',
          300_000,
          'the workflow to close',
        ).catch(async (err: unknown) => {
          if (worker.exitCode === null) throw err;
          // The worker did not survive the outage: a new one finishes (and the report says so).
          worker = r.startWorkerProcess();
          await waitFor(
            async () => (await r.client.workflow.getHandle(r.workflowId).describe()).status.name !== 'RUNNING',
            300_000,
            'the workflow to close',
          );
        });
        const survived = worker.exitCode === null;
        const result = await run.result();
        assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
        const exact = await assertExact(r, reference, { status: 'succeeded', result, requestSlack: 20 });
        await closeRig(r);
        assert.ok(survived, 'the worker survived the Temporal restart');
        return { status: 'succeeded', ...exact, note: 'the worker reconnected on its own' };
      } finally {
        await temporal.destroy();
      }
    });
  });
});

suite.secretsTest();
