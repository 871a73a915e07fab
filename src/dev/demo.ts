// `ldsync dev --simulate`: a simulated LaunchDarkly account on a stable port, a `demo` connection
// to it, and a first sync, so a newcomer sees the whole job run end to end.
import { type Client } from '@temporalio/client';
import type pg from 'pg';
import { addConnection } from '../db/connections';
import { type TokenCipher } from '../crypto/token-cipher';
import { startSyncWorkflow } from '../temporal/sync-start';
import { syncWorkflowId, type SyncResult } from '../shared';
import { startSimulator, type Simulator } from '../simulator';

export const DEMO_CONNECTION_ID = 'demo';
/** Stable, so the `demo` connection stored in .data/ stays valid across restarts. */
export const DEFAULT_SIMULATOR_PORT = 8765;

export async function startDemoSimulator(port: number): Promise<Simulator> {
  try {
    return await startSimulator({ port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${port} (LaunchDarkly simulator) is already in use; choose another with --simulator-port`);
    }
    throw err;
  }
}

/** Registers (or refreshes) the `demo` connection; re-adding is an upsert. */
export async function registerDemoConnection(pool: pg.Pool, cipher: TokenCipher, simulator: Simulator): Promise<void> {
  await addConnection(pool, cipher, {
    id: DEMO_CONNECTION_ID,
    name: 'Simulated LaunchDarkly account',
    baseUrl: simulator.baseUrl,
    apiVersion: '20240415',
    token: simulator.readerToken,
  });
}

/**
 * Syncs `connectionId` and waits for the result. A sync still running from an earlier `ldsync dev`
 * (stopped mid-sync: Temporal kept it) is joined rather than refused. `signal` ends the wait (not
 * the sync), so the client can be closed without a call still in flight.
 */
export async function runSync(
  client: Client,
  connectionId: string,
  taskQueue: string,
  say: (line: string) => void,
  signal: AbortSignal,
): Promise<SyncResult> {
  return client.withAbortSignal(signal, async () => {
    const running = client.workflow.getHandle(syncWorkflowId(connectionId));
    const status = await running.describe().then(
      (d) => d.status.name,
      () => 'NONE',
    );
    if (status === 'RUNNING') {
      say(`resuming the sync of ${connectionId} that was running when ldsync dev last stopped`);
      return (await running.result()) as SyncResult;
    }
    const handle = await startSyncWorkflow(client, connectionId, taskQueue);
    return (await handle.result()) as SyncResult;
  });
}
