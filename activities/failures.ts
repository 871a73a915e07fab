// Every failure that leaves an activity is an ApplicationFailure of a contract type (invariant 4), with a
// message that names the connection, the endpoint and what to do, and never the token.
import { ApplicationFailure } from '@temporalio/activity';
import { TokenDecryptionError } from '../src/crypto/token-cipher';
import {
  ConnectionNotFoundError,
  DatabaseUnavailableError,
  describeDatabaseError,
  isDatabaseUnavailable,
  isDataException,
  StreamStateError,
} from '../src/db';
import { ClientOptionsError, LaunchDarklyError } from '../src/launchdarkly';
import { ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES, type ErrorType } from '../src/shared';

export interface FailureContext {
  connectionId: string;
  /** what was being done, for the message: `flags of project "web"`, `recording the run's start` */
  what: string;
}

/** An ApplicationFailure whose `type` is a contract error type: what every activity failure is. */
export type TypedFailure = ApplicationFailure & { readonly type: ErrorType };

export function toApplicationFailure(err: unknown, context: FailureContext): TypedFailure {
  return typed(translate(err, context));
}

/** The one place a failure's type is checked against the contract; an unknown type becomes upstream_unavailable. */
function typed(failure: ApplicationFailure): TypedFailure {
  if (isErrorType(failure.type)) return failure as TypedFailure;
  return ApplicationFailure.create({
    type: 'upstream_unavailable',
    message: failure.message,
    nonRetryable: failure.nonRetryable ?? undefined,
    cause: failure,
  }) as TypedFailure;
}

function isErrorType(type: string | null | undefined): type is ErrorType {
  return ERROR_TYPES.some((t) => t === type);
}

function translate(err: unknown, context: FailureContext): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof LaunchDarklyError) return fromLaunchDarkly(err, context);
  const prefix = `connection "${context.connectionId}": ${context.what}`;
  const cause = err instanceof Error ? err : undefined;
  if (isDatabaseUnavailable(err)) {
    const how =
      err instanceof DatabaseUnavailableError
        ? `Postgres is unreachable (for ${Math.round(err.elapsedMs / 1000)} s, ${err.attempts} attempts: ${describeDatabaseError(err)})`
        : `Postgres is unreachable (${describeDatabaseError(err)})`;
    return ApplicationFailure.create({
      type: 'database_unavailable',
      message:
        `${prefix}: ${how}. Check that Postgres is running and ` +
        'accepts connections from this worker at DATABASE_URL (host, port, credentials, max_connections); ' +
        'the sync retries on its own and resumes from the last written page.',
      cause,
    });
  }
  if (err instanceof StreamStateError) return fromStreamState(err, prefix);
  if (err instanceof TokenDecryptionError) {
    return ApplicationFailure.create({
      type: 'token_undecryptable',
      nonRetryable: true,
      message:
        `${prefix}: the stored token cannot be decrypted with this worker's LDSYNC_ENCRYPTION_KEY (${err.reason}). ` +
        'Start the worker with the key the connection was added with, or store the token again with ' +
        `\`ldsync connections add ${context.connectionId} --token-env VAR\`.`,
    });
  }
  if (err instanceof ConnectionNotFoundError) return connectionNotFound(context.connectionId);
  if (err instanceof ClientOptionsError) {
    return ApplicationFailure.create({
      type: 'invalid_input',
      nonRetryable: true,
      message: `${prefix}: ${err.message}. Fix the connection with \`ldsync connections add ${context.connectionId} …\`.`,
    });
  }
  if (isDataException(err)) {
    // Postgres refused a value of the page (SQLSTATE class 22); the same page fails the same way on retry.
    return ApplicationFailure.create({
      type: 'schema_mismatch',
      nonRetryable: true,
      message:
        `${prefix}: Postgres refused a value LaunchDarkly sent (${describeDatabaseError(err)}); ` +
        'nothing of this page was written. Report this message.',
      cause,
    });
  }
  // Anything else (a bug, an unexpected answer) is retried; the message says where it happened.
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({ type: 'upstream_unavailable', message: `${prefix}: ${message}`, cause });
}

function fromStreamState(err: StreamStateError, prefix: string): ApplicationFailure {
  const type: ErrorType =
    err.reason === 'run_not_running' || err.reason === 'stream_completed' ? 'run_closed' : 'invalid_input';
  const what =
    type === 'run_closed'
      ? 'this write belongs to a run that has already ended (an attempt that outlived its run): nothing was written, and nothing needs doing'
      : 'the activity was given a run it cannot write to; start a new sync';
  return ApplicationFailure.create({ type, nonRetryable: true, message: `${prefix}: ${err.message}; ${what}.` });
}

function fromLaunchDarkly(err: LaunchDarklyError, context: FailureContext): ApplicationFailure {
  const type: ErrorType = err.type;
  return ApplicationFailure.create({
    type,
    // The client's message already names the endpoint (`projects (GET /api/v2/projects)`); its hints
    // say `<id>` because the client does not know which connection it reads for.
    message: `connection "${context.connectionId}": ${err.message.replaceAll('<id>', context.connectionId)}`,
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
