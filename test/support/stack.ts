// What a test file needs from the real stack: a Temporal server, a Postgres database of its own,
// connections, and task queues no other test uses. Under `npm test` the servers are the run's
// shared ones (scripts/run-tests.ts exports TEMPORAL_ADDRESS and DATABASE_URL); a file run directly
// (`node --import tsx --test test/x.test.ts`) starts its own and stops them in cleanup().
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Client } from '@temporalio/client';
import { type NativeConnection } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { createIsolatedDatabase } from './test-database';
import { Teardown } from '../../src/dev/teardown';
import { connectClient, connectNative } from '../../src/temporal/connection';
import { freePort, startDevServer } from '../../src/temporal/dev-server';

// Tests are quiet unless asked (LDSYNC_LOG_LEVEL=info); set before any logger exists.
process.env.LDSYNC_LOG_LEVEL ??= 'warn';

export interface TestStack {
  temporalAddress: string;
  namespace: string;
  /** A migrated database that only this test file uses; dropped by cleanup(). */
  databaseUrl: string;
  client: Client;
  nativeConnection: NativeConnection;
  /** Unique to this call: workers and workflows of different tests never meet. */
  taskQueue: string;
  cleanup(): Promise<void>;
}

export async function testStack(label: string): Promise<TestStack> {
  const { temporalAddress, namespace, adminUrl } = await sharedServers.acquire();
  const teardown = new Teardown();
  teardown.add('shared servers', () => sharedServers.release());
  const cleanup = () => runTeardown(teardown);
  try {
    const database = await createIsolatedDatabase(adminUrl, label);
    teardown.add('test database', () => database.drop());
    const local = { connectionOptions: { address: temporalAddress }, namespace };
    const temporal = await connectClient(local);
    teardown.add('Temporal client', () => temporal.close());
    const native = await connectNative(local);
    teardown.add('worker connection', () => native.close());
    return {
      temporalAddress,
      namespace,
      databaseUrl: database.url,
      client: temporal.client,
      nativeConnection: native.connection,
      taskQueue: uniqueTaskQueue(label),
      cleanup,
    };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}

/** Runs every step even when one fails (a server left running would keep the test process alive), then reports. */
async function runTeardown(teardown: Teardown): Promise<void> {
  const failures = await teardown.run();
  if (failures.length) {
    throw new AggregateError(
      failures.map((f) => f.error),
      `cleanup failed: ${failures.map((f) => `${f.name}: ${String(f.error)}`).join('; ')}`,
    );
  }
}

/** `test-<label>-<random>`: readable in the Web UI, unique per call. */
export function uniqueTaskQueue(label: string): string {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `test-${slug}-${randomBytes(4).toString('hex')}`;
}

interface Servers {
  temporalAddress: string;
  namespace: string;
  adminUrl: string;
}

/**
 * The servers of this process: those named by the environment, or ones started on first use and
 * stopped when the last stack is cleaned up.
 */
const sharedServers = (() => {
  let users = 0;
  let starting: Promise<Servers & { stop(): Promise<void> }> | undefined;

  async function start(): Promise<Servers & { stop(): Promise<void> }> {
    const teardown = new Teardown();
    const stop = () => runTeardown(teardown);
    try {
      let temporalAddress = process.env.TEMPORAL_ADDRESS;
      let namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
      if (!temporalAddress) {
        const server = await startDevServer({ port: 0, uiPort: 'headless', logLevel: 'error' });
        teardown.add('Temporal dev server', () => server.stop());
        temporalAddress = server.address;
        namespace = server.namespace;
      }
      let adminUrl = process.env.DATABASE_URL;
      if (!adminUrl) {
        const pgDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ldsync-test-pg-'));
        teardown.add('embedded Postgres data', () => fs.rm(pgDir, { recursive: true, force: true }));
        const postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort() });
        teardown.add('embedded Postgres', () => postgres.stop());
        adminUrl = postgres.url;
      }
      return { temporalAddress, namespace, adminUrl, stop };
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
  }

  return {
    async acquire(): Promise<Servers> {
      users += 1;
      starting ??= start();
      try {
        return await starting;
      } catch (err) {
        users -= 1;
        starting = undefined;
        throw err;
      }
    },
    async release(): Promise<void> {
      users -= 1;
      if (users > 0 || !starting) return;
      const servers = await starting;
      starting = undefined;
      await servers.stop();
    },
  };
})();
