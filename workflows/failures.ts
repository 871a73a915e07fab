// Turns what a failed activity or child workflow threw into the contract's error type and message.
import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, TemporalFailure, TimeoutFailure } from '@temporalio/workflow';

export function describeFailure(err: unknown, opts: { maxAttempts?: number } = {}): { type: string; message: string } {
  // The innermost ApplicationFailure carries our typed error; wrappers (ActivityFailure,
  // ChildWorkflowFailure) only say where it happened, and the activity's wrapper how its retries ended.
  let cause: unknown = err;
  let last: { type: string; message: string } | null = null;
  let retries = '';
  while (cause instanceof Error) {
    if (cause instanceof ActivityFailure) retries = retriesEnded(cause.retryState, opts.maxAttempts);
    if (cause instanceof ApplicationFailure && cause.type) last = { type: cause.type, message: cause.message };
    if (cause instanceof TimeoutFailure) {
      last = {
        type: 'upstream_unavailable',
        message: `timed out (${cause.timeoutType}): the activity stopped heartbeating or took too long; check the worker's logs`,
      };
    }
    cause = cause instanceof TemporalFailure ? cause.cause : undefined;
  }
  const found = last ?? { type: 'upstream_unavailable', message: err instanceof Error ? err.message : String(err) };
  return retries ? { type: found.type, message: `${found.message} [${retries}]` } : found;
}

function retriesEnded(state: RetryState, maxAttempts: number | undefined): string {
  switch (state) {
    case RetryState.MAXIMUM_ATTEMPTS_REACHED:
      if (!maxAttempts) return 'gave up: retry attempts spent';
      return `gave up after ${maxAttempts} activity attempt${maxAttempts === 1 ? '' : 's'}`;
    case RetryState.NON_RETRYABLE_FAILURE:
      return 'not retried: no retry can fix this';
    case RetryState.TIMEOUT:
      return 'gave up: retry time spent';
    default:
      return '';
  }
}
