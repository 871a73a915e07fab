// syncConnection: one durable run of a connection's sync (contract: type `syncConnection`, id
// `ldsync-<connectionId>`, one JSON object argument so the Web UI's Start Workflow form can start it).
//
// The Temporal status is the run's status: `failed` fails the workflow with the first cause's type,
// `cancelled` cancels it, `succeeded` and `partial` complete it (a partial run wrote everything it could
// and its result lists the failed scopes; `LdsyncRunStatus` finds it). A cancel stops work first and
// records the run only after every activity and child it started has stopped.
import * as wf from '@temporalio/workflow';
import { scheduledByIdAttribute, type SyncResult } from '../src/shared';
import { remedyFor } from '../src/remedies';
import { runActivities } from './activity-options';
import { CatalogPlan } from './catalog-plan';
import type { FanOut } from './fan-out';
import { describeFailure } from './failures';
import { parseSyncInput, type SyncConnectionArgs } from './input';
import { progressQuery } from './messages';
import { SyncRun } from './sync-run';
import { syncConnectionV1 } from './v1/sync-connection';
import { FixedSyncPlan } from './v2/fixed-plan';

export type { SyncConnectionArgs, SyncOptions } from './input';

/**
 * Runs started before this patch ran version 1 (progress by signal, Promise.all fan-out); their
 * histories replay on the frozen copy in ./v1. New runs record the marker and run the code below.
 */
export const HEARTBEAT_PROGRESS_PATCH = 'heartbeat-progress';

/**
 * Runs started before this patch ran the fixed fan-out of version 2 (./v2); they replay and finish on
 * it. New runs take the plan beginRun hands them from the catalog, so adding a stream needs no patch.
 */
export const CATALOG_PLAN_PATCH = 'catalog-plan';

const DEFAULT_MAX_ATTEMPTS = 6;

/** Syncs every stream of one connection into Postgres and records the run in `ldsync.sync_runs`. */
export async function syncConnection(input: SyncConnectionArgs): Promise<SyncResult> {
  // Only histories from before the patch take this branch, and their inputs were v1's own.
  if (!wf.patched(HEARTBEAT_PROGRESS_PATCH)) return syncConnectionV1(input as Parameters<typeof syncConnectionV1>[0]);
  const { connectionId, options, carried } = parseSyncInput(input);
  const root = wf.CancellationScope.current();
  // Everything runs in one scope so a fatal failure (the token was revoked) can stop all of it at once.
  const work = new wf.CancellationScope();
  const run = new SyncRun(connectionId, carried, () => work.cancel(), options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  wf.setHandler(progressQuery, () => run.progress());
  root.cancelRequested.catch(() => run.stopping('a cancel request'));

  // A run carried over from version 2 has no plan and finishes on the fixed fan-out; a new one asks.
  const catalogPlan = carried ? carried.plan !== undefined : wf.patched(CATALOG_PLAN_PATCH);
  if (run.runId === null) await beginRun(run, catalogPlan);
  else run.begun(run.runId, carried?.searchAttributes ?? [], carried?.plan);

  const plan: FanOut = run.plan ? new CatalogPlan(run, options, run.plan) : new FixedSyncPlan(run, options);
  let interrupted: unknown = null;
  if (!root.consideredCancelled) {
    try {
      await work.run(() => (carried ? plan.resume(carried.pendingProjects) : plan.everything()));
    } catch (err) {
      interrupted = err;
    }
  }

  // Every branch has settled here: nothing the run started is still reading or writing.
  if (run.fatal === null && (root.consideredCancelled || wf.isCancellation(interrupted))) {
    await finish(run, 'cancelled');
    throw new wf.CancelledFailure('cancelled by an operator');
  }
  if (run.fatal !== null || interrupted !== null) {
    const cause = run.fatal ?? { stream: 'projects' as const, scope: '', ...describeFailure(interrupted) };
    await finish(run, 'failed');
    throw failureOf(connectionId, cause.type, cause.message, run.failures.length);
  }
  if (plan.continueAsNew) {
    return wf.continueAsNew<typeof syncConnection>({ connectionId, options, carried: run.carry(plan.pending) });
  }

  const status = run.outcome();
  await finish(run, status);
  const first = run.firstFailure();
  if (status === 'failed' && first) throw failureOf(connectionId, first.type, first.message, run.failures.length);
  return run.result();
}

/**
 * Begins the run in `ldsync.sync_runs`. Not cancellable: a cancel that arrives meanwhile must not leave
 * a `running` row behind, so the workflow waits for the row and then records the cancel on it.
 */
async function beginRun(run: SyncRun, catalogPlan: boolean): Promise<void> {
  const info = wf.workflowInfo();
  try {
    const begun = await wf.CancellationScope.nonCancellable(() =>
      runActivities.beginRun({
        connectionId: run.connectionId,
        workflowId: info.workflowId,
        workflowRunId: info.runId,
        trigger: info.typedSearchAttributes.get(scheduledByIdAttribute) === undefined ? 'manual' : 'schedule',
      }),
    );
    // A worker from before the catalog plan sends none: the fixed fan-out runs.
    run.begun(begun.runId, begun.searchAttributes ?? [], catalogPlan ? begun.plan : undefined);
  } catch (err) {
    // The typed reason (connection_not_found, sync_already_running) is the workflow's own failure, so
    // the UI shows it first rather than behind an activity wrapper. No run row exists to record it on.
    const { type, message } = describeFailure(err);
    throw wf.ApplicationFailure.create({ type, message, nonRetryable: true });
  }
}

/** Records the ending; not cancellable, since it must happen even while the workflow is being cancelled. */
async function finish(run: SyncRun, status: 'succeeded' | 'partial' | 'failed' | 'cancelled'): Promise<void> {
  run.phase = 'finishing';
  const first = run.firstFailure();
  const more = run.failures.length > 1 ? ` (and ${run.failures.length - 1} more failed scopes)` : '';
  await wf.CancellationScope.nonCancellable(() =>
    runActivities.finishRun({
      runId: run.runId as string,
      connectionId: run.connectionId,
      status,
      failures: run.failures,
      ...(status === 'cancelled'
        ? { errorType: 'cancelled', errorMessage: 'cancelled by an operator' }
        : first
          ? { errorType: first.type, errorMessage: `${first.message}${more}` }
          : {}),
    }),
  );
  run.close(status);
}

function failureOf(connectionId: string, type: string, message: string, failedScopes: number): wf.ApplicationFailure {
  return wf.ApplicationFailure.create({
    type,
    nonRetryable: true,
    message: `${message}. What to do: ${remedyFor(type, connectionId)}.`,
    details: [{ failedScopes }],
  });
}
