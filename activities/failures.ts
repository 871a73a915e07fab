// Every failure that leaves an activity is an ApplicationFailure of a contract type (invariant 4), with a
// message that names the connection, the endpoint and what to do, and never the token.
import { ApplicationFailure } from '@temporalio/activity';
import { LaunchDarklyError } from '../src/launchdarkly';
import { NON_RETRYABLE_ERROR_TYPES, type ErrorType } from '../src/shared';

export function toApplicationFailure(err: unknown, context: { connectionId: string; what: string }): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof LaunchDarklyError) return fromLaunchDarkly(err, context);
  // Anything else (a database outage, a bug) is retried; the message says where it happened.
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    type: 'upstream_unavailable',
    message: `connection "${context.connectionId}": ${context.what}: ${message}`,
    cause: err instanceof Error ? err : undefined,
  });
}

function fromLaunchDarkly(err: LaunchDarklyError, context: { connectionId: string; what: string }): ApplicationFailure {
  const type: ErrorType = err.type;
  return ApplicationFailure.create({
    type,
    message: `connection "${context.connectionId}": ${context.what}: ${err.message}`,
    nonRetryable: NON_RETRYABLE_ERROR_TYPES.includes(type),
    // LaunchDarkly said when to come back: the next attempt waits exactly that long.
    nextRetryDelay:
      type === 'rate_limited' && err.retryAfterMs !== undefined ? Math.max(1000, err.retryAfterMs) : undefined,
    details: [{ endpoint: err.endpoint, status: err.status ?? null, requestId: err.requestId ?? null }],
  });
}

export function connectionNotFound(connectionId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'connection_not_found',
    nonRetryable: true,
    message: `connection "${connectionId}" is not registered: add it with \`ldsync connections add ${connectionId} --token-env VAR\``,
  });
}
