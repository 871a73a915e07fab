// The worker's activities, built with their dependencies (Temporal's dependency-injection pattern):
// the workflow sees only their types.
import type { Pool } from 'pg';
import type { TokenCipher } from '../src/crypto/token-cipher';
import type { LaunchDarklyClientOptions } from '../src/launchdarkly';
import type { DatabaseRetrySettings } from './database';
import { createRunActivities } from './runs';
import { createStreamActivities } from './streams';

export interface ActivityDeps {
  pool: Pool;
  cipher: TokenCipher;
  /** overrides for every LaunchDarkly client (tests shorten timeouts and retries) */
  clientOptions?: Partial<Omit<LaunchDarklyClientOptions, 'token' | 'baseUrl' | 'apiVersion'>>;
  /**
   * How long one activity attempt rides out an unreachable Postgres (retrying with backoff while it
   * heartbeats) before failing as `database_unavailable`. Default: LDSYNC_DATABASE_RETRY_SECONDS, or 5 min.
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
