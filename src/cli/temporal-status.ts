// What Temporal knows about a connection, for `ldsync status`: the state of the latest run's workflow
// (with its pending activities) and the connection's schedule. Temporal being unreachable is reported,
// not fatal: the database half of `status` is still worth printing.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { connectClient } from '../temporal/connection';
import { resolveTemporalEnv } from './context';
import { formatDuration } from './schedule-options';
import { describeSyncSchedule, NoScheduleError, type SyncScheduleView } from './sync-schedules';

export interface TemporalStatus {
  /** null when Temporal answered; otherwise why it did not */
  unreachable: string | null;
  workflow: {
    workflowId: string;
    runId: string;
    /** RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, ..., or NOT_FOUND (e.g. past retention) */
    status: string;
    pendingActivities: number;
    historyLength: number | null;
  } | null;
  schedule: SyncScheduleView | null;
}

export async function temporalStatus(
  connectionId: string,
  latestRun: { workflowId: string; workflowRunId: string } | null,
): Promise<TemporalStatus> {
  let temporal: Awaited<ReturnType<typeof connectClient>>;
  try {
    temporal = await connectClient(resolveTemporalEnv());
  } catch (err) {
    return { unreachable: err instanceof Error ? err.message : String(err), workflow: null, schedule: null };
  }
  try {
    const [workflow, schedule] = await Promise.all([
      latestRun ? workflowState(temporal.client, latestRun.workflowId, latestRun.workflowRunId) : null,
      describeSyncSchedule(temporal.client, connectionId).catch((err: unknown) => {
        if (err instanceof NoScheduleError) return null;
        throw err;
      }),
    ]);
    return { unreachable: null, workflow, schedule };
  } finally {
    await temporal.close();
  }
}

async function workflowState(client: Client, workflowId: string, runId: string) {
  try {
    const d = await client.workflow.getHandle(workflowId, runId).describe();
    return {
      workflowId,
      runId,
      status: d.status.name,
      pendingActivities: d.raw.pendingActivities?.length ?? 0,
      historyLength: d.historyLength,
    };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    return { workflowId, runId, status: 'NOT_FOUND', pendingActivities: 0, historyLength: null };
  }
}

export function formatTemporalStatus(s: TemporalStatus): string {
  if (s.unreachable) return `Temporal: unreachable (${s.unreachable})`;
  const lines: string[] = [];
  const w = s.workflow;
  if (w) {
    const pending = w.status === 'RUNNING' ? `, ${w.pendingActivities} activities running` : '';
    lines.push(`Temporal: workflow ${w.workflowId} (run ${w.runId}) is ${w.status}${pending}`);
  }
  const v = s.schedule;
  if (v) {
    const state = v.paused ? `paused${v.note ? ` (${v.note})` : ''}` : `next run ${v.nextRuns[0] ?? '-'}`;
    lines.push(`schedule: ${v.scheduleId}, ${v.timing} (jitter ${formatDuration(v.jitterMs)}), ${state}`);
  } else {
    lines.push('schedule: none');
  }
  return lines.join('\n');
}
