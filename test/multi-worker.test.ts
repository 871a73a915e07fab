// Two `ldsync worker` processes on one task queue share one sync of a rate-limited account: both
// run activities of the run, the rows are exactly the simulator's account, and the two processes
// pace themselves by the X-Ratelimit-* headers they see (the account's budget, counted by
// LaunchDarkly for everyone), then once more with a per-process cap (LDSYNC_RATE_LIMIT_PER_SECOND)
// that splits the budget between them. The 429 share and the share of the allowed rate used are
// printed, not asserted: they depend on the machine's load.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import { ConfigError, loadEnv } from '../src/config';
import { generateEncryptionKey, parseEncryptionKey, TokenCipher } from '../src/crypto/token-cipher';
import { addConnection, createPool } from '../src/db';
import { RateLimiter } from '../src/launchdarkly';
import { startSimulator, type Simulator } from '../src/simulator';
import { SYNC_WORKFLOW_TYPE, syncWorkflowId, type SyncResult } from '../src/shared';
import { workerLimitOptions } from '../src/temporal/worker';
import { limitsFromEnv } from '../src/worker/sync-worker';
import { testStack, type TestStack } from './support/stack';
import { TABLES, expectedCounts, type TableName } from './support/sync-harness';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from './support/worker-process';

/** Fixed, outside the ephemeral range, used by no other test. */
const SIMULATOR_PORT = 17651;
/** The simulator's account budget: 12 requests per 1 s window (8 per route), i.e. 12 requests/s. */
const RATE_LIMIT = { globalPerWindow: 12, routePerWindow: 8, windowMs: 1_000 } as const;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every activity started in the run (parent and its syncFlagStatuses children): type and worker identity. */
async function activityStarts(
  stack: TestStack,
  workflowId: string,
): Promise<Array<{ type: string; identity: string }>> {
  const out: Array<{ type: string; identity: string }> = [];
  const queue: Array<{ workflowId: string; runId?: string }> = [{ workflowId }];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const events: HistoryEvent[] =
      (await stack.client.workflow.getHandle(next.workflowId, next.runId).fetchHistory()).events ?? [];
    const scheduled = new Map<string, string>();
    for (const e of events) {
      const id = String(e.eventId);
      if (e.activityTaskScheduledEventAttributes) {
        scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        out.push({
          type: scheduled.get(String(started.scheduledEventId)) ?? '?',
          identity: started.identity ?? '',
        });
      }
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId) queue.push({ workflowId: child.workflowId, runId: child.runId ?? undefined });
    }
  }
  return out;
}

describe('two worker processes on one task queue', () => {
  let stack: TestStack;
  let pool: Pool;
  let sim: Simulator;
  let cipher: TokenCipher;
  let encryptionKey: string;
  const workers: WorkerProcess[] = [];

  before(async () => {
    stack = await testStack('multi-worker');
    pool = createPool(stack.databaseUrl);
    encryptionKey = generateEncryptionKey();
    cipher = new TokenCipher(parseEncryptionKey(encryptionKey));
    sim = await startSimulator({
      seed: 61,
      projects: 4,
      environments: 4,
      flags: 150,
      teams: 6,
      port: SIMULATOR_PORT,
      latencyMs: 5,
      rateLimit: { ...RATE_LIMIT, send429Headers: 'reset' },
    });
  });

  after(async () => {
    await Promise.all(workers.map((w) => stopWorkerProcess(w)));
    await sim?.close();
    await pool?.end();
    await stack?.cleanup();
  });

  /**
   * Two fresh worker processes on a task queue of their own sync a connection of their own to the
   * one rate-limited account; everything but the printed figures is asserted.
   */
  async function twoWorkerSync(
    label: string,
    extraEnv: NodeJS.ProcessEnv,
    options: { killOneMidSync?: boolean } = {},
  ): Promise<void> {
    const taskQueue = `${stack.taskQueue}-${label}`;
    const connectionId = `multi-${label}-${stack.taskQueue.slice(-8)}`;
    await addConnection(pool, cipher, {
      id: connectionId,
      name: `multi-worker ${label}`,
      baseUrl: sim.baseUrl,
      apiVersion: '20240415',
      token: sim.readerToken,
    });
    const env = {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_NAMESPACE: stack.namespace,
      LDSYNC_TASK_QUEUE: taskQueue,
      DATABASE_URL: stack.databaseUrl,
      LDSYNC_ENCRYPTION_KEY: encryptionKey,
      // Small on purpose: each worker takes a share of the run's activities instead of all of them.
      LDSYNC_MAX_CONCURRENT_ACTIVITIES: '3',
      ...extraEnv,
    };
    const pair = [startWorkerProcess(env), startWorkerProcess(env)];
    workers.push(...pair);
    try {
      const identities = await Promise.all(pair.map((w) => w.identity));
      assert.equal(new Set(identities).size, 2, `two distinct worker identities: ${identities.join(', ')}`);
      // The previous scenario's window must not count against this one.
      await new Promise((resolve) => setTimeout(resolve, RATE_LIMIT.windowMs + 100));
      sim.resetStats();
      const started = Date.now();
      const workflowId = syncWorkflowId(connectionId);
      const handle = await stack.client.workflow.start(SYNC_WORKFLOW_TYPE, {
        taskQueue,
        workflowId,
        args: [{ connectionId }],
      });
      if (options.killOneMidSync) {
        // Once pages are being committed, one worker dies without a word (SIGKILL: no graceful
        // shutdown); Temporal hands its activities to the other after their heartbeat timeout.
        await waitForCommittedPages(connectionId, 3);
        pair[0]!.child.kill('SIGKILL');
      }
      const result = (await handle.result()) as SyncResult;
      const wallMs = Date.now() - started;
      assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
      await assertExactly(connectionId);

      // Both processes ran activities of this one sync (the survivor, at least, when one was killed),
      // and no other process did.
      const starts = await activityStarts(stack, workflowId);
      const perWorker = new Map<string, number>();
      for (const s of starts) perWorker.set(s.identity, (perWorker.get(s.identity) ?? 0) + 1);
      for (const identity of options.killOneMidSync ? identities.slice(1) : identities) {
        assert.ok(
          (perWorker.get(identity) ?? 0) > 0,
          `worker ${identity} ran activities: ${JSON.stringify([...perWorker])}`,
        );
      }
      assert.ok(
        [...perWorker.keys()].every((identity) => identities.includes(identity)),
        `no other worker ran any: ${JSON.stringify([...perWorker])}`,
      );

      const stats = sim.stats();
      // Every request either worker sent is counted once in the run's ledger, 429s included. A
      // killed worker may have counted a request it never got to send: then counted ≥ received.
      const counted = Object.values(result.streams).reduce((sum, s) => sum + s.requests, 0);
      if (options.killOneMidSync) assert.ok(counted >= stats.requests, `counted ${counted} ≥ sent ${stats.requests}`);
      else assert.equal(counted, stats.requests, 'requests in the run = requests the simulator received');
      const allowedPerSecond = (RATE_LIMIT.globalPerWindow * 1000) / RATE_LIMIT.windowMs;
      const servedPerSecond = (stats.requests - stats.rateLimited) / (wallMs / 1000);
      console.log(
        `[multi-worker ${label}] activities per worker: ${[...perWorker].map(([id, n]) => `${id}=${n}`).join(', ')}; ` +
          `requests ${stats.requests}, 429s ${stats.rateLimited} ` +
          `(${((100 * stats.rateLimited) / Math.max(1, stats.requests)).toFixed(1)} %), ` +
          `wall ${(wallMs / 1000).toFixed(1)} s, ${servedPerSecond.toFixed(1)} answered requests/s of ` +
          `${allowedPerSecond} allowed (${((100 * servedPerSecond) / allowedPerSecond).toFixed(0)} % of the rate used)`,
      );
    } finally {
      await Promise.all(pair.map((w) => stopWorkerProcess(w)));
    }
  }

  async function waitForCommittedPages(connectionId: string, pages: number): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT coalesce(sum(s.pages), 0)::int AS n FROM ldsync.sync_run_streams s
         JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 AND r.status = 'running'`,
        [connectionId],
      );
      if ((rows[0]?.n ?? 0) >= pages) return;
      if (Date.now() > deadline) throw new Error(`no ${pages} pages committed within 2 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Rows and counts are exactly the simulator's account. */
  async function assertExactly(connectionId: string): Promise<void> {
    const live = {} as Record<TableName, number>;
    for (const t of TABLES) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM launchdarkly.${t} WHERE connection_id = $1 AND deleted_at IS NULL`,
        [connectionId],
      );
      live[t] = rows[0]?.n ?? 0;
    }
    assert.deepEqual(live, expectedCounts(sim));

    for (const project of sim.account.projects) {
      const { rows } = await pool.query<{
        flag_key: string;
        environment_key: string;
        on: boolean;
        last_modified: Date;
      }>(
        `SELECT flag_key, environment_key, "on", last_modified FROM launchdarkly.flag_environments
         WHERE connection_id = $1 AND project_key = $2 AND deleted_at IS NULL`,
        [connectionId, project.key],
      );
      const stored = new Map(rows.map((r) => [`${r.flag_key}/${r.environment_key}`, r]));
      const { rows: statuses } = await pool.query<{
        flag_key: string;
        environment_key: string;
        status: string;
        last_requested: Date | null;
      }>(
        `SELECT flag_key, environment_key, status, last_requested FROM launchdarkly.flag_statuses
         WHERE connection_id = $1 AND project_key = $2 AND deleted_at IS NULL`,
        [connectionId, project.key],
      );
      const storedStatus = new Map(statuses.map((r) => [`${r.flag_key}/${r.environment_key}`, r]));
      const { rows: flagRows } = await pool.query<{ flag_key: string; archived: boolean; kind: string }>(
        `SELECT flag_key, archived, kind FROM launchdarkly.flags WHERE connection_id = $1 AND project_key = $2`,
        [connectionId, project.key],
      );
      const storedFlags = new Map(flagRows.map((r) => [r.flag_key, r]));
      for (const flag of project.flags) {
        assert.deepEqual(
          storedFlags.get(flag.key),
          { flag_key: flag.key, archived: flag.archived, kind: flag.kind },
          `flag ${flag.key}`,
        );
        for (const env of project.environments) {
          const state = flag.environments[env.key]!;
          const key = `${flag.key}/${env.key}`;
          assert.equal(stored.get(key)?.on, state.on, `${key} on`);
          assert.equal(stored.get(key)?.last_modified.getTime(), state.lastModified, `${key} lastModified`);
          assert.equal(storedStatus.get(key)?.status, state.status.name, `${key} status`);
          assert.equal(
            storedStatus.get(key)?.last_requested?.toISOString() ?? null,
            state.status.lastRequested,
            `${key} lastRequested`,
          );
        }
      }
    }
    const { rows: runs } = await pool.query<{ status: string }>(
      `SELECT status FROM ldsync.sync_runs WHERE connection_id = $1`,
      [connectionId],
    );
    assert.deepEqual(runs, [{ status: 'succeeded' }]);
  }

  it('share one sync paced by the headers alone: both run activities, rows and counts exact', async () => {
    await twoWorkerSync('headers', {});
  });

  it('with LDSYNC_RATE_LIMIT_PER_SECOND splitting the budget: both run activities, rows and counts exact', async () => {
    // 2 workers × 5/s stays under the account's 12/s whatever the headers say; the task queue's own
    // activity rate limit (server-side, shared) is set loose enough not to bind, to show it is accepted.
    await twoWorkerSync('capped', { LDSYNC_RATE_LIMIT_PER_SECOND: '5', LDSYNC_TASK_QUEUE_ACTIVITIES_PER_SECOND: '50' });
  });

  it('one of the two killed mid-sync (SIGKILL): the other finishes the run, rows and counts exact', async () => {
    await twoWorkerSync('killed', {}, { killOneMidSync: true });
  });
});

describe('limits from the environment', () => {
  it('loadEnv validates the limit variables and limitsFromEnv passes them on', () => {
    const env = loadEnv({
      LDSYNC_MAX_CONCURRENT_ACTIVITIES: '8',
      LDSYNC_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      LDSYNC_RATE_LIMIT_PER_SECOND: '2.5',
      LDSYNC_TASK_QUEUE_ACTIVITIES_PER_SECOND: '50',
    });
    assert.deepEqual(limitsFromEnv(env), {
      maxConcurrentActivities: 8,
      maxConcurrentWorkflowTasks: 20,
      requestsPerSecond: 2.5,
      taskQueueActivitiesPerSecond: 50,
    });
    assert.deepEqual(workerLimitOptions(limitsFromEnv(env)), {
      maxConcurrentActivityTaskExecutions: 8,
      maxConcurrentWorkflowTaskExecutions: 20,
      maxTaskQueueActivitiesPerSecond: 50,
    });
    assert.deepEqual(workerLimitOptions(limitsFromEnv(loadEnv({}))), {}, 'unset: the SDK defaults');
    for (const [name, value] of [
      ['LDSYNC_MAX_CONCURRENT_ACTIVITIES', '0'],
      ['LDSYNC_MAX_CONCURRENT_ACTIVITIES', '2.5'],
      ['LDSYNC_MAX_CONCURRENT_WORKFLOW_TASKS', '1'],
      ['LDSYNC_RATE_LIMIT_PER_SECOND', '-1'],
      ['LDSYNC_RATE_LIMIT_PER_SECOND', 'fast'],
      ['LDSYNC_TASK_QUEUE_ACTIVITIES_PER_SECOND', '0'],
    ] as const) {
      assert.throws(
        () => loadEnv({ [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.message.includes(name),
        `${name}=${value}`,
      );
    }
  });

  it('the limiter spaces requests 1/maxPerSecond apart, on top of the headers', async () => {
    let clock = 1_000_000;
    const limiter = new RateLimiter({ maxPerSecond: 4, now: () => clock });
    const first = await limiter.acquire('GET /a');
    limiter.observe(first, {});
    assert.equal(first.waitedMs, 0);
    // The second request may not go before 250 ms have passed.
    assert.deepEqual(limiter.blockFor('GET /b')?.until, clock + 250);
    clock += 250;
    assert.equal(limiter.blockFor('GET /b'), null);
    const second = await limiter.acquire('GET /b');
    limiter.observe(second, {});
    assert.equal(limiter.blockFor('GET /a')?.until, clock + 250);
    assert.throws(() => new RateLimiter({ maxPerSecond: 0 }), RangeError);
    assert.equal(new RateLimiter().blockFor('GET /a'), null, 'no cap by default');
  });
});
