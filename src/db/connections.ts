// Repository of LaunchDarkly connections (`ldsync.connections`). Tokens are stored only encrypted
// and leave this module only through getConnectionToken.
import type { Pool } from 'pg';
import { z } from 'zod';
import type { TokenCipher } from '../crypto/token-cipher';
import { API_VERSIONS, CONNECTION_ID_PATTERN, DEFAULT_API_VERSION, type ApiVersion, type RunStatus } from '../shared';
import { ident } from './table-spec';
import { withTransaction } from './transaction';

export const DEFAULT_BASE_URL = 'https://app.launchdarkly.com';

export const ConnectionIdSchema = z
  .string()
  .regex(
    CONNECTION_ID_PATTERN,
    'a connection id is 1-63 characters: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

export const BaseUrlSchema = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'the base URL must be an http(s) URL such as https://app.launchdarkly.com')
  // Stored without a trailing slash or `/api/v2` (an easy paste) so the client can append `/api/v2/...`.
  .transform((value) => value.replace(/\/+$/, '').replace(/\/api\/v2$/, ''));

export const NewConnectionSchema = z.object({
  id: ConnectionIdSchema,
  name: z.string().trim().min(1).max(200).optional(),
  baseUrl: BaseUrlSchema.default(DEFAULT_BASE_URL),
  apiVersion: z
    .enum(API_VERSIONS, { error: `the API version must be one of ${API_VERSIONS.join(', ')}` })
    .default(DEFAULT_API_VERSION),
  token: z.string().trim().min(1, 'the token is empty'),
});
export type NewConnection = z.input<typeof NewConnectionSchema>;

export interface ConnectionRecord {
  id: string;
  name: string;
  baseUrl: string;
  apiVersion: ApiVersion;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConnectionListItem extends ConnectionRecord {
  lastRun: { id: string; status: RunStatus; startedAt: Date; finishedAt: Date | null } | null;
}

/** The connection does not exist (maps to the `connection_not_found` error type). */
export class ConnectionNotFoundError extends Error {
  override name = 'ConnectionNotFoundError';
  constructor(readonly connectionId: string) {
    super(`connection "${connectionId}" does not exist; add it with \`ldsync connections add ${connectionId}\``);
  }
}

interface ConnectionDbRow {
  id: string;
  name: string;
  base_url: string;
  api_version: string;
  created_at: Date;
  updated_at: Date;
}

const CONNECTION_COLUMNS = 'id, name, base_url, api_version, created_at, updated_at';

function toRecord(row: ConnectionDbRow): ConnectionRecord {
  return {
    id: row.id,
    name: row.name,
    baseUrl: row.base_url,
    apiVersion: apiVersionOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Rows are written through NewConnectionSchema; a version edited in by hand is refused here, by name. */
function apiVersionOf(row: ConnectionDbRow): ApiVersion {
  const version = API_VERSIONS.find((v) => v === row.api_version);
  if (version === undefined) {
    throw new Error(
      `connection "${row.id}" has the unknown API version "${row.api_version}"; ` +
        `set one of ${API_VERSIONS.join(', ')} with \`ldsync connections add ${row.id} --api-version ...\``,
    );
  }
  return version;
}

/** Adds a connection, or updates it (name, URL, version and token) if the id exists. */
export async function addConnection(
  pool: Pool,
  cipher: TokenCipher,
  input: NewConnection,
): Promise<{ connection: ConnectionRecord; created: boolean }> {
  const c = NewConnectionSchema.parse(input);
  const { rows } = await pool.query<ConnectionDbRow & { created: boolean }>(
    `INSERT INTO ldsync.connections (id, name, base_url, api_version, token_ciphertext)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET
       name = excluded.name, base_url = excluded.base_url, api_version = excluded.api_version,
       token_ciphertext = excluded.token_ciphertext, updated_at = now()
     RETURNING ${CONNECTION_COLUMNS}, (xmax = 0) AS created`,
    [c.id, c.name ?? c.id, c.baseUrl, c.apiVersion, cipher.encrypt(c.token, c.id)],
  );
  const row = rows[0];
  if (!row) throw new Error(`adding connection "${c.id}" returned no row`);
  return { connection: toRecord(row), created: row.created };
}

export async function getConnection(pool: Pool, id: string): Promise<ConnectionRecord | null> {
  const { rows } = await pool.query<ConnectionDbRow>(
    `SELECT ${CONNECTION_COLUMNS} FROM ldsync.connections WHERE id = $1`,
    [id],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

/** The decrypted token. Throws ConnectionNotFoundError, or TokenDecryptionError (wrong key, tampering). */
export async function getConnectionToken(pool: Pool, cipher: TokenCipher, id: string): Promise<string> {
  const { rows } = await pool.query<{ token_ciphertext: string }>(
    'SELECT token_ciphertext FROM ldsync.connections WHERE id = $1',
    [id],
  );
  const row = rows[0];
  if (!row) throw new ConnectionNotFoundError(id);
  return cipher.decrypt(row.token_ciphertext, id);
}

/** Every connection with its most recent run, ordered by id. */
export async function listConnections(pool: Pool): Promise<ConnectionListItem[]> {
  const { rows } = await pool.query<
    ConnectionDbRow & {
      run_id: string | null;
      run_status: RunStatus | null;
      run_started_at: Date | null;
      run_finished_at: Date | null;
    }
  >(
    `SELECT c.id, c.name, c.base_url, c.api_version, c.created_at, c.updated_at,
            r.id AS run_id, r.status AS run_status, r.started_at AS run_started_at, r.finished_at AS run_finished_at
     FROM ldsync.connections c
     LEFT JOIN LATERAL (
       SELECT id, status, started_at, finished_at FROM ldsync.sync_runs
       WHERE connection_id = c.id ORDER BY started_at DESC LIMIT 1
     ) r ON true
     ORDER BY c.id`,
  );
  return rows.map((row) => ({
    ...toRecord(row),
    lastRun:
      row.run_id && row.run_status && row.run_started_at
        ? { id: row.run_id, status: row.run_status, startedAt: row.run_started_at, finishedAt: row.run_finished_at }
        : null,
  }));
}

export interface RemoveConnectionResult {
  removed: boolean;
  /** With `purge`: rows deleted from the data tables and run history. */
  purgedRows: number;
}

/**
 * Removes the connection and its encrypted token. By default its synced data and run history stay
 * (analysts may still query them; adding the same id again picks them up). `purge: true` also
 * deletes its rows from every `launchdarkly` table and its runs, in the same transaction.
 */
export async function removeConnection(
  pool: Pool,
  id: string,
  options: {
    /** also delete the connection's rows from these data tables (schema `launchdarkly`) and its runs */
    purge?: { dataTables: readonly string[] };
  } = {},
): Promise<RemoveConnectionResult> {
  return withTransaction(pool, async (client) => {
    const removed = (await client.query('DELETE FROM ldsync.connections WHERE id = $1', [id])).rowCount ?? 0;
    let purgedRows = 0;
    if (options.purge) {
      for (const table of options.purge.dataTables) {
        purgedRows +=
          (await client.query(`DELETE FROM launchdarkly.${ident(table)} WHERE connection_id = $1`, [id])).rowCount ?? 0;
      }
      await client.query(
        'DELETE FROM ldsync.seen_keys WHERE run_id IN (SELECT id FROM ldsync.sync_runs WHERE connection_id = $1)',
        [id],
      );
      purgedRows += (await client.query('DELETE FROM ldsync.sync_runs WHERE connection_id = $1', [id])).rowCount ?? 0;
    }
    return { removed: removed > 0, purgedRows };
  });
}
