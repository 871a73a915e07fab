// The one way this project builds a Temporal Worker, so `ldsync worker`, `ldsync dev` and the tests
// run with the same options. Development bundles the workflow code with webpack when a worker starts;
// the production entry (src/main.ts) points every worker at the bundle `npm run build` made instead.
import fs from 'node:fs';
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
import { activityLogInterceptors } from './log-interceptor';
import { installTemporalRuntime } from './runtime';
import { OTEL_WORKFLOW_INTERCEPTORS_MODULE, type WorkerTracing } from './tracing-options';

/** The repository's workflows (the folder's index.ts), resolved from the repo root so it works under tsx. */
export const WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'workflows');

/** The prebuilt bundle's file name; `npm run build` writes it to dist/, beside the compiled code. */
export const PREBUILT_BUNDLE_FILE = 'workflow-bundle.js';

/**
 * The prebuilt bundle with the OpenTelemetry workflow interceptors in it, beside the plain one
 * (`workflow-bundle.js` → `workflow-bundle-otel.js`): a worker with tracing on runs it instead.
 */
export function tracingBundlePath(bundlePath: string): string {
  return `${bundlePath.replace(/\.js$/, '')}-otel.js`;
}

let prebuiltBundlePath: string | undefined;

/**
 * Makes every worker of this process (and bundleSyncWorkflows) use a bundle made by `npm run build`
 * instead of bundling the sources at start. Throws if the file is missing, so a broken image fails
 * at once and says why, instead of starting webpack in production.
 */
export function usePrebuiltWorkflowBundle(codePath: string): void {
  const resolved = path.resolve(codePath);
  if (!fs.existsSync(resolved)) {
    throw new Error(
      `no prebuilt workflow bundle at ${resolved}: run \`npm run build\` (or fix LDSYNC_WORKFLOW_BUNDLE)`,
    );
  }
  prebuiltBundlePath = resolved;
}

/** How this host's workers name themselves to Temporal (before the pid); the worker probe looks for it. */
export function workerIdentityPrefix(hostname: string = os.hostname()): string {
  return `ldsync@${hostname}/`;
}

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
  /** Concurrency and task-queue rate limits (LDSYNC_MAX_CONCURRENT_*, LDSYNC_TASK_QUEUE_ACTIVITIES_PER_SECOND). */
  limits?: WorkerLimits;
  /**
   * OpenTelemetry tracing (createWorkerTracing, LDSYNC_TRACING=otlp); unset: no tracing and the
   * options and bundle as without it. A `workflowBundle` given with it must come from
   * bundleSyncWorkflows(path, { tracing: true }).
   */
  tracing?: WorkerTracing | undefined;
}

export interface WorkerLimits {
  /** `maxConcurrentActivityTaskExecutions` of this worker (SDK default 100). */
  maxConcurrentActivities?: number | undefined;
  /** `maxConcurrentWorkflowTaskExecutions` of this worker (SDK default 40). */
  maxConcurrentWorkflowTasks?: number | undefined;
  /**
   * `maxTaskQueueActivitiesPerSecond`: enforced by the server for the whole task queue, so it is
   * shared by every worker on it (the last poller's value wins: give every worker the same one).
   */
  taskQueueActivitiesPerSecond?: number | undefined;
}

/** The Worker options `limits` stands for; unset limits keep the SDK's defaults. */
export function workerLimitOptions(limits: WorkerLimits = {}): {
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxTaskQueueActivitiesPerSecond?: number;
} {
  return {
    ...(limits.maxConcurrentActivities !== undefined
      ? { maxConcurrentActivityTaskExecutions: limits.maxConcurrentActivities }
      : {}),
    ...(limits.maxConcurrentWorkflowTasks !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: limits.maxConcurrentWorkflowTasks }
      : {}),
    ...(limits.taskQueueActivitiesPerSecond !== undefined
      ? { maxTaskQueueActivitiesPerSecond: limits.taskQueueActivitiesPerSecond }
      : {}),
  };
}

/**
 * Bundles the workflows ahead of Worker.create. Bundling is seconds of webpack, so `ldsync dev`
 * does it while Postgres and the Temporal server start.
 */
export async function bundleSyncWorkflows(
  workflowsPath?: string,
  options: { tracing?: boolean } = {},
): Promise<WorkflowBundleWithSourceMap> {
  if (prebuiltBundlePath && workflowsPath === undefined) {
    const file = options.tracing ? existingTracingBundle(prebuiltBundlePath) : prebuiltBundlePath;
    // The bundler's own result carries no separate source map either (it is inlined in the code).
    return { code: await fs.promises.readFile(file, 'utf8'), sourceMap: '' };
  }
  installTemporalRuntime();
  return bundleWorkflowCode({
    workflowsPath: workflowsPath ?? WORKFLOWS_PATH,
    logger: Runtime.instance().logger,
    ...(options.tracing ? { workflowInterceptorModules: [OTEL_WORKFLOW_INTERCEPTORS_MODULE] } : {}),
  });
}

function existingTracingBundle(bundlePath: string): string {
  const file = tracingBundlePath(bundlePath);
  if (!fs.existsSync(file)) {
    throw new Error(`tracing is on but there is no traced workflow bundle at ${file}: run \`npm run build\``);
  }
  return file;
}

type WorkflowCodeOption =
  { workflowBundle: WorkflowBundleWithSourceMap | { codePath: string } } | { workflowsPath: string };

function workflowCode(opts: SyncWorkerOptions): WorkflowCodeOption {
  if (opts.workflowBundle) return { workflowBundle: opts.workflowBundle };
  if (opts.workflowsPath) return { workflowsPath: opts.workflowsPath };
  if (prebuiltBundlePath) {
    // A bundle ignores the Worker's workflowModules: traced workers run the bundle that has them.
    const codePath = opts.tracing ? existingTracingBundle(prebuiltBundlePath) : prebuiltBundlePath;
    return { workflowBundle: { codePath } };
  }
  return { workflowsPath: WORKFLOWS_PATH };
}

export async function createSyncWorker(opts: SyncWorkerOptions): Promise<Worker> {
  installTemporalRuntime();
  const code = workflowCode(opts);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...code,
    identity: opts.identity ?? `${workerIdentityPrefix()}${process.pid}`,
    // Connection id, run id, stream and scope on every activity log line (no workflow interceptor:
    // the workflow bundle, and so replay, stays as it is).
    interceptors: opts.tracing
      ? {
          activity: [opts.tracing.activityInterceptor, activityLogInterceptors],
          // Bundled at Worker.create from workflowsPath; a bundle already has them (and the SDK
          // ignores, with a warning, workflowModules given beside one).
          ...('workflowsPath' in code ? { workflowModules: opts.tracing.workflowModules } : {}),
        }
      : { activity: [activityLogInterceptors] },
    // Carries the workflow spans out of the sandbox (the SDK skips it during replay).
    ...(opts.tracing ? { sinks: opts.tracing.sinks } : {}),
    // The SDK's default of 0 cancels in-flight activities the moment shutdown starts; a page being
    // written gets time to finish and heartbeat its cursor instead.
    shutdownGraceTime: '10s',
    // About 1 MB each; a sync keeps one parent plus a bounded window of children in flight, and an
    // explicit number keeps the heap-based default from exhausting small containers.
    maxCachedWorkflows: 200,
    // Heartbeats otherwise reach the server at most every 0.8 × the heartbeat timeout (24 s): operators
    // would read stale details in the Web UI and a cancel would take that long to reach an activity.
    maxHeartbeatThrottleInterval: '5s',
    ...workerLimitOptions(opts.limits),
  });
}
