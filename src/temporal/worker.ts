// The one way this project builds a Temporal Worker, so `ldsync worker`, `ldsync dev` and the tests
// run with the same options.
import os from 'node:os';
import path from 'node:path';
import {
  bundleWorkflowCode,
  type NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { PROJECT_ROOT } from '../config';
import { installTemporalRuntime } from './runtime';

/** The repository's workflows (the folder's index.ts), resolved from the repo root so it works under tsx. */
export const WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'workflows');

export interface SyncWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  identity?: string;
  /** Another workflows module (test fixtures); defaults to the repository's `workflows/`. */
  workflowsPath?: string;
  /** A bundle made earlier with bundleSyncWorkflows(); takes the place of workflowsPath. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

/**
 * Bundles the workflows ahead of Worker.create. Bundling is seconds of webpack, so `ldsync dev`
 * does it while Postgres and the Temporal server start.
 */
export function bundleSyncWorkflows(workflowsPath: string = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  installTemporalRuntime();
  return bundleWorkflowCode({ workflowsPath, logger: Runtime.instance().logger });
}

export async function createSyncWorker(opts: SyncWorkerOptions): Promise<Worker> {
  installTemporalRuntime();
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: opts.workflowsPath ?? WORKFLOWS_PATH }),
    identity: opts.identity ?? `ldsync@${os.hostname()}/${process.pid}`,
    // The SDK's default of 0 cancels in-flight activities the moment shutdown starts; a page being
    // written gets time to finish and heartbeat its cursor instead.
    shutdownGraceTime: '10s',
    // About 1 MB each; a sync keeps one parent plus a bounded window of children in flight, and an
    // explicit number keeps the heap-based default from exhausting small containers.
    maxCachedWorkflows: 200,
    // Heartbeats otherwise reach the server at most every 0.8 × the heartbeat timeout (24 s): operators
    // would read stale details in the Web UI and a cancel would take that long to reach an activity.
    maxHeartbeatThrottleInterval: '5s',
  });
}
