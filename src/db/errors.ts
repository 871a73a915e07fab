// Which database errors mean "Postgres is not reachable right now" (retry: the same statement will work
// once it is back) and which mean "Postgres refused this statement" (retrying changes nothing), and a
// retry loop with a time budget for the first kind. Knows nothing of Temporal: callers pass a callback
// to heartbeat while they wait.
import { sleep } from './sleep';

/** Postgres stayed unreachable for the whole retry budget. `cause` is the last error seen. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly elapsedMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Node socket errors of a connection that could not be made or was lost. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/**
 * SQLSTATEs of a server that is shutting down, starting up, in recovery or out of connection slots
 * (classes 08 and 57P0x, 53300), and of a transaction Postgres itself asks to retry (40001, 40P01).
 */
function isTransientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now (starting up, in recovery)
    code === '57P05' || // idle_session_timeout
    code === '53300' || // too_many_connections
    code === '40001' || // serialization_failure
    code === '40P01' // deadlock_detected
  );
}

/** Messages of node-postgres for a connection that dropped or never came (they carry no code). */
const DRIVER_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error and is not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/i,
  /server closed the connection unexpectedly/i,
  /connection (was )?(closed|reset)/i,
  /Query read timeout/i,
];

function isPoolEnded(err: Error): boolean {
  return /cannot use a pool after calling end/i.test(err.message);
}

/**
 * True when `err` says the database could not be reached or the connection was lost, so the same
 * statement can succeed later. False for errors about the statement itself (a constraint, a value
 * Postgres cannot store, a missing table), which no retry fixes.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  if (isPoolEnded(err)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return isTransientSqlState(code);
  }
  // Node 20 reports a refused dual-stack connect as an AggregateError of the per-address errors.
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e))) return true;
  if (DRIVER_MESSAGES.some((pattern) => pattern.test(err.message))) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isDatabaseUnavailable(cause);
}

/** A Postgres error raised by the statement's content (SQLSTATE class 22: data exception, e.g. `\u0000`). */
export function isDataException(err: unknown): boolean {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('22');
}

/** One line on the cause, for messages: `connect ECONNREFUSED 127.0.0.1:5432 (ECONNREFUSED)`. */
export function describeDatabaseError(err: unknown): string {
  if (err instanceof DatabaseUnavailableError) {
    return describeDatabaseError((err as { cause?: unknown }).cause ?? err.message);
  }
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  let message = err.message;
  if (!message && err instanceof AggregateError) {
    message = err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

export interface DatabaseRetryOptions {
  /** How long to keep retrying a database that is unreachable, from the first failure. */
  budgetMs: number;
  /** First wait, doubled per retry up to maxDelayMs. Default 250 ms. */
  baseDelayMs?: number;
  /** Longest single wait, so `onRetry` (a heartbeat) runs at least this often. Default 5 s. */
  maxDelayMs?: number;
  signal?: AbortSignal | undefined;
  /** Called before every wait: log it, heartbeat. */
  onRetry?: (info: { attempt: number; delayMs: number; elapsedMs: number; error: unknown }) => void;
}

export const DEFAULT_DATABASE_RETRY_BUDGET_MS = 5 * 60_000;

/**
 * Runs `fn`, retrying it while it fails with a connection-class error (isDatabaseUnavailable) and
 * the budget lasts; then throws DatabaseUnavailableError. Other errors are thrown at once. `fn` must
 * be safe to run again after a connection was lost mid-way (a transaction that rolled back, or one
 * whose COMMIT reached the server: make it idempotent).
 */
export async function withDatabaseRetry<T>(fn: () => Promise<T>, options: DatabaseRetryOptions): Promise<T> {
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5_000;
  let started: number | undefined;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || err instanceof DatabaseUnavailableError) throw err;
      options.signal?.throwIfAborted();
      const now = Date.now();
      started ??= now;
      const elapsedMs = now - started;
      if (elapsedMs >= options.budgetMs) {
        throw new DatabaseUnavailableError(
          `Postgres stayed unreachable for ${Math.round(elapsedMs / 1000)} s (${attempt} attempts): ${describeDatabaseError(err)}`,
          attempt,
          elapsedMs,
          { cause: err },
        );
      }
      const delayMs = Math.min(max, base * 2 ** Math.min(attempt - 1, 20), options.budgetMs - elapsedMs);
      options.onRetry?.({ attempt, delayMs, elapsedMs, error: err });
      await sleep(Math.max(10, delayMs), options.signal);
    }
  }
}
