// A running sync worker with the project's activities wired to their dependencies: what
// `ldsync worker` runs on its own (run-worker.ts) and `ldsync dev` runs in-process.
import { type NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type pg from 'pg';
import { createActivities } from '../../activities';
import { type TokenCipher } from '../crypto/token-cipher';
import { createSyncWorker } from '../temporal/worker';

export interface SyncWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: pg.Pool;
  cipher: TokenCipher;
  /** Made earlier with bundleSyncWorkflows(); bundled on the spot otherwise. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

export interface RunningSyncWorker {
  worker: Worker;
  /** Settles when the worker has stopped: after stop(), or early (rejected) on a fatal worker error. */
  stopped: Promise<void>;
  /** Graceful: polling ends, in-flight activities get the shutdown grace time to finish. */
  stop(): Promise<void>;
}

export async function startSyncWorker(deps: SyncWorkerDeps): Promise<RunningSyncWorker> {
  const worker = await createSyncWorker({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: createActivities({ pool: deps.pool, cipher: deps.cipher }),
    workflowBundle: deps.workflowBundle,
  });
  const stopped = worker.run();
  stopped.catch(() => undefined); // observed by whoever awaits `stopped`; never an unhandled rejection
  return {
    worker,
    stopped,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await stopped;
    },
  };
}
