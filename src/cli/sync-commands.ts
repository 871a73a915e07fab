// `ldsync sync`, `ldsync cancel`, `ldsync status`: starting, stopping and reading runs.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
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
import { getRunWithStreams, listRuns } from '../db';
import { searchAttributes, SYNC_WORKFLOW_TYPE, syncWorkflowId, type SyncResult } from '../shared';
import { progressQuery } from '../../workflows/messages';
import { CliError } from './cli-error';
import { parseConnectionId, requireConnection, withPool, withTemporal } from './common';
import { ProgressView } from './progress-view';
import { formatTemporalStatus, temporalStatus } from './temporal-status';

const LimitOption = z.coerce.number().int().min(1).max(100);

export async function startSync(client: Client, connectionId: string): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const env = loadEnv();
  try {
    return await client.workflow.start(SYNC_WORKFLOW_TYPE, {
      taskQueue: env.LDSYNC_TASK_QUEUE,
      workflowId: syncWorkflowId(connectionId),
      args: [{ connectionId }],
      typedSearchAttributes: [{ key: searchAttributes.connectionId, value: connectionId }],
      staticSummary: `LaunchDarkly sync of connection ${connectionId}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new CliError(
        `sync_already_running: connection "${connectionId}" is already syncing (workflow ${syncWorkflowId(connectionId)}); ` +
          `follow it with \`ldsync status ${connectionId}\` or stop it with \`ldsync cancel ${connectionId}\``,
      );
    }
    throw err;
  }
}

async function waitForResult(connection: Connection, handle: WorkflowHandle, json: boolean): Promise<SyncResult> {
  const view = json ? null : new ProgressView();
  // Progress queries are aborted and awaited before the connection closes: a query still being
  // retried by the client would otherwise hit the closed channel and crash the process.
  const stopQueries = new AbortController();
  let inFlight: Promise<void> | null = null;
  const poll = setInterval(() => {
    if (!view || inFlight) return;
    inFlight = connection
      .withAbortSignal(stopQueries.signal, () => handle.query(progressQuery))
      .then((p) => view.update(p))
      .catch(() => undefined) // the query can race the workflow's start or end; the next poll catches up
      .finally(() => (inFlight = null));
  }, 500);
  try {
    return (await handle.result()) as SyncResult;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      if (cause instanceof CancelledFailure) throw new CliError('cancelled: the sync was cancelled');
      const type = cause instanceof ApplicationFailure ? cause.type : cause?.name;
      throw new CliError(`${type ?? 'failed'}: ${cause?.message ?? err.message}`);
    }
    throw err;
  } finally {
    clearInterval(poll);
    stopQueries.abort();
    await inFlight;
    view?.stop();
  }
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
      await withPool((pool) => requireConnection(pool, connectionId));
      await withTemporal(async (temporal) => {
        const handle = await startSync(temporal.client, connectionId);
        if (!opts.wait) {
          console.log(
            opts.json
              ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId })
              : `started ${handle.workflowId} (run ${handle.firstExecutionRunId}); follow it with \`ldsync status ${connectionId}\``,
          );
          return;
        }
        const result = await waitForResult(temporal.connection, handle, opts.json ?? false);
        console.log(opts.json ? JSON.stringify(result, null, 2) : ProgressView.summary(result));
        if (result.status !== 'succeeded') process.exitCode = 1;
      });
    });

  program
    .command('cancel')
    .description("cancel a connection's running sync (its activities stop within their heartbeat timeout)")
    .argument('<id>', 'connection id')
    .option('--wait', 'wait until the run has recorded its cancellation')
    .action(async (rawId: string, opts: { wait?: boolean }) => {
      const connectionId = parseConnectionId(rawId);
      const workflowId = await withPool((pool) => runningWorkflowId(pool, connectionId));
      await withTemporal(async (temporal) => {
        const handle = temporal.client.workflow.getHandle(workflowId);
        const description = await handle.describe();
        if (description.status.name !== 'RUNNING') {
          throw new CliError(
            `connection "${connectionId}" has no running sync (${workflowId} is ${description.status.name})`,
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
        const runs = await listRuns(pool, connectionId, limit.data);
        const latest = runs[0] ? await getRunWithStreams(pool, runs[0].id) : null;
        const temporal = await temporalStatus(connectionId, runs[0] ?? null);
        if (opts.json) {
          console.log(JSON.stringify({ connectionId, runs, latest, temporal }, null, 2));
          return;
        }
        console.log(`${ProgressView.runs(connectionId, runs, latest)}\n\n${formatTemporalStatus(temporal)}`);
      });
    });
}

/** The workflow of the connection's running run: from `ldsync.sync_runs` (schedules use other ids), else the contract id. */
async function runningWorkflowId(pool: Pool, connectionId: string): Promise<string> {
  const [latest] = await listRuns(pool, connectionId, 1);
  return latest && latest.status === 'running' ? latest.workflowId : syncWorkflowId(connectionId);
}
