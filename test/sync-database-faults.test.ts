// Postgres faults on the real stack (issue 9, items 1 and 2): a crash mid-sync leaves the run exact
// (seen keys survive, counts add up, deletions are checked everywhere), an outage is ridden out inside
// the activities without spending Temporal attempts, and one that outlasts the retry budget fails its
// streams as `database_unavailable` naming Postgres, while the worker survives and syncs again after.
// These tests crash and stop a Postgres cluster of their own (test/support/own-postgres.ts), never the
// shared one; Temporal is the run's shared dev server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities, type ActivityDeps } from '../activities';
import { generateEncryptionKey, parseEncryptionKey, TokenCipher } from '../src/crypto/token-cipher';
import { addConnection, createPool } from '../src/db';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator';
import { SYNC_WORKFLOW_TYPE, syncWorkflowId, type SyncResult } from '../src/shared';
import { createSyncWorker } from '../src/temporal/worker';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { testStack, type TestStack } from './support/stack';
import { expectedCounts, TABLES } from './support/sync-harness';
import { waitFor } from './support/wait';

interface Harness {
  stack: TestStack;
  pool: Pool;
  sim: Simulator;
  connectionId: string;
  start(options?: Record<string, number>): Promise<{ result(): Promise<SyncResult> }>;
  liveCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

async function harness(
  label: string,
  postgres: OwnPostgres,
  simOptions: SimulatorOptions,
  deps: Pick<ActivityDeps, 'databaseRetry' | 'clientOptions'> = {},
): Promise<Harness> {
  const stack = await testStack(label);
  const db: IsolatedDatabase = await createIsolatedDatabase(postgres.adminUrl, label);
  const pool = createPool(db.url, { statementTimeoutMs: 30_000 });
  const cipher = new TokenCipher(parseEncryptionKey(generateEncryptionKey()));
  const sim = await startSimulator(simOptions);
  const connectionId = `${label}-${stack.taskQueue.slice(-8)}`;
  await addConnection(pool, cipher, { id: connectionId, baseUrl: sim.baseUrl, token: sim.readerToken });
  const worker: Worker = await createSyncWorker({
    connection: stack.nativeConnection,
    namespace: stack.namespace,
    taskQueue: stack.taskQueue,
    activities: createActivities({ pool, cipher, ...deps }),
  });
  const running = worker.run();
  return {
    stack,
    pool,
    sim,
    connectionId,
    async start(options) {
      const handle = await stack.client.workflow.start(SYNC_WORKFLOW_TYPE, {
        taskQueue: stack.taskQueue,
        workflowId: syncWorkflowId(connectionId),
        args: [{ connectionId, ...(options ? { options } : {}) }],
      });
      return { result: () => handle.result() as Promise<SyncResult> };
    },
    async liveCounts() {
      const out: Record<string, number> = {};
      for (const t of TABLES) {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM launchdarkly.${t} WHERE connection_id = $1 AND deleted_at IS NULL`,
          [connectionId],
        );
        out[t] = rows[0]?.n ?? 0;
      }
      return out;
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await sim.close();
      await pool.end();
      await db.drop();
      await stack.cleanup();
    },
  };
}

/** Flag pages committed so far in the connection's runs. */
async function flagPages(h: Harness): Promise<number> {
  const { rows } = await h.pool.query<{ pages: number }>(
    `SELECT coalesce(sum(pages), 0)::int AS pages FROM ldsync.sync_run_streams s
     JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 AND s.stream = 'flags'`,
    [h.connectionId],
  );
  return rows[0]?.pages ?? 0;
}

/** Rows counted as inserted per table (from table_counts), and the other counters, over the connection's runs. */
async function counted(h: Harness) {
  const { rows } = await h.pool.query<{ table_name: string; inserted: number; updated: number; unchanged: number }>(
    `SELECT t.key AS table_name, sum((t.value->>'inserted')::int)::int AS inserted,
            sum((t.value->>'updated')::int)::int AS updated, sum((t.value->>'unchanged')::int)::int AS unchanged
     FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id,
          jsonb_each(s.table_counts) t
     WHERE r.connection_id = $1 GROUP BY t.key`,
    [h.connectionId],
  );
  return Object.fromEntries(rows.map((r) => [r.table_name, r]));
}

async function deletionChecks(h: Harness): Promise<Record<string, number>> {
  const { rows } = await h.pool.query<{ check: string | null; n: number }>(
    `SELECT s.deletion_check AS check, count(*)::int AS n FROM ldsync.sync_run_streams s
     JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 AND s.status = 'succeeded'
     GROUP BY s.deletion_check`,
    [h.connectionId],
  );
  return Object.fromEntries(rows.map((r) => [r.check ?? 'null', r.n]));
}

async function activityAttempts(h: Harness): Promise<number[]> {
  const history = await h.stack.client.workflow.getHandle(syncWorkflowId(h.connectionId)).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
}

/** How long the outage test keeps Postgres down (LDSYNC_TEST_PG_OUTAGE_SECONDS=310 measures the 5-minute promise). */
const OUTAGE_MS = Number(process.env.LDSYNC_TEST_PG_OUTAGE_SECONDS ?? 40) * 1000;

// Slow pages so the fault lands mid-flags: 3 projects x (2 env batches + 2 archived passes) x 3 pages.
const ACCOUNT: SimulatorOptions = { seed: 51, projects: 3, environments: 4, flags: 240, latencyMs: 120 };

describe('Postgres faults mid-sync', () => {
  let postgres: OwnPostgres;
  before(async () => {
    postgres = await startOwnPostgres();
  });
  after(async () => {
    await postgres?.destroy();
  });

  describe('an immediate restart (crash) mid-flags', () => {
    let h: Harness;
    before(async () => {
      h = await harness('pgcrash', postgres, ACCOUNT);
    });
    after(async () => {
      await h?.close();
    });

    it('ends succeeded and exact: every row counted once, deletions checked in every stream', async () => {
      const run = await h.start();
      await waitFor(async () => (await flagPages(h)) >= 4, 120_000, 'flag pages written');
      const flagsBefore = (await h.liveCounts()).flags ?? 0;
      assert.ok(flagsBefore < h.sim.counts().flags, 'the crash lands mid-flags');
      await postgres.crashRestart();

      const result = await run.result();
      assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
      const live = await h.liveCounts();
      assert.deepEqual(live, expectedCounts(h.sim));
      // A first sync into an empty database: every live row inserted exactly once, nothing "unchanged".
      const counts = await counted(h);
      for (const t of TABLES) {
        if ((live[t] ?? 0) === 0) continue;
        assert.equal(counts[t]?.inserted, live[t], `${t}: rows_inserted = live rows`);
        assert.equal(counts[t]?.updated, 0, `${t}: nothing updated`);
        assert.equal(counts[t]?.unchanged, 0, `${t}: nothing unchanged (keys seen before the crash were kept)`);
      }
      assert.deepEqual(Object.keys(await deletionChecks(h)), ['done'], 'deletions checked in every stream');
      const { rows } = await h.pool.query<{ status: string; deletions_unchecked: string[] }>(
        'SELECT status, deletions_unchecked FROM ldsync.sync_runs WHERE connection_id = $1',
        [h.connectionId],
      );
      assert.deepEqual(rows, [{ status: 'succeeded', deletions_unchecked: [] }]);
    });
  });

  describe(`an outage of ${OUTAGE_MS / 1000} s mid-flags`, () => {
    let h: Harness;
    before(async () => {
      h = await harness('pgdown', postgres, ACCOUNT);
    });
    after(async () => {
      await h?.close();
    });

    it('is ridden out inside the activities: no activity retried by Temporal, the run exact', async () => {
      const run = await h.start();
      await waitFor(async () => (await flagPages(h)) >= 4, 120_000, 'flag pages written');
      await postgres.stop();
      const downAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await postgres.start();
      const result = await run.result();
      console.log(`# Postgres down ${OUTAGE_MS / 1000} s: the sync finished ${(Date.now() - downAt) / 1000} s after`);
      assert.ok(Date.now() - downAt >= OUTAGE_MS);
      assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
      assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
      const attempts = await activityAttempts(h);
      assert.ok(
        attempts.every((a) => a === 1),
        `every activity finished on its first attempt (${JSON.stringify(attempts)})`,
      );
      const counts = await counted(h);
      assert.equal(counts.flags?.inserted, h.sim.counts().flags);
      assert.equal(counts.flags?.unchanged, 0);
    });
  });

  describe('an outage longer than the retry budget', () => {
    let h: Harness;
    before(async () => {
      // A 1 s budget and one attempt per stream: the outage outlasts both.
      h = await harness('pgbudget', postgres, ACCOUNT, { databaseRetry: { budgetMs: 1_000 } });
    });
    after(async () => {
      await h?.close();
    });

    it('fails the interrupted streams as database_unavailable naming Postgres; the worker syncs again after', async () => {
      const run = await h.start({ maxAttempts: 1 });
      await waitFor(async () => (await flagPages(h)) >= 2, 120_000, 'flag pages written');
      await postgres.stop();
      await new Promise((resolve) => setTimeout(resolve, 8_000));
      await postgres.start();
      const result = await run.result().catch((err: unknown) => err);
      // However the workflow reports it, the run and its streams carry the contract type.
      const { rows: streams } = await h.pool.query<{ stream: string; error_type: string; error_message: string }>(
        `SELECT s.stream, s.error_type, s.error_message FROM ldsync.sync_run_streams s
         JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 AND s.status = 'failed'`,
        [h.connectionId],
      );
      const outage = streams.filter((s) => s.error_type === 'database_unavailable');
      assert.ok(outage.length > 0, `a stream failed for the outage (${JSON.stringify({ streams, result })})`);
      for (const s of outage) {
        assert.match(s.error_message, /Postgres is unreachable/);
        assert.match(s.error_message, /DATABASE_URL/);
      }
      for (const s of streams) {
        assert.ok(!['Error', 'upstream_unavailable'].includes(s.error_type), `typed: ${JSON.stringify(s)}`);
        assert.doesNotMatch(s.error_message, /^(Error: )?connect ECONNREFUSED/);
      }
      const { rows: runs } = await h.pool.query<{ status: string; error_type: string }>(
        'SELECT status, error_type FROM ldsync.sync_runs WHERE connection_id = $1',
        [h.connectionId],
      );
      assert.equal(runs.length, 1);
      assert.notEqual(runs[0]?.status, 'running');
      assert.notEqual(runs[0]?.status, 'succeeded');
      assert.equal(runs[0]?.error_type, 'database_unavailable');

      // The same worker (and its pool) carries on once Postgres is back.
      const again = await (await h.start()).result();
      assert.equal(again.status, 'succeeded', JSON.stringify(again.streams));
      assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
    });
  });
});
