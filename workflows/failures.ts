// Turns what a failed activity or child workflow threw into the contract's error type and message.
import { ApplicationFailure, TemporalFailure, TimeoutFailure } from '@temporalio/workflow';

export function describeFailure(err: unknown): { type: string; message: string } {
  // The innermost ApplicationFailure carries our typed error; wrappers (ActivityFailure,
  // ChildWorkflowFailure) only say where it happened.
  let cause: unknown = err;
  let last: { type: string; message: string } | null = null;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure && cause.type) last = { type: cause.type, message: cause.message };
    if (cause instanceof TimeoutFailure) {
      last = {
        type: 'upstream_unavailable',
        message: `timed out (${cause.timeoutType}): the activity stopped heartbeating or took too long; check the worker's logs`,
      };
    }
    cause = cause instanceof TemporalFailure ? cause.cause : undefined;
  }
  if (last) return last;
  return {
    type: 'upstream_unavailable',
    message: err instanceof Error ? err.message : String(err),
  };
}
