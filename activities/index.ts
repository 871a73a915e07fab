// The worker's activities, built with their dependencies (Temporal's dependency-injection pattern):
// the workflow sees only their types.
import type { DatabaseRetrySettings } from './database';
import type { ClientDeps } from './launchdarkly';
import { createRunActivities } from './runs';
import { createStreamActivities } from './streams';

/** The pool, the token cipher and the client's options and limits (ClientDeps), and the database retry budget. */
export interface ActivityDeps extends ClientDeps {
  /**
   * How long one activity attempt rides out an unreachable Postgres (retrying with backoff while it
   * heartbeats) before failing as `database_unavailable`. The entry point reads LDSYNC_DATABASE_RETRY_SECONDS
   * (databaseRetryFromEnv); default 5 min.
   */
  databaseRetry?: DatabaseRetrySettings;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createRunActivities(deps),
    ...createStreamActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
