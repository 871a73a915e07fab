// Temporal Schedules that sync a connection (contract: schedule id `ldsync-schedule-<connectionId>`,
// action `syncConnection({connectionId})` with workflow id `ldsync-<connectionId>`, to which the server
// appends the scheduled time). Overlap SKIP: a sync still running when the next one is due (or when an
// operator triggers one) is left alone and the new one is skipped, so a connection never syncs twice.
import {
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleSpec,
} from '@temporalio/client';
import { scheduleId, searchAttributes, SYNC_WORKFLOW_TYPE, syncWorkflowId } from '../shared';
import { CRON_COMMENT_PREFIX, describeTiming, type ScheduleRequest } from './schedule-options';

/** Runs missed while Temporal was down are made up only within this window; older ones are dropped. */
export const CATCHUP_WINDOW_MS = 5 * 60_000;

const SCHEDULE_ID_PREFIX = scheduleId('');

export interface SyncScheduleTarget {
  connectionId: string;
  taskQueue: string;
}

/** A schedule in the words of `ldsync schedule list`. */
export interface SyncScheduleView {
  connectionId: string;
  scheduleId: string;
  timing: string;
  jitterMs: number;
  paused: boolean;
  note: string | null;
  taskQueue: string | null;
  nextRuns: string[];
  /** most recent first */
  recentRuns: Array<{ scheduledAt: string; startedAt: string; workflowId: string }>;
  /** workflows this schedule started that are still running */
  running: string[];
  skippedOverlaps: number;
  missedCatchupWindow: number;
}

function specOf(request: ScheduleRequest): ScheduleSpec {
  const { timing, jitterMs } = request;
  return timing.kind === 'every'
    ? { intervals: [{ every: timing.everyMs }], jitter: jitterMs }
    : { cronExpressions: [`${timing.expression} # ${CRON_COMMENT_PREFIX}${timing.expression}`], jitter: jitterMs };
}

function actionOf(target: SyncScheduleTarget) {
  return {
    type: 'startWorkflow' as const,
    workflowType: SYNC_WORKFLOW_TYPE,
    taskQueue: target.taskQueue,
    workflowId: syncWorkflowId(target.connectionId),
    args: [{ connectionId: target.connectionId }],
    typedSearchAttributes: [{ key: searchAttributes.connectionId, value: target.connectionId }],
    staticSummary: `Scheduled LaunchDarkly sync of connection ${target.connectionId}`,
  };
}

const POLICIES = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW_MS, pauseOnFailure: false };

/**
 * Creates the connection's schedule, or updates it in place. `paused` pauses it; an existing schedule
 * otherwise keeps its paused state (resuming stays an explicit `schedule resume`).
 */
export async function setSyncSchedule(
  client: Client,
  target: SyncScheduleTarget,
  request: ScheduleRequest,
): Promise<{ created: boolean; view: SyncScheduleView }> {
  const id = scheduleId(target.connectionId);
  const note = request.paused ? 'by `ldsync schedule set --paused`' : undefined;
  try {
    const handle = await client.schedule.create({
      scheduleId: id,
      spec: specOf(request),
      action: actionOf(target),
      policies: POLICIES,
      typedSearchAttributes: [{ key: searchAttributes.connectionId, value: target.connectionId }],
      state: { paused: request.paused, note },
    });
    return { created: true, view: await viewOf(handle) };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(id);
  await handle.update((previous) => ({
    spec: specOf(request),
    action: actionOf(target),
    policies: POLICIES,
    typedSearchAttributes: previous.typedSearchAttributes,
    state: request.paused ? { paused: true, note } : { paused: previous.state.paused, note: previous.state.note },
  }));
  return { created: false, view: await viewOf(handle) };
}

export class NoScheduleError extends Error {
  override name = 'NoScheduleError';
  constructor(readonly connectionId: string) {
    super(
      `connection "${connectionId}" has no schedule (${scheduleId(connectionId)}); ` +
        `create one with \`ldsync schedule set ${connectionId} --every 1h\``,
    );
  }
}

/** Runs `fn` on the connection's schedule; a missing schedule becomes a NoScheduleError. */
async function onSchedule<T>(
  client: Client,
  connectionId: string,
  fn: (handle: ScheduleHandle) => Promise<T>,
): Promise<T> {
  try {
    return await fn(client.schedule.getHandle(scheduleId(connectionId)));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new NoScheduleError(connectionId);
    throw err;
  }
}

export function describeSyncSchedule(client: Client, connectionId: string): Promise<SyncScheduleView> {
  return onSchedule(client, connectionId, viewOf);
}

export function pauseSyncSchedule(client: Client, connectionId: string, note: string): Promise<SyncScheduleView> {
  return onSchedule(client, connectionId, async (handle) => {
    await handle.pause(note);
    return viewOf(handle);
  });
}

export function resumeSyncSchedule(client: Client, connectionId: string, note: string): Promise<SyncScheduleView> {
  return onSchedule(client, connectionId, async (handle) => {
    await handle.unpause(note);
    return viewOf(handle);
  });
}

/**
 * Asks the schedule for a run now, under its own overlap policy (the SDK's default for a trigger would
 * be ALLOW_ALL, which would start a second sync next to a running one). `runningBefore` names the
 * schedule's running sync, whose presence means this trigger is skipped.
 */
export function triggerSyncSchedule(client: Client, connectionId: string): Promise<{ runningBefore: string[] }> {
  return onSchedule(client, connectionId, async (handle) => {
    const before = await handle.describe();
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    return { runningBefore: before.info.runningActions.map((a) => a.workflow.workflowId) };
  });
}

export function removeSyncSchedule(client: Client, connectionId: string): Promise<void> {
  return onSchedule(client, connectionId, (handle) => handle.delete());
}

/** Every schedule of an ldsync connection in the namespace, by connection id. */
export async function listSyncSchedules(client: Client): Promise<SyncScheduleView[]> {
  const views: SyncScheduleView[] = [];
  for await (const summary of client.schedule.list()) {
    if (!summary.scheduleId.startsWith(SCHEDULE_ID_PREFIX)) continue;
    try {
      // The list is eventually consistent; describe() is the schedule's current state.
      views.push(await viewOf(client.schedule.getHandle(summary.scheduleId)));
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err; // deleted since it was listed
    }
  }
  return views.sort((a, b) => a.connectionId.localeCompare(b.connectionId));
}

async function viewOf(handle: ScheduleHandle): Promise<SyncScheduleView> {
  return toView(await handle.describe());
}

function toView(d: ScheduleDescription): SyncScheduleView {
  const iso = (date: Date) => date.toISOString();
  return {
    connectionId: d.scheduleId.slice(SCHEDULE_ID_PREFIX.length),
    scheduleId: d.scheduleId,
    timing: describeTiming(d.spec),
    jitterMs: d.spec.jitter ?? 0,
    paused: d.state.paused,
    note: d.state.note || null,
    taskQueue: d.action.taskQueue ?? null,
    nextRuns: d.info.nextActionTimes.map(iso),
    recentRuns: [...d.info.recentActions].reverse().map((a) => ({
      scheduledAt: iso(a.scheduledAt),
      startedAt: iso(a.takenAt),
      workflowId: a.action.workflow.workflowId,
    })),
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    skippedOverlaps: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
  };
}
