// A real sync setup for one test file: the shared Temporal server, this file's own database, the
// LaunchDarkly simulator over HTTP, a registered connection and an in-process worker.
import type { Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities, type ActivityDeps } from '../../activities';
import { generateEncryptionKey, parseEncryptionKey, TokenCipher } from '../../src/crypto/token-cipher';
import { addConnection, createPool } from '../../src/db';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator';
import { SYNC_WORKFLOW_TYPE, syncWorkflowId, type SyncResult } from '../../src/shared';
import { createSyncWorker } from '../../src/temporal/worker';
import { testStack, type TestStack } from './stack';

export interface SyncHarness {
  stack: TestStack;
  pool: Pool;
  cipher: TokenCipher;
  encryptionKey: string;
  sim: Simulator;
  connectionId: string;
  runSync(options?: Record<string, number>): Promise<SyncResult>;
  liveCounts(): Promise<Record<TableName, number>>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export const TABLES = [
  'projects',
  'environments',
  'flags',
  'flag_environments',
  'flag_statuses',
  'tags',
  'teams',
  'team_maintainers',
] as const;
export type TableName = (typeof TABLES)[number];

export async function startSyncHarness(
  label: string,
  simOptions: SimulatorOptions,
  opts: { worker?: boolean; clientOptions?: ActivityDeps['clientOptions']; token?: string } = {},
): Promise<SyncHarness> {
  const stack = await testStack(label);
  const pool = createPool(stack.databaseUrl);
  const encryptionKey = generateEncryptionKey();
  const cipher = new TokenCipher(parseEncryptionKey(encryptionKey));
  const sim = await startSimulator(simOptions);
  // Connection ids end up in workflow ids on the shared server: unique per file.
  const connectionId = `${label}-${stack.taskQueue.slice(-8)}`;
  await addConnection(pool, cipher, {
    id: connectionId,
    name: label,
    baseUrl: sim.baseUrl,
    apiVersion: '20240415',
    token: opts.token ?? sim.readerToken,
  });
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;

  const harness: SyncHarness = {
    stack,
    pool,
    cipher,
    encryptionKey,
    sim,
    connectionId,
    async runSync(options) {
      return (await stack.client.workflow.execute(SYNC_WORKFLOW_TYPE, {
        taskQueue: stack.taskQueue,
        workflowId: syncWorkflowId(connectionId),
        args: [{ connectionId, ...(options ? { options } : {}) }],
      })) as SyncResult;
    },
    async liveCounts() {
      const out = {} as Record<TableName, number>;
      for (const t of TABLES) {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM launchdarkly.${t} WHERE connection_id = $1 AND deleted_at IS NULL`,
          [connectionId],
        );
        out[t] = rows[0]?.n ?? 0;
      }
      return out;
    },
    async startWorker() {
      worker = await createSyncWorker({
        connection: stack.nativeConnection,
        namespace: stack.namespace,
        taskQueue: stack.taskQueue,
        activities: createActivities({ pool, cipher, clientOptions: opts.clientOptions }),
      });
      running = worker.run();
    },
    async stopWorker() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      worker = null;
      running = null;
    },
    async close() {
      await harness.stopWorker();
      await sim.close();
      await pool.end();
      await stack.cleanup();
    },
  };
  if (opts.worker ?? true) await harness.startWorker();
  return harness;
}

/** What the simulator says a complete sync must hold, per table. */
export function expectedCounts(sim: Simulator): Record<TableName, number> {
  const c = sim.counts();
  return {
    projects: c.projects,
    environments: c.environments,
    flags: c.flags,
    flag_environments: c.flagEnvironments,
    flag_statuses: c.flagStatuses,
    tags: c.tags,
    teams: c.teams,
    team_maintainers: c.teamMaintainers,
  };
}
