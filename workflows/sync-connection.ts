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
import { runActivities, streamActivities } from './activity-options';
import { describeFailure } from './failures';
import { parseSyncInput, type SyncConnectionArgs, type SyncOptions } from './input';
import { progressQuery } from './messages';
import { syncFlagStatuses } from './sync-flag-statuses';
import { SyncRun } from './sync-run';
import { syncConnectionV1 } from './v1/sync-connection';
import { Window } from './window';

export type { SyncConnectionArgs, SyncOptions } from './input';

/**
 * Runs started before this patch ran version 1 (progress by signal, Promise.all fan-out); their
 * histories replay on the frozen copy in ./v1. New runs record the marker and run the code below.
 */
export const HEARTBEAT_PROGRESS_PATCH = 'heartbeat-progress';

const DEFAULT_PROJECT_WINDOW = 4;
const DEFAULT_TEAM_WINDOW = 4;
const DEFAULT_FLAG_STATUS_WINDOW = 50;
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

  if (run.runId === null) await beginRun(run);
  else run.begun(run.runId, carried?.searchAttributes ?? []);

  const plan = new SyncPlan(run, options);
  let interrupted: unknown = null;
  if (!root.consideredCancelled) {
    try {
      await work.run(() => (carried ? plan.projects(carried.pendingProjects) : plan.everything()));
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
async function beginRun(run: SyncRun): Promise<void> {
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
    run.begun(begun.runId, begun.searchAttributes ?? []);
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

/**
 * The fan-out of one run: projects, tags and teams at once; per project its environments, then its
 * flags beside one `syncFlagStatuses` child per environment; per team its maintainers. Every fan-out
 * waits for all of its branches (never only the first to fail), so a cancel ends only when they stop.
 */
class SyncPlan {
  continueAsNew = false;
  pending: string[] = [];
  private readonly projectWindow: Window;
  private readonly teamWindow: Window;
  private readonly statusWindow: Window;

  constructor(
    private readonly run: SyncRun,
    private readonly options: SyncOptions,
  ) {
    this.projectWindow = new Window(options.projectWindow ?? DEFAULT_PROJECT_WINDOW);
    this.teamWindow = new Window(options.teamWindow ?? DEFAULT_TEAM_WINDOW);
    this.statusWindow = new Window(options.flagStatusWindow ?? DEFAULT_FLAG_STATUS_WINDOW);
  }

  async everything(): Promise<void> {
    this.run.expect('projects', 1);
    this.run.expect('tags', 1);
    this.run.expect('teams', 1);
    await settleAll([
      this.projectsAndBelow(),
      this.run.scope('tags', '', () => this.activities('tags').syncTags(this.ref())),
      this.teamsAndMaintainers(),
    ]);
  }

  /** Starts projects through the window until done, or until history asks for continue-as-new. */
  async projects(keys: string[]): Promise<void> {
    this.pending = [...keys];
    const running: Promise<void>[] = [];
    let stopped: unknown = null;
    try {
      while (this.pending.length > 0) {
        const leave = await this.projectWindow.enter();
        // At least one project per run, so a tight limit still makes progress.
        if (running.length > 0 && this.historyIsLong()) {
          leave();
          this.continueAsNew = true;
          break;
        }
        const projectKey = this.pending.shift() as string;
        running.push(this.project(projectKey).finally(leave));
      }
    } catch (err) {
      // A cancel while waiting for the window: the projects already started still have to stop.
      stopped = err;
    }
    await settleAll(running);
    if (stopped !== null) throw stopped;
  }

  private async projectsAndBelow(): Promise<void> {
    const projects = await this.run.scope('projects', '', () => this.activities('projects').syncProjects(this.ref()));
    if (projects === null) {
      this.run.streamNotRun('environments', 'projects');
      this.run.streamNotRun('flags', 'projects');
      this.run.streamNotRun('flag_statuses', 'projects');
      return;
    }
    this.run.expect('environments', projects.keys.length);
    this.run.expect('flags', projects.keys.length);
    await this.projects(projects.keys);
  }

  private async project(projectKey: string): Promise<void> {
    const envs = await this.run.scope('environments', projectKey, () =>
      this.activities(`environments of project ${projectKey}`).syncEnvironments({ ...this.ref(), projectKey }),
    );
    if (envs === null) {
      this.run.scopeNotRun('flags', projectKey, 'environments');
      return;
    }
    this.run.expect('flag_statuses', envs.keys.length);
    await settleAll([
      this.run.scope('flags', projectKey, () =>
        this.activities(`flags of project ${projectKey}`).syncFlags({
          ...this.ref(),
          projectKey,
          environmentKeys: envs.keys,
        }),
      ),
      ...envs.keys.map((environmentKey) =>
        this.statusWindow.run(() =>
          this.run.scope('flag_statuses', `${projectKey}/${environmentKey}`, () =>
            wf.executeChild(syncFlagStatuses, {
              workflowId: `${wf.workflowInfo().workflowId}/flag-statuses/${projectKey}/${environmentKey}`,
              args: [{ ...this.ref(), projectKey, environmentKey, maxAttempts: this.options.maxAttempts }],
            }),
          ),
        ),
      ),
    ]);
  }

  private async teamsAndMaintainers(): Promise<void> {
    const teams = await this.run.scope('teams', '', () => this.activities('teams').syncTeams(this.ref()));
    if (teams === null) {
      this.run.streamNotRun('team_maintainers', 'teams');
      return;
    }
    if (teams.status === 'skipped') return;
    this.run.expect('team_maintainers', teams.keys.length);
    await settleAll(
      teams.keys.map((teamKey) =>
        this.teamWindow.run(() =>
          this.run.scope('team_maintainers', teamKey, () =>
            this.activities(`maintainers of team ${teamKey}`).syncTeamMaintainers({ ...this.ref(), teamKey }),
          ),
        ),
      ),
    );
  }

  private historyIsLong(): boolean {
    const { continueAsNewSuggested, historyLength } = wf.workflowInfo();
    return continueAsNewSuggested || historyLength > (this.options.historyEventLimit ?? Infinity);
  }

  private activities(summary: string) {
    return streamActivities(summary, this.options.maxAttempts);
  }

  private ref() {
    return { runId: this.run.runId as string, connectionId: this.run.connectionId };
  }
}

/** Waits for every branch, even after one is cancelled or fails, then rethrows the first rejection. */
async function settleAll(branches: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(branches);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
