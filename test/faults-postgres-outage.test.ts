// Fault suite (issue 9, item 5): Postgres down for 60 s and for 5 minutes mid-flags, side by side on
// two clusters of this file's own (the first free ports from 15471 and 15481), never the shared server. The product's default database budget (5 minutes per
// attempt, LDSYNC_DATABASE_RETRY_SECONDS) and Temporal's retry policy ride it out; the run ends
// succeeded and exact (assertExact in test/support/fault-harness.ts). The outage alone is 300 s, so
// this file needs a per-file timeout above node's 300 s default in scripts/run-tests.ts.
//
// Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:only -- test/faults-postgres-outage.test.ts --test-timeout=900000
import { after, describe, it } from 'node:test';
import { captureRuntimeLogs } from './support/fault-harness';
import { faultSuite, postgresOutage } from './support/fault-suite';
import { type OwnPostgres } from './support/own-postgres';

// Before anything creates a Temporal connection: every worker log line of this process is kept.
captureRuntimeLogs();

const suite = faultSuite('faults-postgres-outage');

// The two outages run side by side on two clusters: both syncs mostly wait, and CI saves a minute.
describe('fault suite: Postgres down 60 s and 5 minutes', { concurrency: true }, () => {
  const clusters: OwnPostgres[] = [];
  after(async () => {
    for (const c of clusters) await c.destroy().catch(() => undefined);
  });

  it('Postgres down 60 s mid-flags: ridden out, the run succeeds, exact', { timeout: 600_000 }, async () => {
    await postgresOutage(suite, 60, 15471, (pg) => clusters.push(pg));
  });

  it('Postgres down 300 s mid-flags: ridden out, the run succeeds, exact', { timeout: 900_000 }, async () => {
    await postgresOutage(suite, 300, 15481, (pg) => clusters.push(pg));
  });
});

suite.secretsTest();
