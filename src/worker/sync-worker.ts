// A running sync worker with the project's activities wired to their dependencies: what
// `ldsync worker` runs on its own (run-worker.ts) and `ldsync dev` runs in-process.
import { type NativeConnection, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type pg from 'pg';
import { createActivities, type ActivityDeps } from '../../activities';
import type { DatabaseRetrySettings } from '../../activities/database';
import { type TokenCipher } from '../crypto/token-cipher';
import type { Env } from '../config';
import type { WorkerTracing } from '../temporal/tracing-options';
import { createSyncWorker, type WorkerLimits } from '../temporal/worker';

export interface SyncWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: pg.Pool;
  cipher: TokenCipher;
  /** Made earlier with bundleSyncWorkflows(); bundled on the spot otherwise. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Concurrency and rate limits; `limitsFromEnv(env)` reads them from the validated environment. */
  limits?: SyncWorkerLimits;
  /** OpenTelemetry tracing (createWorkerTracing); unset: none. The caller flushes it after `stopped`. */
  tracing?: WorkerTracing | undefined;
  /** Postgres outage budget per activity attempt (databaseRetryFromEnv(env)); unset: 5 min. */
  databaseRetry?: DatabaseRetrySettings;
}

export interface SyncWorkerLimits extends WorkerLimits {
  /** Requests per second to one LaunchDarkly connection from this process, at most (besides the headers). */
  requestsPerSecond?: number | undefined;
}

/** LDSYNC_MAX_CONCURRENT_ACTIVITIES, …_WORKFLOW_TASKS, LDSYNC_RATE_LIMIT_PER_SECOND, LDSYNC_TASK_QUEUE_ACTIVITIES_PER_SECOND. */
export function limitsFromEnv(env: Env): SyncWorkerLimits {
  return {
    maxConcurrentActivities: env.LDSYNC_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTasks: env.LDSYNC_MAX_CONCURRENT_WORKFLOW_TASKS,
    taskQueueActivitiesPerSecond: env.LDSYNC_TASK_QUEUE_ACTIVITIES_PER_SECOND,
    requestsPerSecond: env.LDSYNC_RATE_LIMIT_PER_SECOND,
  };
}

export interface RunningSyncWorker {
  worker: Worker;
  /** Settles when the worker has stopped: after stop(), or early (rejected) on a fatal worker error. */
  stopped: Promise<void>;
  /** Graceful: polling ends, in-flight activities get the shutdown grace time to finish. */
  stop(): Promise<void>;
}

export async function startSyncWorker(deps: SyncWorkerDeps): Promise<RunningSyncWorker> {
  const { requestsPerSecond, ...workerLimits } = deps.limits ?? {};
  const activityDeps: ActivityDeps = {
    pool: deps.pool,
    cipher: deps.cipher,
    ...(deps.databaseRetry ? { databaseRetry: deps.databaseRetry } : {}),
    ...(requestsPerSecond !== undefined ? { limiterOptions: { maxPerSecond: requestsPerSecond } } : {}),
  };
  const worker = await createSyncWorker({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: createActivities(activityDeps),
    workflowBundle: deps.workflowBundle,
    limits: workerLimits,
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
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
