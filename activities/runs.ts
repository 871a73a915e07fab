// Run bookkeeping in `ldsync.sync_runs`: one row per run, never two running at once for a connection,
// and an ending recorded for every run (succeeded, partial, failed or cancelled).
import { ApplicationFailure, getClient, log } from '@temporalio/activity';
import type { Pool } from 'pg';
import { abandonRun, beginRun, failStream, finishRun, getConnection } from '../src/db';
import { connectionNotFound } from './failures';
import type { BeginRunInput, BeginRunResult, FinishRunInput } from './types';

export function createRunActivities({ pool }: { pool: Pool }) {
  return {
    async beginRun(input: BeginRunInput): Promise<BeginRunResult> {
      if (!(await getConnection(pool, input.connectionId))) throw connectionNotFound(input.connectionId);
      // Two tries: the second follows the cleanup of a row left `running` by a run that no longer exists.
      for (let attempt = 0; attempt < 2; attempt++) {
        const begun = await beginRun(pool, { ...input, trigger: 'workflow' });
        if ('runId' in begun) return begun;
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
        await abandonRun(pool, other.runId, `its workflow ${other.workflowId} closed without recording an ending`);
      }
      throw new Error(`could not begin a run for connection "${input.connectionId}"`);
    },

    async finishRun(input: FinishRunInput): Promise<void> {
      for (const f of input.failures) {
        await failStream(
          pool,
          { runId: input.runId, connectionId: input.connectionId, stream: f.stream, scope: f.scope },
          { status: 'failed', errorType: f.type, message: f.message },
        );
      }
      await finishRun(pool, input.runId, {
        status: input.status,
        errorType: input.errorType,
        errorMessage: input.errorMessage,
      });
    },
  };
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
