// `ldsync dev`: the whole stack on one machine, started in dependency order and stopped in reverse.
// Everything durable lives under the data directory (.data/ by default): the embedded Postgres
// cluster, Temporal's SQLite file and the local encryption key, so a second start resumes where the
// first stopped.
import path from 'node:path';
import { type Client } from '@temporalio/client';
import { type Env, dataDir as resolveDataDir } from '../config';
import { TokenCipher } from '../crypto/token-cipher';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { type Logger } from '../logger';
import { findTemporalCli } from '../temporal/cli-binary';
import { connectClient, connectNative } from '../temporal/connection';
import { startDevServer } from '../temporal/dev-server';
import { bundleSyncWorkflows } from '../temporal/worker';
import { databaseRetryFromEnv } from '../../activities/database';
import { installTemporalRuntime } from '../temporal/runtime';
import { DEMO_CONNECTION_ID, registerDemoConnection, startDemoSimulator } from './demo';
import { type DevState, readLiveDevState, removeDevState, writeDevState } from './dev-state';
import { ensureDevEncryptionKey } from './encryption-key';
import { limitsFromEnv, startSyncWorker } from '../worker/sync-worker';
import { Teardown } from './teardown';

export interface DevStackOptions {
  env: Env;
  logger: Logger;
  /** Temporal frontend port (7233) and Web UI port (8233). */
  port: number;
  uiPort: number;
  /** Start the LaunchDarkly simulator on this port and register the `demo` connection. */
  simulatorPort?: number;
  /** Port of the embedded Postgres (when DATABASE_URL is not set); default 54329. */
  postgresPort?: number;
  /** Progress lines for the person at the terminal. */
  say: (line: string) => void;
}

export interface DevStack {
  state: DevState;
  client: Client;
  /** The id of the connection to the simulator, when one was registered. */
  demoConnectionId?: string;
  /** The task queue the in-process worker polls. */
  taskQueue: string;
  /** Rejects if the in-process worker dies; the caller should then stop the stack. */
  workerStopped: Promise<void>;
  stop(): Promise<void>;
}

export async function startDevStack(opts: DevStackOptions): Promise<DevStack> {
  const { env, logger, say } = opts;
  const dataDir = resolveDataDir(env);
  const running = readLiveDevState(dataDir);
  if (running) {
    throw new Error(`ldsync dev is already running (pid ${running.pid}) with data in ${dataDir}; stop it first`);
  }
  installTemporalRuntime(logger, { metricsAddress: env.LDSYNC_METRICS_ADDRESS });

  const teardown = new Teardown();
  const stop = async () => {
    const failures = await teardown.run((name) => say(`stopping ${name}`));
    for (const { name, error } of failures) logger.error({ err: error }, `stopping ${name} failed`);
  };

  try {
    const encryption = await ensureDevEncryptionKey(dataDir, env.LDSYNC_ENCRYPTION_KEY);
    const cipher = TokenCipher.fromKeyText(encryption.key, encryption.file ?? 'LDSYNC_ENCRYPTION_KEY');

    // Postgres, Temporal and the workflow bundle do not depend on each other: make all three at
    // once (the cold start is mostly waiting for them). All settle before anything else, so the
    // teardown knows everything that started.
    const [database, server, workflowBundle] = settleAll(
      await Promise.allSettled([
        timed(say, 'Postgres', async () => {
          let url = env.DATABASE_URL;
          if (!url) {
            const postgres = await startEmbeddedPostgres({ dataDir, logger, port: opts.postgresPort });
            teardown.add('Postgres', () => postgres.stop());
            url = postgres.url;
          }
          const { applied } = await migrate(url);
          return { url, applied };
        }),
        timed(say, 'Temporal dev server', async () => {
          const cli = await findTemporalCli({ env: process.env, onInstall: say });
          const started = await startDevServer({
            cli,
            port: opts.port,
            uiPort: opts.uiPort,
            dbFile: path.join(dataDir, 'temporal.sqlite'),
            logFile: path.join(dataDir, 'temporal.log'),
          });
          teardown.add('Temporal dev server', () => started.stop());
          return started;
        }),
        timed(say, 'workflow bundle', () => bundleSyncWorkflows()),
      ]),
    );
    const databaseUrl = database.url;
    say(
      database.applied.length ? `applied migrations: ${database.applied.join(', ')}` : 'database schema is up to date',
    );
    const pool = createPool(databaseUrl, { logger });
    teardown.add('database pool', () => pool.end());

    // The local server, not whatever TEMPORAL_* or a config profile may point at.
    const local = { connectionOptions: { address: server.address }, namespace: server.namespace };
    const temporal = await connectClient(local);
    teardown.add('Temporal client', () => temporal.close());
    const native = await connectNative(local);
    teardown.add('worker connection', () => native.close());
    const taskQueue = env.LDSYNC_TASK_QUEUE;
    const worker = await timed(say, 'worker', () =>
      startSyncWorker({
        connection: native.connection,
        namespace: server.namespace,
        taskQueue,
        pool,
        cipher,
        workflowBundle,
        limits: limitsFromEnv(env),
        databaseRetry: databaseRetryFromEnv(env),
      }),
    );
    teardown.add('worker', () => worker.stop());

    let simulatorUrl: string | undefined;
    if (opts.simulatorPort !== undefined) {
      const simulator = await startDemoSimulator(opts.simulatorPort);
      teardown.add('LaunchDarkly simulator', () => simulator.close());
      await registerDemoConnection(pool, cipher, simulator);
      simulatorUrl = simulator.baseUrl;
    }

    const state: DevState = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      databaseUrl,
      databaseFromEnv: Boolean(env.DATABASE_URL),
      temporalAddress: server.address,
      namespace: server.namespace,
      uiUrl: server.uiUrl ?? '',
      taskQueue,
      encryptionKeyFile: encryption.file,
      simulatorUrl,
    };
    await writeDevState(dataDir, state);
    teardown.add('dev-state.json', () => removeDevState(dataDir));

    return {
      state,
      client: temporal.client,
      demoConnectionId: simulatorUrl ? DEMO_CONNECTION_ID : undefined,
      taskQueue,
      workerStopped: worker.stopped,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function timed<T>(say: (line: string) => void, what: string, start: () => Promise<T>): Promise<T> {
  const began = Date.now();
  const result = await start();
  say(`${what} ready (${((Date.now() - began) / 1000).toFixed(1)} s)`);
  return result;
}

/** The values of settled promises, or the first failure (thrown only once all have settled). */
function settleAll<T extends readonly unknown[]>(results: { [K in keyof T]: PromiseSettledResult<T[K]> }): T {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/**
 * The lines `ldsync dev` prints once everything runs. The embedded database's URL is printed whole,
 * so `psql '<url>'` works as printed: it listens on 127.0.0.1 only, and its generated password is
 * also in `<dataDir>/postgres.password`. A URL from DATABASE_URL is the user's own: its password
 * is not echoed to the terminal (`psql "$DATABASE_URL"` uses it).
 */
export function describeDevStack(state: DevState, dataDir: string): string[] {
  const postgres = state.databaseFromEnv
    ? `${withoutPassword(state.databaseUrl)} (DATABASE_URL${hasPassword(state.databaseUrl) ? '; psql "$DATABASE_URL"' : ''})`
    : state.databaseUrl;
  return [
    `Temporal Web UI   ${state.uiUrl}`,
    `Temporal address  ${state.temporalAddress} (namespace ${state.namespace}; \`ldsync temporal …\` uses it)`,
    `Postgres          ${postgres}`,
    `Task queue        ${state.taskQueue}`,
    ...(state.simulatorUrl ? [`Simulator         ${state.simulatorUrl} (connection ${DEMO_CONNECTION_ID})`] : []),
    `Data directory    ${dataDir}`,
  ];
}

function hasPassword(databaseUrl: string): boolean {
  try {
    return new URL(databaseUrl).password !== '';
  } catch {
    return false;
  }
}

export function withoutPassword(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparsable DATABASE_URL>';
  }
}
