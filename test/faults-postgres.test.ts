// Fault suite (issue 9, item 5), Postgres: an immediate restart (a crash, `pg_ctl restart -m
// immediate`) mid-flags, on a cluster of this file's own (the first free port from 15461), never the shared server. The
// 60 s and 5-minute outages are test/faults-postgres-outage.test.ts; a 40 s outage and a budget that
// runs out are test/sync-database-faults.test.ts.
// Every fault scenario ends the same way (assertExact in test/support/fault-harness.ts): live rows
// equal, row by row, a clean reference sync of the same account; sum(rows_inserted) per table equals
// the live rows (nothing counted updated or unchanged in a first sync); exactly one sync_runs row with
// the right status and no stream left running; counters that add up (table counts = stream counts =
// run totals = the workflow result; requests counted >= requests the simulator received). The file
// ends with a secrets test over everything it produced (test/secrets-under-faults.test.ts then looks
// at all the suites' artifacts together).
//
// Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:only -- test/faults-postgres.test.ts
// (the scenario table is printed at the end and written to $TMPDIR/ldsync-fault-artifacts/<run>/faults-postgres.report.json).
import assert from 'node:assert/strict';
import { before, describe, it, after } from 'node:test';
import {
  activityAttempts,
  assertExact,
  captureRuntimeLogs,
  fixedFreePort,
  flagPages,
  scenario,
  snapshot,
  type Snapshot,
} from './support/fault-harness';
import { attemptsSummary, faultSuite, SLOW } from './support/fault-suite';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { waitFor } from './support/wait';

// Before anything creates a Temporal connection: every worker log line of this process is kept.
captureRuntimeLogs();

const suite = faultSuite('faults-postgres');
const rig = suite.rig;
const closeRig = suite.closeRig;
let reference: Snapshot;

describe('fault suite: Postgres', () => {
  before(async () => {
    reference = await suite.reference();
  });
  const clusters: OwnPostgres[] = [];
  after(async () => {
    for (const c of clusters) await c.destroy().catch(() => undefined);
  });

  it('an immediate restart (crash) mid-flags: exact, deletions checked', { timeout: 600_000 }, async () => {
    await scenario('Postgres crash (pg_ctl restart -m immediate) mid-flags', async () => {
      const pg = await startOwnPostgres(await fixedFreePort(15461));
      clusters.push(pg);
      const r = await rig('pgcrash', { sim: SLOW, adminUrl: pg.adminUrl });
      const run = await r.start();
      await waitFor(async () => (await flagPages(r)) >= 3, 180_000, 'flag pages');
      assert.ok((await snapshot(r)).flags.length < 900, 'the crash lands mid-flags');
      await pg.crashRestart();
      const result = await run.result();
      assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
      const exact = await assertExact(r, reference, { status: 'succeeded', result });
      const attempts = await activityAttempts(r);
      await closeRig(r);
      return { status: 'succeeded', ...exact, note: attemptsSummary(attempts) };
    });
  });
});

suite.secretsTest();
