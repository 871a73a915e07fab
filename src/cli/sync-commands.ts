// `ldsync sync`, `ldsync cancel`, `ldsync status`: starting, stopping and reading runs.
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type Connection,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadEnv } from '../config';
import type { Pool } from 'pg';
import { getConnection, getRunWithStreams, listRuns, type RunRecord, type StreamRecord } from '../db';
import {
  STREAMS,
  syncWorkflowId,
  type RunStatus,
  type StreamName,
  type SyncProgress,
  type SyncResult,
} from '../shared';
import { progressQuery } from '../../workflows/messages';
import { startSyncWorkflow, SyncAlreadyRunningError } from '../temporal/sync-start';
import { CliError, EXIT_CODES, exitCodeForErrorType } from './cli-error';
import { connectionNotFound, parseConnectionId, requireConnection, withPool, withTemporal } from './common';
import { dataRowCounts, formatDataRowCounts } from './data-counts';
import { liveHeartbeats } from './live-activity';
import { ProgressView } from './progress-view';
import { nextStep, summaryFromProgress, summaryFromStreams, tidyMessage, type StreamSummary } from './run-summary';
import { formatTemporalStatus, temporalStatus } from './temporal-status';

const LimitOption = z.coerce.number().int().min(1).max(100);

/** Starts the connection's sync workflow; one already running is a CliError that says what to do. */
async function startSync(
  client: Client,
  connectionId: string,
  taskQueue: string,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  try {
    return await startSyncWorkflow(client, connectionId, taskQueue);
  } catch (err) {
    if (err instanceof SyncAlreadyRunningError) throw new CliError(err.message);
    throw err;
  }
}

/** How a waited-for sync ended: its result, or the failure of its workflow (a failed or cancelled run). */
type SyncOutcome =
  | { kind: 'result'; result: SyncResult }
  | { kind: 'failed'; errorType: string; message: string }
  | { kind: 'cancelled'; message: string };

/** The last answer of the `progress` query, kept so a failed run's summary knows the planned scopes. */
interface Watch {
  last: SyncProgress | null;
}

async function waitForResult(
  connection: Connection,
  handle: WorkflowHandle,
  json: boolean,
  watch: Watch,
): Promise<SyncOutcome> {
  const view = json ? null : new ProgressView();
  // Each progress query gets its own abort signal (one shared signal would collect a listener per
  // poll: MaxListenersExceededWarning on a long sync). The one in flight is aborted and awaited
  // before the connection closes: a query still being retried would otherwise hit the closed channel.
  let inFlight: { abort: AbortController; done: Promise<void> } | null = null;
  const poll = setInterval(() => {
    if (inFlight) return;
    const abort = new AbortController();
    const done = connection
      .withAbortSignal(abort.signal, () =>
        Promise.all([handle.query(progressQuery), view ? liveHeartbeats(handle) : Promise.resolve([])]),
      )
      .then(([p, live]) => {
        watch.last = p;
        view?.update(p, live);
      })
      .catch(() => undefined) // the query can race the workflow's start or end; the next poll catches up
      .finally(() => (inFlight = null));
    inFlight = { abort, done };
  }, 500);
  try {
    return { kind: 'result', result: (await handle.result()) as SyncResult };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      if (cause instanceof CancelledFailure) return { kind: 'cancelled', message: cause.message };
      const inner = firstApplicationFailure(cause);
      return {
        kind: 'failed',
        errorType: inner?.type ?? cause?.name ?? 'failed',
        message: inner?.message ?? cause?.message ?? err.message,
      };
    }
    throw err;
  } finally {
    clearInterval(poll);
    const last = inFlight as { abort: AbortController; done: Promise<void> } | null;
    last?.abort.abort();
    await last?.done;
    view?.stop();
  }
}

/**
 * The ApplicationFailure that says what went wrong: the workflow's own (it names the run's first
 * cause), else the first one an ActivityFailure or ChildWorkflowFailure wraps.
 */
function firstApplicationFailure(err: unknown): ApplicationFailure | undefined {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof ApplicationFailure) return e;
  return undefined;
}

/** The run `handle` recorded in `ldsync.sync_runs`, with its streams (the durable ledger). */
async function recordedRun(
  pool: Pool,
  connectionId: string,
  workflowId: string,
  firstRunId: string,
): Promise<{ run: RunRecord; streams: StreamRecord[] } | null> {
  const runs = await listRuns(pool, connectionId, 10);
  const run =
    runs.find((r) => r.workflowId === workflowId && r.workflowRunId === firstRunId) ??
    runs.find((r) => r.workflowId === workflowId);
  return run ? getRunWithStreams(pool, run.id) : null;
}

function plannedScopes(
  progress: Pick<SyncProgress, 'streams'> | null,
): Partial<Record<StreamName, number>> | undefined {
  if (!progress) return undefined;
  return Object.fromEntries(STREAMS.map((s) => [s, progress.streams[s]?.scopesTotal ?? 0]));
}

/**
 * Prints how a waited-for sync ended, from `ldsync.sync_runs` / `sync_run_streams` (the durable
 * ledger, which a failed workflow also leaves) or else the workflow's own progress, and sets the
 * exit code: 0 succeeded, 3 / 4 for a token's invalid_credentials / invalid_permissions, 1 otherwise.
 */
async function reportOutcome(
  pool: Pool,
  connectionId: string,
  handle: WorkflowHandleWithFirstExecutionRunId,
  outcome: SyncOutcome,
  watch: Watch,
  json: boolean,
): Promise<void> {
  const recorded = await recordedRun(pool, connectionId, handle.workflowId, handle.firstExecutionRunId).catch(
    () => null,
  );
  const result = outcome.kind === 'result' ? outcome.result : null;
  const status: RunStatus =
    result?.status ?? recorded?.run.status ?? (outcome.kind === 'cancelled' ? 'cancelled' : 'failed');
  const progress = result ?? watch.last;
  let rows: StreamSummary[] | null = null;
  if (recorded) rows = summaryFromStreams(recorded.streams, status, plannedScopes(progress));
  else if (progress) rows = summaryFromProgress(progress.streams, true, status);
  const runId = result?.runId ?? recorded?.run.id ?? watch.last?.runId ?? null;

  let error: { type: string; message: string } | null = null;
  if (outcome.kind === 'failed') error = { type: outcome.errorType, message: outcome.message };
  else if (outcome.kind === 'cancelled') error = { type: 'cancelled', message: 'the sync was cancelled' };
  else if (status !== 'succeeded') {
    const first = rows?.flatMap((r) => r.errors)[0];
    const type = recorded?.run.errorType ?? first?.type;
    if (type) error = { type, message: recorded?.run.errorMessage ?? first?.message ?? '' };
  }
  if (error) error.message = tidyMessage(error.message, connectionId, '');

  if (json) {
    console.log(
      JSON.stringify(
        {
          connectionId,
          runId,
          workflowId: handle.workflowId,
          workflowRunId: handle.firstExecutionRunId,
          status,
          error,
          next: nextStep(status, connectionId) ?? null,
          streams: rows,
        },
        null,
        2,
      ),
    );
  } else if (rows) {
    console.log(ProgressView.summaryOf({ runId: runId ?? '?', connectionId, status }, rows));
  }
  if (status === 'succeeded') return;
  const code = status === 'cancelled' ? EXIT_CODES.failed : exitCodeForErrorType(error?.type);
  if (outcome.kind === 'result' && json) {
    process.exitCode = code;
    return;
  }
  throw new CliError(error ? `${error.type}: ${error.message}` : `the sync ended ${status}`, code);
}

export function registerSyncCommands(program: Command): void {
  program
    .command('sync')
    .description('start a sync of a connection (never two at once for one connection)')
    .argument('<id>', 'connection id')
    .option('--wait', 'show progress and wait; exit 0 only when the sync succeeded')
    .option('--json', 'print the result as JSON')
    .action(async (rawId: string, opts: { wait?: boolean; json?: boolean }) => {
      const connectionId = parseConnectionId(rawId);
      const { LDSYNC_TASK_QUEUE: taskQueue } = loadEnv();
      await withPool(async (pool) => {
        await requireConnection(pool, connectionId);
        await withTemporal(async (temporal) => {
          const handle = await startSync(temporal.client, connectionId, taskQueue);
          if (!opts.wait) {
            console.log(
              opts.json
                ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId })
                : `started ${handle.workflowId} (Temporal run ID ${handle.firstExecutionRunId}); ` +
                    `follow it with \`ldsync status ${connectionId}\``,
            );
            return;
          }
          const watch: Watch = { last: null };
          const outcome = await waitForResult(temporal.connection, handle, opts.json ?? false, watch);
          await reportOutcome(pool, connectionId, handle, outcome, watch, opts.json ?? false);
        });
      });
    });

  program
    .command('cancel')
    .description("cancel a connection's running sync (its activities stop within their heartbeat timeout)")
    .argument('<id>', 'connection id')
    .option('--wait', 'wait until the run has recorded its cancellation')
    .action(async (rawId: string, opts: { wait?: boolean }) => {
      const connectionId = parseConnectionId(rawId);
      const workflowId = await withPool(async (pool) => {
        await requireConnection(pool, connectionId);
        return runningWorkflowId(pool, connectionId);
      });
      await withTemporal(async (temporal) => {
        const handle = temporal.client.workflow.getHandle(workflowId);
        const description = await handle.describe().catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return null;
          throw err;
        });
        if (description?.status.name !== 'RUNNING') {
          throw new CliError(
            `connection "${connectionId}" has no running sync (` +
              (description ? `${workflowId} is ${description.status.name}` : `no workflow ${workflowId}`) +
              ')',
          );
        }
        await handle.cancel();
        console.log(`cancellation requested for ${workflowId}`);
        if (opts.wait) {
          await handle.result().catch(() => undefined);
          console.log(`cancelled`);
        }
      });
    });

  program
    .command('status')
    .description("recent runs of a connection with per-stream counts and errors, its workflow's state and its schedule")
    .argument('<id>', 'connection id')
    .option('--json', 'print as JSON')
    .option('--limit <n>', 'runs to show', '5')
    .action(async (rawId: string, opts: { json?: boolean; limit: string }) => {
      const connectionId = parseConnectionId(rawId);
      const limit = LimitOption.safeParse(opts.limit);
      if (!limit.success) throw new CliError(`--limit takes a whole number from 1 to 100; got "${opts.limit}"`, 2);
      await withPool(async (pool) => {
        const connection = await getConnection(pool, connectionId);
        const runs = await listRuns(pool, connectionId, limit.data);
        // A removed connection's history stays readable; an id that never existed is not found.
        if (!connection && runs.length === 0) throw connectionNotFound(connectionId);
        const latest = runs[0] ? await getRunWithStreams(pool, runs[0].id) : null;
        const summary = latest ? summaryFromStreams(latest.streams, latest.run.status) : null;
        const data = await dataRowCounts(pool, connectionId);
        const temporal = await temporalStatus(connectionId, runs[0] ?? null);
        if (opts.json) {
          console.log(
            JSON.stringify(
              { connectionId, registered: connection !== null, runs, latest, summary, data, temporal },
              null,
              2,
            ),
          );
          return;
        }
        const parts = [
          ...(connection ? [] : [`connection "${connectionId}" is no longer registered; its runs and data are kept`]),
          ProgressView.runs(connectionId, runs, latest),
          formatDataRowCounts(connectionId, data),
          formatTemporalStatus(temporal),
        ];
        console.log(parts.join('\n\n'));
      });
    });
}

/** The workflow of the connection's running run: from `ldsync.sync_runs` (schedules use other ids), else the contract id. */
async function runningWorkflowId(pool: Pool, connectionId: string): Promise<string> {
  const [latest] = await listRuns(pool, connectionId, 1);
  return latest && latest.status === 'running' ? latest.workflowId : syncWorkflowId(connectionId);
}
