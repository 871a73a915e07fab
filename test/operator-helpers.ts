// Shared by the test/operator-*.test.ts files: a real sync stack for one test file (its own database,
// task queue and in-process worker on the run's Temporal dev server), simulated LaunchDarkly accounts
// registered as connections, the `ldsync` CLI in a child process, and a Chromium for the Web UI stories.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Client, type WorkflowHandle } from '@temporalio/client';
import { type temporal } from '@temporalio/proto';
import { type Worker } from '@temporalio/worker';
import type pg from 'pg';
import { type Browser, chromium } from 'playwright-core';
import { createActivities } from '../activities';
import { generateEncryptionKey, TokenCipher } from '../src/crypto/token-cipher';
import { addConnection } from '../src/db/connections';
import { createPool } from '../src/db/pool';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { createSyncWorker } from '../src/temporal/worker';
import { runCli, type CliResult } from './support/cli';
import { testStack, type TestStack } from './support/stack';

export { runCli, type CliResult };

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface OperatorStack {
  stack: TestStack;
  client: Client;
  pool: pg.Pool;
  /** the key the connections' tokens are encrypted with: give it to `ldsync` as LDSYNC_ENCRYPTION_KEY */
  encryptionKey: string;
  taskQueue: string;
  /** A simulated LaunchDarkly account, stopped by cleanup(). */
  simulator(options?: SimulatorOptions): Promise<Simulator>;
  /** Registers a connection to `sim` (with its reader token unless `token` says otherwise). */
  connect(id: string, sim: Simulator, token?: string): Promise<void>;
  /** Runs `ldsync <args>` against this stack's database, Temporal and task queue (plus `env`). */
  ldsync(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  cleanup(): Promise<void>;
}

/**
 * The stack plus a worker running the repository's workflows and activities. Client retries are kept
 * short so a simulated outage does not hold a test for minutes; everything else is production config.
 */
export async function operatorStack(label: string): Promise<OperatorStack> {
  await ensureTemporalWithUi();
  const stack = await testStack(label);
  const undo: Array<() => Promise<unknown>> = [stopOwnServer, () => stack.cleanup()];
  const cleanup = async () => {
    for (let step = undo.pop(); step; step = undo.pop()) await step().catch(() => undefined);
  };
  try {
    const pool = createPool(stack.databaseUrl);
    undo.push(() => pool.end());
    const encryptionKey = generateEncryptionKey();
    const cipher = TokenCipher.fromKeyText(encryptionKey);
    const worker = await createSyncWorker({
      connection: stack.nativeConnection,
      namespace: stack.namespace,
      taskQueue: stack.taskQueue,
      activities: createActivities({
        pool,
        cipher,
        clientOptions: { maxRetries: 1, retryBaseDelayMs: 50, timeoutMs: 10_000 },
      }),
    });
    const running = runWorker(worker);
    undo.push(() => running.stop());
    // A test that failed half way leaves its syncs running on the shared server; end them first.
    undo.push(() => terminateRunning(stack.client, stack.taskQueue));

    return {
      stack,
      client: stack.client,
      pool,
      encryptionKey,
      taskQueue: stack.taskQueue,
      async simulator(options = {}) {
        const sim = await startSimulator({ projects: 2, environments: 2, flags: 10, teams: 2, ...options });
        undo.push(() => sim.close());
        return sim;
      },
      async connect(id, sim, token) {
        await addConnection(pool, cipher, {
          id,
          baseUrl: sim.baseUrl,
          apiVersion: '20240415',
          token: token ?? sim.readerToken,
        });
      },
      ldsync: (args, env = {}) =>
        runCli(args, {
          DATABASE_URL: stack.databaseUrl,
          LDSYNC_ENCRYPTION_KEY: encryptionKey,
          TEMPORAL_ADDRESS: stack.temporalAddress,
          TEMPORAL_NAMESPACE: stack.namespace,
          LDSYNC_TASK_QUEUE: stack.taskQueue,
          ...env,
        }),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function terminateRunning(client: Client, taskQueue: string): Promise<void> {
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('test cleanup')
      .catch(() => undefined);
  }
}

function runWorker(worker: Worker): { stop(): Promise<void> } {
  const done = worker.run();
  done.catch(() => undefined); // a failure surfaces as workflows that never finish, and in stop()
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

// ------------------------------------------------------------------------------------ Temporal UI

let ownServer: Promise<DevServer> | undefined;

/**
 * Under `npm test` the run's dev server has a Web UI (LDSYNC_TEST_UI_URL). A file run on its own starts
 * one with a UI here, before test/support/stack.ts would start a headless one.
 */
async function ensureTemporalWithUi(): Promise<void> {
  if (process.env.TEMPORAL_ADDRESS) return;
  ownServer ??= startDevServer({ port: 0, uiPort: 0, logLevel: 'error' });
  const server = await ownServer;
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.TEMPORAL_NAMESPACE = server.namespace;
  if (server.uiUrl) process.env.LDSYNC_TEST_UI_URL = server.uiUrl;
}

/** Stops the server ensureTemporalWithUi started (each operator test file makes one stack). */
async function stopOwnServer(): Promise<void> {
  const starting = ownServer;
  ownServer = undefined;
  if (starting) await (await starting).stop();
}

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Why the browser stories cannot run here, or null when they can. */
export function browserSkipReason(): string | null {
  if (!chromiumPath()) return `no Chromium at ${CHROMIUM_PATHS.join(' or ')} (install it: apt-get install -y chromium)`;
  if (process.env.TEMPORAL_ADDRESS && !process.env.LDSYNC_TEST_UI_URL) {
    return 'TEMPORAL_ADDRESS names a server without LDSYNC_TEST_UI_URL: no Web UI to test';
  }
  return null;
}

function chromiumPath(): string | undefined {
  return [process.env.LDSYNC_TEST_CHROMIUM, ...CHROMIUM_PATHS].find((p): p is string => !!p && existsSync(p));
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(browserSkipReason() ?? 'no Chromium');
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The Web UI's base URL (set once the stack exists). */
export function uiUrl(): string {
  const url = process.env.LDSYNC_TEST_UI_URL;
  if (!url) throw new Error('LDSYNC_TEST_UI_URL is not set: no Temporal Web UI');
  return url.replace(/\/+$/, '');
}

export function workflowPageUrl(namespace: string, workflowId: string, runId?: string): string {
  const base = `${uiUrl()}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}

// ------------------------------------------------------------------------------------ history and rows

/** A connection id no other test file on the shared server uses (ids end up in workflow and schedule ids). */
export function uniqueId(name: string): string {
  return `${name}-${randomBytes(3).toString('hex')}`;
}

export async function historyEvents(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** Counts rows of `ldsync.sync_run_streams` of the run by status. */
export async function streamStatuses(pool: pg.Pool, runId: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM ldsync.sync_run_streams WHERE run_id = $1 GROUP BY status',
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
