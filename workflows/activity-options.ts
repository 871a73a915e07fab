// Activity options in one place: every stream activity heartbeats, so cancellation reaches it within
// the heartbeat timeout, and the workflow waits for it to stop (WAIT_CANCELLATION_COMPLETED) so no
// write lands after the run is recorded as cancelled.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../src/shared';

const streamOptions = {
  // A generous bound for one scope (a project's flags under a tight rate limit); liveness is the
  // heartbeat's job, not this timeout's.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 6,
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  },
};

/**
 * Stream activities read LaunchDarkly and write Postgres page by page, resuming from their checkpoint on
 * retry. The summary (e.g. `flags of project web`) labels the pending activity in the Web UI.
 */
export function streamActivities(summary: string, maximumAttempts?: number): Activities {
  return proxyActivities<Activities>({
    ...streamOptions,
    retry: { ...streamOptions.retry, maximumAttempts: maximumAttempts ?? streamOptions.retry.maximumAttempts },
    summary,
  });
}

/** Bookkeeping in `ldsync.sync_runs`: short, and retried long enough to ride out a database restart. */
export const runActivities = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 30,
    nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
  },
});
