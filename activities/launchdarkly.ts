// Builds the LaunchDarkly client of a connection inside the activity: the token is decrypted here and
// never travels through Temporal (invariant 1).
import type { Pool } from 'pg';
import { getConnection, getConnectionToken } from '../src/db';
import type { TokenCipher } from '../src/crypto/token-cipher';
import { LaunchDarklyClient, rateLimiterFor, type LaunchDarklyClientOptions } from '../src/launchdarkly';
import { connectionNotFound } from './failures';

export interface ClientDeps {
  pool: Pool;
  cipher: TokenCipher;
  /** overrides for every client (tests shorten timeouts and retries) */
  clientOptions?: Partial<Omit<LaunchDarklyClientOptions, 'token' | 'baseUrl' | 'apiVersion'>>;
}

export async function clientForConnection(
  deps: ClientDeps,
  connectionId: string,
  onWait: (until: number | null) => void,
): Promise<LaunchDarklyClient> {
  const connection = await getConnection(deps.pool, connectionId);
  if (!connection) throw connectionNotFound(connectionId);
  const token = await getConnectionToken(deps.pool, deps.cipher, connectionId);
  return new LaunchDarklyClient({
    ...deps.clientOptions,
    baseUrl: connection.baseUrl,
    apiVersion: connection.apiVersion as LaunchDarklyClientOptions['apiVersion'],
    token,
    // One limiter per connection and process: concurrent activities share LaunchDarkly's windows.
    limiter: rateLimiterFor(`${connectionId}@${connection.baseUrl}`),
    onWait: ({ until }) => onWait(until),
  });
}
