// Version 1 of syncConnection, frozen: it replays the histories of runs started before the
// `heartbeat-progress` patch (see ../sync-connection.ts). Do not change it; delete it once no run that
// started on it can still be open (the longest run plus the namespace's retention, in practice a release).
import * as wf from '@temporalio/workflow';
import type { FinishRunInput, KeyedStreamSummary, ScopeFailure } from '../../activities/types';
import {
  CONNECTION_ID_PATTERN,
  type RunStatus,
  type StreamName,
  type StreamSummary,
  type SyncConnectionInput,
  type SyncProgress,
  type SyncResult,
} from '../../src/shared';
import { runActivities, streamActivities } from '../activity-options';
import { describeFailure } from '../failures';
import { progressQuery } from '../messages';
import { syncFlagStatuses } from '../sync-flag-statuses';
import { ProgressTracker, type StreamProgress, type StreamProgressUpdate } from './progress-tracker';
import { Window } from './window';

/** Progress reports that version-1 activities sent by signal; version 2 reads heartbeats instead. */
const streamProgressSignal = wf.defineSignal<[StreamProgressUpdate]>('streamProgress');

interface SyncOptions {
  /** projects synced at once (environments, then flags) */
  projectWindow?: number;
  /** `syncFlagStatuses` children running at once: well under Temporal's 2,000 pending children */
  flagStatusWindow?: number;
  /**
   * Continue-as-new once history passes this many events, before the server's own suggestion (4,096
   * events or 4 MiB) would; lets tests prove the hand-over on a small account.
   */
  historyEventLimit?: number;
  /** attempts per stream activity before its scope is recorded as failed (default 6) */
  maxAttempts?: number;
}

/** State carried across continue-as-new, so one run can cover accounts of any size. */
interface Carried {
  runId: string;
  pendingProjects: string[];
  streams: Record<StreamName, StreamProgress>;
  failures: ScopeFailure[];
}

interface SyncConnectionArgs extends SyncConnectionInput {
  options?: SyncOptions;
  /** internal: set only by continue-as-new */
  carried?: Carried;
}

const DEFAULT_PROJECT_WINDOW = 4;
const DEFAULT_FLAG_STATUS_WINDOW = 50;
/** failures handed to finishRun (and carried across continue-as-new) at most; the rest are counted */
const MAX_RECORDED_FAILURES = 500;

export async function syncConnectionV1(input: SyncConnectionArgs): Promise<SyncResult> {
  const { connectionId, options } = parseInput(input);
  const info = wf.workflowInfo();
  const tracker = new ProgressTracker(input.carried?.streams);
  const failures: ScopeFailure[] = [...(input.carried?.failures ?? [])];
  let runId: string | null = input.carried?.runId ?? null;
  let phase: SyncProgress['phase'] = 'starting';
  let status: RunStatus = 'running';

  wf.setHandler(progressQuery, () => ({ connectionId, runId, phase, status, streams: tracker.snapshot() }));
  wf.setHandler(streamProgressSignal, (update) => {
    tracker.report(update);
    showDetails();
  });

  function showDetails(): void {
    const s = tracker.snapshot();
    const line = (['projects', 'environments', 'flags', 'flag_statuses'] as const)
      .map((n) => `${n} ${s[n].scopesDone}/${s[n].scopesTotal}`)
      .join(' · ');
    const waiting = Object.values(s).find((x) => x.waitingUntil !== null)?.waitingUntil;
    wf.setCurrentDetails(
      `**${status}** (${phase}) run ${runId ?? '-'}\n\n${line}` +
        (waiting ? `\n\nwaiting for LaunchDarkly's rate limit until ${new Date(waiting).toISOString()}` : ''),
    );
  }

  if (runId === null) {
    try {
      const begun = await runActivities.beginRun({
        connectionId,
        workflowId: info.workflowId,
        workflowRunId: info.runId,
      });
      runId = begun.runId;
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      // The typed reason (connection_not_found, sync_already_running) is the workflow's own failure, so
      // the UI shows it first rather than behind an activity wrapper.
      const { type, message } = describeFailure(err);
      throw wf.ApplicationFailure.create({ type, message, nonRetryable: true });
    }
  }
  const ref = { runId, connectionId, progressWorkflowId: info.workflowId };
  phase = 'syncing';
  showDetails();

  // Everything runs in one scope so a fatal failure (the token was revoked) can stop all of it at once.
  let fatal: ScopeFailure | null = null;
  const work = new wf.CancellationScope();

  /** Runs one scope of a stream; a failure is recorded and isolated, unless it is fatal for the run. */
  async function stream<R extends StreamSummary>(name: StreamName, scope: string, call: () => Promise<R>) {
    try {
      const summary = await call();
      tracker.succeeded(summary);
      return summary;
    } catch (err) {
      if (wf.isCancellation(err)) throw err;
      const f = { stream: name, scope, ...describeFailure(err) };
      recordFailure(f);
      if (f.type === 'invalid_credentials' && fatal === null) {
        fatal = f;
        work.cancel();
      }
      return null;
    } finally {
      showDetails();
    }
  }

  function recordFailure(f: ScopeFailure): void {
    tracker.failed(f);
    if (failures.length < MAX_RECORDED_FAILURES) failures.push(f);
  }

  /** Records scopes that cannot run because what they depend on failed. */
  function notRun(name: StreamName, scope: string, because: ScopeFailure | undefined): void {
    recordFailure({
      stream: name,
      scope,
      type: because?.type ?? 'upstream_unavailable',
      message: `not synced: ${because?.stream ?? 'a dependency'} of "${because?.scope ?? scope}" failed first`,
    });
  }

  const projectWindow = new Window(options.projectWindow ?? DEFAULT_PROJECT_WINDOW);
  const teamWindow = new Window(DEFAULT_PROJECT_WINDOW);
  const statusWindow = new Window(options.flagStatusWindow ?? DEFAULT_FLAG_STATUS_WINDOW);
  let pendingProjects: string[] = [...(input.carried?.pendingProjects ?? [])];
  let continueAsNew = false;

  async function syncProject(projectKey: string): Promise<void> {
    const envs = await stream('environments', projectKey, () =>
      streamActivities(`environments of project ${projectKey}`, options.maxAttempts).syncEnvironments({
        ...ref,
        projectKey,
      }),
    );
    if (envs === null) {
      const cause = failures.find((f) => f.stream === 'environments' && f.scope === projectKey);
      notRun('flags', projectKey, cause);
      return;
    }
    tracker.expect('flag_statuses', envs.keys.length);
    await Promise.all([
      stream('flags', projectKey, () =>
        streamActivities(`flags of project ${projectKey}`, options.maxAttempts).syncFlags({
          ...ref,
          projectKey,
          environmentKeys: envs.keys,
        }),
      ),
      ...envs.keys.map((environmentKey) =>
        statusWindow.run(() =>
          stream('flag_statuses', `${projectKey}/${environmentKey}`, () =>
            wf.executeChild(syncFlagStatuses, {
              workflowId: `${info.workflowId}/flag-statuses/${projectKey}/${environmentKey}`,
              args: [{ ...ref, projectKey, environmentKey, maxAttempts: options.maxAttempts }],
            }),
          ),
        ),
      ),
    ]);
  }

  /** Starts projects through the window until done, or until history asks for continue-as-new. */
  async function syncProjects(keys: string[]): Promise<void> {
    const running: Promise<void>[] = [];
    while (keys.length > 0) {
      await wf.condition(() => projectWindow.hasRoom());
      const { continueAsNewSuggested, historyLength } = wf.workflowInfo();
      // At least one project per run, so a tight limit still makes progress.
      if (running.length > 0 && (continueAsNewSuggested || historyLength > (options.historyEventLimit ?? Infinity))) {
        continueAsNew = true;
        break;
      }
      const next = keys.shift() as string;
      running.push(projectWindow.run(() => syncProject(next)));
    }
    await Promise.all(running);
  }

  let interrupted: unknown = null;
  try {
    await work.run(async () => {
      if (input.carried) {
        await syncProjects(pendingProjects);
        return;
      }
      tracker.expect('projects', 1);
      tracker.expect('tags', 1);
      tracker.expect('teams', 1);
      await Promise.all([
        (async () => {
          const projects = await stream('projects', '', () =>
            streamActivities('projects', options.maxAttempts).syncProjects(ref),
          );
          if (projects === null) {
            const cause = failures.find((f) => f.stream === 'projects');
            notRun('environments', '*', cause);
            return;
          }
          tracker.expect('environments', projects.keys.length);
          tracker.expect('flags', projects.keys.length);
          pendingProjects = [...projects.keys];
          await syncProjects(pendingProjects);
        })(),
        stream('tags', '', () => streamActivities('tags', options.maxAttempts).syncTags(ref)),
        (async () => {
          const teams: KeyedStreamSummary | null = await stream('teams', '', () =>
            streamActivities('teams', options.maxAttempts).syncTeams(ref),
          );
          if (teams === null || teams.status === 'skipped') return;
          tracker.expect('team_maintainers', teams.keys.length);
          await Promise.all(
            teams.keys.map((teamKey) =>
              teamWindow.run(() =>
                stream('team_maintainers', teamKey, () =>
                  streamActivities(`maintainers of team ${teamKey}`, options.maxAttempts).syncTeamMaintainers({
                    ...ref,
                    teamKey,
                  }),
                ),
              ),
            ),
          );
        })(),
      ]);
    });
  } catch (err) {
    interrupted = err;
  }
  // A cancel that arrives as the last activities finish leaves nothing to interrupt: still a cancel.
  if (interrupted === null && work.consideredCancelled) {
    interrupted = new wf.CancelledFailure('cancelled by an operator');
  }

  if (interrupted !== null || fatal !== null) {
    // Cancelled by an operator, stopped by a fatal failure, or broken by a bug: the run is recorded either way.
    const cancelled = fatal === null && wf.isCancellation(interrupted);
    const cause: ScopeFailure = fatal ?? { stream: 'projects', scope: '', ...describeFailure(interrupted) };
    status = cancelled ? 'cancelled' : 'failed';
    phase = 'finishing';
    tracker.close(status);
    const finish: FinishRunInput = {
      runId,
      connectionId,
      status,
      failures,
      ...(cancelled
        ? { errorType: 'cancelled', errorMessage: 'cancelled by an operator' }
        : { errorType: cause.type, errorMessage: cause.message }),
    };
    // Recording the ending must happen even though the workflow itself is being cancelled.
    await wf.CancellationScope.nonCancellable(() => runActivities.finishRun(finish));
    phase = 'done';
    showDetails();
    if (cancelled) throw interrupted;
    throw wf.ApplicationFailure.create({
      type: cause.type,
      nonRetryable: true,
      // Activity messages already name the connection and the endpoint.
      message: cause.message,
    });
  }

  if (continueAsNew) {
    await wf.condition(wf.allHandlersFinished);
    return wf.continueAsNew<typeof syncConnectionV1>({
      connectionId,
      options,
      carried: { runId, pendingProjects, streams: tracker.saved(), failures },
    });
  }

  phase = 'finishing';
  status = tracker.runStatus();
  tracker.close('done');
  await runActivities.finishRun({ runId, connectionId, status, failures, ...summaryError(failures) });
  phase = 'done';
  showDetails();
  return { connectionId, runId, status, streams: tracker.snapshot() };
}

function summaryError(failures: ScopeFailure[]): Pick<FinishRunInput, 'errorType' | 'errorMessage'> {
  const first = failures[0];
  if (!first) return {};
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more failed scopes)` : '';
  return {
    errorType: first.type,
    errorMessage: `${first.message}${more}`,
  };
}

function parseInput(input: SyncConnectionArgs): { connectionId: string; options: SyncOptions } {
  const connectionId = (input as Partial<SyncConnectionArgs> | undefined)?.connectionId;
  if (typeof connectionId !== 'string' || !CONNECTION_ID_PATTERN.test(connectionId)) {
    throw wf.ApplicationFailure.create({
      type: 'connection_not_found',
      nonRetryable: true,
      message:
        'syncConnection takes one JSON object {"connectionId": "<id>"} naming a connection registered with ' +
        '`ldsync connections add`; got ' +
        JSON.stringify(input ?? null).slice(0, 200),
    });
  }
  const options = input.options ?? {};
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 100_000)) {
      throw wf.ApplicationFailure.create({
        type: 'schema_mismatch',
        nonRetryable: true,
        message: `options.${name} must be a whole number from 1 to 100000; got ${JSON.stringify(value)}`,
      });
    }
  }
  return { connectionId, options };
}
