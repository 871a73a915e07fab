// What every `ldsync` command needs: checked connection ids, short-lived database and Temporal
// connections that are always closed, and plain-text tables.
import type { Pool } from 'pg';
import { createPool, getConnection, type ConnectionRecord } from '../db';
import { remedyFor } from '../remedies';
import { CONNECTION_ID_PATTERN } from '../shared';
import { connectClient, type TemporalClient } from '../temporal/connection';
import { CliError, UsageError } from './cli-error';
import { resolveDatabaseUrl, resolveTemporalEnv } from './context';

/** A connection id from the command line; a bad one is a usage error (exit 2). */
export function parseConnectionId(raw: string): string {
  if (!CONNECTION_ID_PATTERN.test(raw)) {
    throw new UsageError(
      `bad connection id "${raw}": a connection id is 1-63 lowercase letters, digits, ".", "_" or "-", ` +
        'starting with a letter or digit',
    );
  }
  return raw;
}

export async function withPool<T>(fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = createPool(resolveDatabaseUrl(), { max: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export async function withTemporal<T>(fn: (temporal: TemporalClient) => Promise<T>): Promise<T> {
  const temporal = await connectClient(resolveTemporalEnv());
  try {
    return await fn(temporal);
  } finally {
    await temporal.close();
  }
}

/** The one error every command gives for an id that is not registered (exit 1), with the shared remedy. */
export function connectionNotFound(connectionId: string): CliError {
  return new CliError(
    `connection_not_found: no connection "${connectionId}" is registered; ` +
      `${remedyFor('connection_not_found', connectionId)} (\`ldsync connections list\` shows the registered ones)`,
  );
}

/** Fails early, with the command that fixes it, when the connection is not registered. */
export async function requireConnection(pool: Pool, connectionId: string): Promise<ConnectionRecord> {
  const connection = await getConnection(pool, connectionId);
  if (!connection) throw connectionNotFound(connectionId);
  return connection;
}

/** Left-aligned columns, two spaces apart; the first row is the header. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
