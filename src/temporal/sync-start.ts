// Starting the sync workflow of a connection: the one workflow id per connection, its search
// attribute and summary for the Web UI. Used by the CLI's `sync` and by `ldsync dev`'s first sync.
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { searchAttributes, SYNC_WORKFLOW_TYPE, syncWorkflowId } from '../shared';

/** The connection's workflow is running already: one sync per connection at a time. */
export class SyncAlreadyRunningError extends Error {
  override name = 'SyncAlreadyRunningError';
  constructor(readonly connectionId: string) {
    super(
      `sync_already_running: connection "${connectionId}" is already syncing (workflow ${syncWorkflowId(connectionId)}); ` +
        `follow it with \`ldsync status ${connectionId}\` or stop it with \`ldsync cancel ${connectionId}\``,
    );
  }
}

export async function startSyncWorkflow(
  client: Client,
  connectionId: string,
  taskQueue: string,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  try {
    return await client.workflow.start(SYNC_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: syncWorkflowId(connectionId),
      args: [{ connectionId }],
      typedSearchAttributes: [{ key: searchAttributes.connectionId, value: connectionId }],
      staticSummary: `LaunchDarkly sync of connection ${connectionId}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new SyncAlreadyRunningError(connectionId);
    throw err;
  }
}
