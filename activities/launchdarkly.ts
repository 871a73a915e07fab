// Builds the LaunchDarkly client of a connection inside the activity: the token is decrypted here and
// never travels through Temporal (invariant 1).
import type { Pool } from 'pg';
import { getConnection, getConnectionToken } from '../src/db';
import type { TokenCipher } from '../src/crypto/token-cipher';
import {
  LaunchDarklyClient,
  rateLimiterFor,
  type LaunchDarklyClientOptions,
  type RateLimiterOptions,
} from '../src/launchdarkly';
import { connectionNotFound } from './failures';
import type { StreamHooks } from './stream-runner';

export interface ClientDeps {
  pool: Pool;
  cipher: TokenCipher;
  /** overrides for every client (tests shorten timeouts and retries) */
  clientOptions?: Partial<Omit<LaunchDarklyClientOptions, 'token' | 'baseUrl' | 'apiVersion'>>;
  /** options of each connection's shared limiter, e.g. `maxPerSecond` (LDSYNC_RATE_LIMIT_PER_SECOND) */
  limiterOptions?: RateLimiterOptions;
}

/**
 * The client of `connectionId`, wired to a stream's hooks: its waits (`{until, kind, reason,
 * errorType}`, passed through whole) show in the heartbeat, every request is counted before it is
 * sent, and every retried response is logged. The connection is read through `hooks.database`, so an
 * unreachable Postgres is ridden out like every other database call. Throws `connection_not_found`,
 * or TokenDecryptionError (typed `token_undecryptable` by failures.ts) for a wrong key.
 */
export async function clientForConnection(
  deps: ClientDeps,
  connectionId: string,
  hooks: Pick<StreamHooks, 'onWait' | 'beforeRequest' | 'onRetry' | 'database'>,
): Promise<LaunchDarklyClient> {
  const connection = await hooks.database('reading the connection', () => getConnection(deps.pool, connectionId));
  if (!connection) throw connectionNotFound(connectionId);
  const token = await hooks.database('reading the connection token', () =>
    getConnectionToken(deps.pool, deps.cipher, connectionId),
  );
  return new LaunchDarklyClient({
    ...deps.clientOptions,
    baseUrl: connection.baseUrl,
    apiVersion: connection.apiVersion as LaunchDarklyClientOptions['apiVersion'],
    token,
    // One limiter per connection and process: concurrent activities share LaunchDarkly's windows.
    limiter: rateLimiterFor(`${connectionId}@${connection.baseUrl}`, deps.limiterOptions),
    onWait: (info) => hooks.onWait(info),
    beforeRequest: (info) => hooks.beforeRequest(info),
    onRetry: (info) => hooks.onRetry(info),
  });
}
