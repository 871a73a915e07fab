// The `ldsync.sync_run_streams` row of one stream pass (e.g. the flags of one project in one run):
// opening it, counting its requests, recording how it ended, and the locks that serialise its
// writers. The page and completion transactions (stream-writer.ts) build on these.
import type { Pool, PoolClient } from 'pg';
import type { RowCounts } from '../shared';
import type { DeletionCheck } from './deletions';

export interface StreamKey {
  runId: string;
  connectionId: string;
  stream: string;
  scope: string;
}

/** Counts per table of a stream (flags and flag_environments, say), kept in `table_counts`. */
export type TableCounts = Partial<Record<string, RowCounts>>;

export interface StreamResume {
  /** Where to resume (null: from the start, or the stream is complete). */
  cursor: string | null;
  pages: number;
  requests: number;
  counts: RowCounts;
  /** The pass already succeeded in this run: nothing to do. */
  completed: boolean;
}

/** The stream cannot be written now: not opened, already completed, or its run is over. Retrying will not help. */
export class StreamStateError extends Error {
  override name = 'StreamStateError';
  constructor(
    message: string,
    readonly reason:
      'run_not_found' | 'run_not_running' | 'connection_mismatch' | 'stream_not_open' | 'stream_completed',
  ) {
    super(message);
  }
}

export const STREAM_PK = 'run_id = $1 AND stream = $2 AND scope = $3';
const MAX_ERROR_MESSAGE = 2000;

export const COUNTER_COLUMNS =
  'pages, requests, rows_inserted, rows_updated, rows_unchanged, rows_deleted, table_counts, seen_key_count';

export interface StreamCounterRow {
  pages: number;
  requests: number;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  rows_deleted: number;
  table_counts: TableCounts;
  seen_key_count: number;
}

export interface LockedStream extends StreamCounterRow {
  status: string;
  cursor: string | null;
  deletion_check: DeletionCheck | null;
  run_status: string;
  run_connection_id: string;
}

/** Creates the sync_run_streams row if absent (status running) and returns where a retry must resume. */
export async function openStream(pool: Pool, key: StreamKey): Promise<StreamResume> {
  const { rows } = await pool.query<StreamCounterRow & { status: string; cursor: string | null }>(
    `INSERT INTO ldsync.sync_run_streams AS s (run_id, stream, scope, status)
     SELECT r.id, $2, $3, 'running' FROM ldsync.sync_runs r
     WHERE r.id = $1 AND r.status = 'running' AND r.connection_id = $4
     ON CONFLICT (run_id, stream, scope) DO UPDATE SET
       status = CASE WHEN s.status = 'succeeded' THEN s.status ELSE 'running' END,
       error_type = CASE WHEN s.status = 'succeeded' THEN s.error_type END,
       error_message = CASE WHEN s.status = 'succeeded' THEN s.error_message END,
       finished_at = CASE WHEN s.status = 'succeeded' THEN s.finished_at END,
       waiting_until = NULL,
       updated_at = now()
     RETURNING s.status, s.cursor, ${COUNTER_COLUMNS}`,
    [key.runId, key.stream, key.scope, key.connectionId],
  );
  const row = rows[0];
  if (!row) throw await explainUnwritableRun(pool, key);
  const completed = row.status === 'succeeded';
  return {
    cursor: completed ? null : row.cursor,
    pages: row.pages,
    requests: row.requests,
    counts: countsOf(row),
    completed,
  };
}

/** Records that the pass ended without completing. Leaves a succeeded stream alone; no deletions. */
export async function failStream(
  pool: Pool,
  key: StreamKey,
  failure: { status: 'failed' | 'skipped' | 'cancelled'; errorType?: string; message?: string },
): Promise<void> {
  await pool.query(
    `INSERT INTO ldsync.sync_run_streams AS s (run_id, stream, scope, status, error_type, error_message, finished_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (run_id, stream, scope) DO UPDATE SET
       status = excluded.status, error_type = excluded.error_type, error_message = excluded.error_message,
       finished_at = now(), waiting_until = NULL, updated_at = now()
     WHERE s.status <> 'succeeded'`,
    [
      key.runId,
      key.stream,
      key.scope,
      failure.status,
      failure.errorType ?? null,
      failure.message?.slice(0, MAX_ERROR_MESSAGE).replaceAll('\u0000', '\uFFFD') ?? null,
    ],
  );
}

/**
 * Counts `n` requests sent for a running stream, before they are sent: a request whose page never
 * commits (a worker killed mid-page, a refused connection, a failed attempt) is counted all the same.
 */
export async function addStreamRequests(pool: Pool, key: StreamKey, n = 1): Promise<void> {
  await pool.query(
    `UPDATE ldsync.sync_run_streams SET requests = requests + $4, updated_at = now() WHERE ${STREAM_PK} AND status = 'running'`,
    [key.runId, key.stream, key.scope, n],
  );
}

export function countsOf(row: StreamCounterRow): RowCounts {
  return {
    inserted: row.rows_inserted,
    updated: row.rows_updated,
    unchanged: row.rows_unchanged,
    deleted: row.rows_deleted,
  };
}

export function describeStream(key: StreamKey): string {
  return `${key.stream}${key.scope ? ` (${key.scope})` : ''} of run ${key.runId}`;
}

export async function lockStream(client: PoolClient, key: StreamKey): Promise<LockedStream> {
  // The stream row lock serialises every writer of this stream (a zombie attempt included); the key
  // share lock on the run makes finishRun (which locks the run FOR UPDATE) wait for an in-flight page
  // and a page wait for finishRun, so no page lands in a run after its totals were summed.
  const { rows } = await client.query<LockedStream>(
    `SELECT s.status, s.cursor, s.deletion_check, ${COUNTER_COLUMNS.split(', ')
      .map((c) => `s.${c}`)
      .join(', ')}, r.status AS run_status, r.connection_id AS run_connection_id
     FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
     WHERE s.run_id = $1 AND s.stream = $2 AND s.scope = $3
     FOR UPDATE OF s FOR KEY SHARE OF r`,
    [key.runId, key.stream, key.scope],
  );
  const row = rows[0];
  if (!row)
    throw new StreamStateError(
      `stream ${describeStream(key)} was not opened (call openStream first)`,
      'stream_not_open',
    );
  return row;
}

export async function lockOpenStream(client: PoolClient, key: StreamKey): Promise<LockedStream> {
  const row = await lockStream(client, key);
  if (row.status === 'succeeded') {
    throw new StreamStateError(
      `stream ${describeStream(key)} is already complete; nothing more may be written`,
      'stream_completed',
    );
  }
  assertRunWritable(key, row);
  return row;
}

export function assertRunWritable(key: StreamKey, row: LockedStream): void {
  if (row.run_connection_id !== key.connectionId) {
    throw new StreamStateError(
      `run ${key.runId} belongs to connection "${row.run_connection_id}", not "${key.connectionId}"`,
      'connection_mismatch',
    );
  }
  if (row.run_status !== 'running') {
    throw new StreamStateError(
      `run ${key.runId} is ${row.run_status}; its streams can no longer be written`,
      'run_not_running',
    );
  }
}

async function explainUnwritableRun(pool: Pool, key: StreamKey): Promise<StreamStateError> {
  const { rows } = await pool.query<{ status: string; connection_id: string }>(
    'SELECT status, connection_id FROM ldsync.sync_runs WHERE id = $1',
    [key.runId],
  );
  const run = rows[0];
  if (!run) return new StreamStateError(`run ${key.runId} does not exist`, 'run_not_found');
  if (run.connection_id !== key.connectionId) {
    return new StreamStateError(
      `run ${key.runId} belongs to connection "${run.connection_id}", not "${key.connectionId}"`,
      'connection_mismatch',
    );
  }
  return new StreamStateError(
    `run ${key.runId} is ${run.status}; its streams can no longer be written`,
    'run_not_running',
  );
}
