// Run bookkeeping in `ldsync.sync_runs`: one row per run, never two running at once for a connection,
// and an ending recorded for every run (succeeded, partial, failed or cancelled).
import { ApplicationFailure, getClient, log } from '@temporalio/activity';
import type { Pool } from 'pg';
import { abandonRun, beginRun, failStream, finishRun, getConnection } from '../src/db';
import { SYNC_PLAN } from '../src/streams';
import { DEFAULT_DATABASE_RETRY, retryDatabase, type DatabaseRetrySettings } from './database';
import { connectionNotFound, toApplicationFailure } from './failures';
import { registeredSearchAttributes } from './search-attributes';
import { recordRunFinished } from './sync-metrics';
import type { BeginRunInput, BeginRunResult, FinishRunInput } from './types';

/**
 * Bookkeeping activities run with a 1-minute start-to-close timeout and many Temporal attempts
 * (workflows/activity-options.ts): each attempt retries an unreachable Postgres for at most 40 s,
 * then fails as a retryable `database_unavailable`, and Temporal's next attempt carries on.
 */
const BOOKKEEPING_RETRY_CAP_MS = 40_000;

export function createRunActivities(deps: { pool: Pool; databaseRetry?: DatabaseRetrySettings }) {
  const { pool } = deps;
  const settings = {
    budgetMs: Math.min(BOOKKEEPING_RETRY_CAP_MS, (deps.databaseRetry ?? DEFAULT_DATABASE_RETRY).budgetMs),
  };
  const db = <R>(what: string, fn: () => Promise<R>): Promise<R> => retryDatabase(fn, { settings, what });
  /** Every failure leaves typed: a database error as `database_unavailable`, never a bare Error. */
  const typed = async <R>(connectionId: string, what: string, fn: () => Promise<R>): Promise<R> => {
    try {
      return await fn();
    } catch (err) {
      throw toApplicationFailure(err, { connectionId, what });
    }
  };
  return {
    async beginRun(input: BeginRunInput): Promise<BeginRunResult> {
      return typed(input.connectionId, "recording the run's start", () => begin(input));
    },

    async finishRun(input: FinishRunInput): Promise<void> {
      return typed(input.connectionId, `recording the run's end (${input.status})`, () => finish(input));
    },
  };

  async function begin(input: BeginRunInput): Promise<BeginRunResult> {
    if (!(await db('reading the connection', () => getConnection(pool, input.connectionId)))) {
      throw connectionNotFound(input.connectionId);
    }
    // Two tries: the second follows the cleanup of a row left `running` by a run that no longer exists.
    for (let attempt = 0; attempt < 2; attempt++) {
      const begun = await db('recording the run', () =>
        beginRun(pool, { ...input, trigger: input.trigger ?? 'workflow' }),
      );
      if ('runId' in begun) {
        return { ...begun, searchAttributes: await registeredSearchAttributes(), plan: [...SYNC_PLAN] };
      }
      const other = begun.conflict;
      if (await isStillRunning(other.workflowId, other.workflowRunId)) {
        throw ApplicationFailure.create({
          type: 'sync_already_running',
          nonRetryable: true,
          message:
            `connection "${input.connectionId}" is already syncing (run ${other.runId}, workflow ${other.workflowId}, ` +
            `started ${other.startedAt.toISOString()}): wait for it, or cancel it with \`ldsync cancel ${input.connectionId}\``,
        });
      }
      log.warn('abandoning a run whose workflow is closed', { runId: other.runId, workflowId: other.workflowId });
      await db('closing an abandoned run', () =>
        abandonRun(pool, other.runId, `its workflow ${other.workflowId} closed without recording an ending`),
      );
    }
    throw new Error(`could not begin a run for connection "${input.connectionId}"`);
  }

  async function finish(input: FinishRunInput): Promise<void> {
    for (const f of input.failures) {
      await db(`recording the failure of ${f.stream} ${f.scope}`, () =>
        failStream(
          pool,
          { runId: input.runId, connectionId: input.connectionId, stream: f.stream, scope: f.scope },
          { status: 'failed', errorType: f.type, message: f.message },
        ),
      );
    }
    const run = await db("recording the run's end", () =>
      finishRun(pool, input.runId, {
        status: input.status,
        errorType: input.errorType,
        errorMessage: input.errorMessage,
      }),
    );
    // Counted once per finishRun that completes (a retry after a lost answer would count it again).
    const ended = run.finishedAt ?? new Date();
    recordRunFinished(input.connectionId, run.status, ended.getTime() - run.startedAt.getTime());
  }
}

/** Asks Temporal whether the workflow run that holds the `running` row is still open. */
async function isStillRunning(workflowId: string, workflowRunId: string): Promise<boolean> {
  try {
    const description = await getClient().workflow.getHandle(workflowId, workflowRunId).describe();
    return description.status.name === 'RUNNING';
  } catch (err) {
    // Unknown to Temporal (e.g. the namespace's retention dropped it): it is not running.
    if (err instanceof Error && err.name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}
