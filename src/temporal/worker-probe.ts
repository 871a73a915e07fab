// Is a worker on this host polling? Asks the Temporal server, which is the one place that knows:
// the task queue's pollers (DescribeTaskQueue), for both workflow and activity tasks, must include a
// worker named `ldsync@<this hostname>/…` that polled recently. A long poll lasts up to about 70 s,
// so a live worker shows an access time younger than that; a stuck or disconnected one ages out.
// Run as a script it is the image's HEALTHCHECK (exit 0 healthy, 1 not):
//   node dist/src/temporal/worker-probe.js        (development: npx tsx src/temporal/worker-probe.ts)
import { type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadEnv } from '../config';
import { connectClient } from './connection';
import { workerIdentityPrefix } from './worker';

export const DEFAULT_MAX_POLL_AGE_MS = 90_000;

export interface WorkerProbeOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** Pollers whose identity starts with this count; default: this host's workers. */
  identityPrefix?: string;
  /** Only the poller with exactly this identity counts (one process); overrides identityPrefix. */
  identity?: string;
  maxPollAgeMs?: number;
  now?: number;
}

export interface WorkerProbeResult {
  polling: boolean;
  /** One line for the health log, e.g. `workflow: 1 poller(s), last 3 s ago; activity: none`. */
  detail: string;
}

const TASK_TYPES = [
  ['workflow', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
  ['activity', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
] as const;

export async function probeWorkerPolling(opts: WorkerProbeOptions): Promise<WorkerProbeResult> {
  const prefix = opts.identityPrefix ?? workerIdentityPrefix();
  const maxAge = opts.maxPollAgeMs ?? DEFAULT_MAX_POLL_AGE_MS;
  const now = opts.now ?? Date.now();
  const parts: string[] = [];
  let polling = true;
  for (const [name, taskQueueType] of TASK_TYPES) {
    const response = await opts.client.workflowService.describeTaskQueue({
      namespace: opts.namespace,
      taskQueue: { name: opts.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType,
    });
    const ages = (response.pollers ?? [])
      .filter((p) => (opts.identity ? p.identity === opts.identity : p.identity?.startsWith(prefix)))
      .map((p) => now - timestampMs(p.lastAccessTime));
    const fresh = ages.filter((age) => age <= maxAge);
    if (fresh.length === 0) polling = false;
    parts.push(
      fresh.length === 0
        ? `${name}: no recent poller named ${opts.identity ?? `${prefix}…`}`
        : `${name}: ${fresh.length} poller(s), last ${Math.max(0, Math.round(Math.min(...fresh) / 1000))} s ago`,
    );
  }
  return { polling, detail: parts.join('; ') };
}

function timestampMs(ts: temporal.api.taskqueue.v1.IPollerInfo['lastAccessTime']): number {
  if (!ts) return 0;
  return Number(ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

async function runProbe(): Promise<number> {
  const taskQueue = loadEnv().LDSYNC_TASK_QUEUE;
  const temporalClient = await connectClient();
  try {
    const result = await probeWorkerPolling({
      client: temporalClient.client,
      namespace: temporalClient.namespace,
      taskQueue,
    });
    console.log(`${result.polling ? 'polling' : 'NOT polling'} ${taskQueue}: ${result.detail}`);
    return result.polling ? 0 : 1;
  } finally {
    await temporalClient.close();
  }
}

if (require.main === module) {
  runProbe().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.log(`probe failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
