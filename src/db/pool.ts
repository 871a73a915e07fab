// One pg.Pool per process. Bounded so a busy worker cannot exhaust Postgres' connections, with a
// statement timeout so a stuck query fails an activity (which Temporal retries) instead of hanging it.
import pg from 'pg';
import { createLogger, type Logger } from '../logger';

export interface PoolOptions {
  /** Connections per process; activities run a few at a time, so 10 is plenty. */
  max?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
  logger?: Logger;
}

export function createPool(databaseUrl: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 60_000,
    connectionTimeoutMillis: 15_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'ldsync',
  });
  const logger = options.logger ?? createLogger(undefined, 'ldsync-db');
  // An idle client can lose its connection (Postgres restarted, network blip). Without a listener
  // pg re-emits that as an unhandled 'error' event and the process dies; the pool replaces the client.
  pool.on('error', (err) => {
    logger.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'idle database client error');
  });
  return pool;
}
