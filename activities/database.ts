// Database calls from activities ride out a Postgres outage: connection-class errors are retried inside
// the activity, with backoff, for a time budget (default 5 minutes, `LDSYNC_DATABASE_RETRY_SECONDS`),
// while the activity keeps heartbeating, so a stream survives the outage without spending its Temporal
// attempts. Past the budget the error becomes a retryable `database_unavailable` failure
// (failures.ts), and Temporal's retry policy takes over.
import { Context, heartbeat, log } from '@temporalio/activity';
import { DEFAULT_DATABASE_RETRY_BUDGET_MS, describeDatabaseError, withDatabaseRetry } from '../src/db';
import type { Env } from '../src/config';
import type { WaitReport } from './progress-reporter';

export interface DatabaseRetrySettings {
  /** how long one activity attempt keeps retrying an unreachable Postgres (ms) */
  budgetMs: number;
}

/** The budget from the validated `LDSYNC_DATABASE_RETRY_SECONDS` (read at the entry point), or 5 min. */
export function databaseRetryFromEnv(env: Pick<Env, 'LDSYNC_DATABASE_RETRY_SECONDS'>): DatabaseRetrySettings {
  const seconds = env.LDSYNC_DATABASE_RETRY_SECONDS;
  return { budgetMs: seconds === undefined ? DEFAULT_DATABASE_RETRY_BUDGET_MS : seconds * 1000 };
}

/** The default budget, for deps that name none. */
export const DEFAULT_DATABASE_RETRY: DatabaseRetrySettings = { budgetMs: DEFAULT_DATABASE_RETRY_BUDGET_MS };

export interface DatabaseCallOptions {
  settings: DatabaseRetrySettings;
  /** what the call does, for the log line: `writing a page of flags of project "web"` */
  what: string;
  /** told while it waits (a stream's ProgressReporter); otherwise the activity heartbeats itself */
  onWait?: (wait: WaitReport) => void;
}

/**
 * Runs `fn` (which must be safe to repeat after a lost connection), retrying while Postgres is
 * unreachable and the budget lasts. Cancelling the activity stops the waiting at once.
 */
export async function retryDatabase<T>(fn: () => Promise<T>, options: DatabaseCallOptions): Promise<T> {
  const context = activityContext();
  let waited = false;
  try {
    return await withDatabaseRetry(fn, {
      budgetMs: options.settings.budgetMs,
      signal: context?.cancellationSignal,
      onRetry: ({ attempt, delayMs, elapsedMs, error }) => {
        waited = true;
        const reason = `Postgres is unreachable (${describeDatabaseError(error)}); retrying ${options.what}`;
        // One line per failed attempt, spaced by the backoff (at most one every 5 s).
        // (not `attempt`: the activity logger already sets that field to the Temporal attempt)
        (context ? log : console).warn(`database unavailable: ${reason}`, {
          databaseRetry: attempt,
          retryInMs: delayMs,
          unavailableForMs: elapsedMs,
          budgetMs: options.settings.budgetMs,
        });
        const wait: WaitReport = {
          until: Date.now() + delayMs,
          kind: 'retry',
          reason,
          errorType: 'database_unavailable',
        };
        if (options.onWait) options.onWait(wait);
        else if (context) heartbeat({ waiting: { ...wait, until: new Date(wait.until as number).toISOString() } });
      },
    });
  } finally {
    if (waited) options.onWait?.({ until: null });
  }
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (scripts, tests)
  }
}
