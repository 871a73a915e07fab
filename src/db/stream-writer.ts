// Writes one stream pass (e.g. the flags of one project) into Postgres so that it is exact under
// retries and cheap when nothing changed:
//
// - Each page is ONE transaction: the upserts, the keys seen, and the stream row's counters and
//   cursor. A retry resumes from the committed cursor and never double-counts.
// - Upserts write only rows that are new, changed (content hash differs) or coming back from
//   deletion; an unchanged row is not updated, not even locked.
// - Counts are per distinct key per pass: a key counts the first time the pass sees it (as
//   inserted, updated or unchanged) and never again, so a replayed page, a zombie attempt or an item
//   repeated by offset paging adds nothing. inserted + updated + unchanged = distinct rows seen.
//   A row that comes back after being marked deleted counts as inserted (it reappears for
//   analysts; its first_seen_at is kept). A stream's counts cover all its tables (flags +
//   flag_environments) and, for deletions, the rows its completion cascaded to; `table_counts`
//   has the breakdown.
// - Deletion detection marks rows of the scope whose keys the pass did not record in the
//   ldsync.seen_keys table, so it never depends on touching every row. That table is logged
//   (migration 0004): a Postgres crash keeps every committed page's keys, so counts stay exact.
import type { Pool, PoolClient } from 'pg';
import { addRowCounts, emptyRowCounts, type RowCounts, type StreamName } from '../shared';
import {
  parseScope,
  TABLES,
  tablesOfStream,
  type ColumnRecord,
  type RowsByTable,
  type TableName,
  type TableSpec,
} from './tables';
import { withTransaction } from './transaction';

export interface StreamKey {
  runId: string;
  connectionId: string;
  stream: StreamName;
  scope: string;
}

export type TableWrite = { [T in TableName]: { table: T; rows: RowsByTable[T][] } }[TableName];

export type TableCounts = Partial<Record<TableName, RowCounts>>;

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

const STREAM_PK = 'run_id = $1 AND stream = $2 AND scope = $3';
const MAX_ERROR_MESSAGE = 2000;

/** Creates the sync_run_streams row if absent (status running) and returns where a retry must resume. */
export async function openStream(pool: Pool, key: StreamKey): Promise<StreamResume> {
  parseScope(key.stream, key.scope);
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

/**
 * ONE transaction: the batched upserts of every write, the keys seen, and the stream row's counters
 * and cursor (where to resume after this page; `requests` is added). Returns this page's counts.
 */
export async function writePage(
  pool: Pool,
  key: StreamKey,
  page: {
    cursor: string | null;
    requests: number;
    writes: TableWrite[];
    /**
     * The cursor this page was read after. When given and the stream's committed cursor is already
     * `cursor` (not `after`), this page was committed before (a COMMIT whose answer was lost with the
     * connection) and nothing is written again: retrying writePage after a lost connection is exact.
     */
    after?: string | null;
  },
): Promise<RowCounts> {
  const scopeValues = parseScope(key.stream, key.scope);
  const batches = page.writes.map((write) => toBatch(key, scopeValues, write));
  return withTransaction(pool, async (client) => {
    const stream = await lockOpenStream(client, key);
    if (page.after !== undefined && stream.cursor !== page.after && stream.cursor === page.cursor) {
      return emptyRowCounts();
    }
    let pageCounts = emptyRowCounts();
    let newlySeen = 0;
    const tableCounts: TableCounts = { ...stream.table_counts };
    for (const batch of batches) {
      if (batch.records.length === 0) continue;
      const result = await upsertBatch(client, key, batch);
      pageCounts = addRowCounts(pageCounts, result.counts);
      tableCounts[batch.spec.table] = addRowCounts(tableCounts[batch.spec.table] ?? emptyRowCounts(), result.counts);
      newlySeen += result.newlySeen;
    }
    await client.query(
      `UPDATE ldsync.sync_run_streams SET
         cursor = $4, pages = pages + 1, requests = requests + $5,
         rows_inserted = rows_inserted + $6, rows_updated = rows_updated + $7, rows_unchanged = rows_unchanged + $8,
         table_counts = $9::jsonb, seen_key_count = seen_key_count + $10, waiting_until = NULL, updated_at = now()
       WHERE ${STREAM_PK}`,
      [
        key.runId,
        key.stream,
        key.scope,
        page.cursor,
        page.requests,
        pageCounts.inserted,
        pageCounts.updated,
        pageCounts.unchanged,
        JSON.stringify(tableCounts),
        newlySeen,
      ],
    );
    return pageCounts;
  });
}

/**
 * After a COMPLETE pass: rows of this stream's scope not seen in this run get deleted_at = now()
 * (only rows not already deleted), cascading to their dependents (project → environments, flags,
 * flag_environments, flag_statuses; environment → its flag_environments and flag_statuses; flag →
 * its flag_environments and flag_statuses; team → its maintainers). Clears the pass's seen keys,
 * marks the stream succeeded and returns its final counts (deleted included). Idempotent.
 *
 * If the seen keys were lost anyway (the table is logged since migration 0004, so only someone
 * emptying it by hand, or a restore, loses them), deletion detection is skipped for this pass rather
 * than deleting rows that were in fact seen: `deletion_check` then says `seen_keys_lost`, the run
 * lists the stream in `sync_runs.deletions_unchecked`, and the next run's pass detects the deletions.
 */
export type DeletionCheck = 'done' | 'skipped' | 'seen_keys_lost';

export async function completeStream(
  pool: Pool,
  key: StreamKey,
  options: {
    detectDeletions?: boolean;
    /** told how deletions were checked (also on a stream completed before: its recorded check) */
    onDeletionCheck?: (check: DeletionCheck | null) => void;
  } = {},
): Promise<RowCounts> {
  const scopeValues = parseScope(key.stream, key.scope);
  const final = await withTransaction(pool, async (client) => {
    const stream = await lockStream(client, key);
    if (stream.status === 'succeeded') {
      return { counts: countsOf(stream), justCompleted: false, deletionCheck: stream.deletion_check };
    }
    assertRunWritable(key, stream);

    const tableCounts: TableCounts = { ...stream.table_counts };
    let deleted = 0;
    let deletionCheck: 'done' | 'skipped' | 'seen_keys_lost' = 'skipped';
    if (options.detectDeletions !== false) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ldsync.seen_keys WHERE ${STREAM_PK}`,
        [key.runId, key.stream, key.scope],
      );
      if ((rows[0]?.n ?? 0) !== stream.seen_key_count) {
        deletionCheck = 'seen_keys_lost';
      } else {
        deletionCheck = 'done';
        for (const spec of tablesOfStream(key.stream)) {
          const gone = await markUnseenDeleted(client, key, spec, scopeValues);
          note(tableCounts, spec.table, gone.length);
          deleted += gone.length;
          for (const cascade of CASCADES[spec.table] ?? []) {
            const n = await cascadeDeletion(client, key.connectionId, spec, cascade, gone);
            note(tableCounts, cascade.child, n);
            deleted += n;
          }
        }
      }
    }
    await client.query(`DELETE FROM ldsync.seen_keys WHERE ${STREAM_PK}`, [key.runId, key.stream, key.scope]);
    const { rows } = await client.query<StreamCounterRow>(
      `UPDATE ldsync.sync_run_streams SET
         status = 'succeeded', cursor = NULL, rows_deleted = rows_deleted + $4, table_counts = $5::jsonb,
         deletion_check = $6, error_type = NULL, error_message = NULL, waiting_until = NULL,
         finished_at = now(), updated_at = now()
       WHERE ${STREAM_PK}
       RETURNING ${COUNTER_COLUMNS}`,
      [key.runId, key.stream, key.scope, deleted, JSON.stringify(tableCounts), deletionCheck],
    );
    const row = rows[0];
    if (!row) throw new Error(`stream ${describe(key)} vanished while completing`);
    return { counts: countsOf(row), justCompleted: true, deletionCheck: deletionCheck as DeletionCheck | null };
  });
  options.onDeletionCheck?.(final.deletionCheck);
  if (final.justCompleted && final.counts.inserted >= ANALYZE_AFTER_INSERTS) await refreshStatistics(pool, key.stream);
  return final.counts;
}

/** A first sync fills empty tables faster than autovacuum analyzes them. */
const ANALYZE_AFTER_INSERTS = 1000;

/**
 * Without statistics the planner takes a freshly filled table for tiny and scans it whole on every
 * page instead of probing its primary key. Best effort: SKIP_LOCKED never waits for autovacuum.
 */
async function refreshStatistics(pool: Pool, stream: StreamName): Promise<void> {
  const tables = tablesOfStream(stream).map((spec) => `launchdarkly.${ident(spec.table)}`);
  await pool.query(`ANALYZE (SKIP_LOCKED) ${tables.join(', ')}`).catch(() => undefined);
}

/** Records that the pass ended without completing. Leaves a succeeded stream alone; no deletions. */
export async function failStream(
  pool: Pool,
  key: StreamKey,
  failure: { status: 'failed' | 'skipped' | 'cancelled'; errorType?: string; message?: string },
): Promise<void> {
  parseScope(key.stream, key.scope);
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

/** Shows (or clears, with null) that the stream is sleeping on a rate limit until `until`. */
export async function setStreamWaiting(pool: Pool, key: StreamKey, until: Date | null): Promise<void> {
  await pool.query(
    `UPDATE ldsync.sync_run_streams SET waiting_until = $4, updated_at = now() WHERE ${STREAM_PK} AND status = 'running'`,
    [key.runId, key.stream, key.scope, until],
  );
}

// ---------------------------------------------------------------------------------------------
// Stream row

const COUNTER_COLUMNS =
  'pages, requests, rows_inserted, rows_updated, rows_unchanged, rows_deleted, table_counts, seen_key_count';

interface StreamCounterRow {
  pages: number;
  requests: number;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  rows_deleted: number;
  table_counts: TableCounts;
  seen_key_count: number;
}

interface LockedStream extends StreamCounterRow {
  status: string;
  cursor: string | null;
  deletion_check: DeletionCheck | null;
  run_status: string;
  run_connection_id: string;
}

function countsOf(row: StreamCounterRow): RowCounts {
  return {
    inserted: row.rows_inserted,
    updated: row.rows_updated,
    unchanged: row.rows_unchanged,
    deleted: row.rows_deleted,
  };
}

function describe(key: StreamKey): string {
  return `${key.stream}${key.scope ? ` (${key.scope})` : ''} of run ${key.runId}`;
}

async function lockStream(client: PoolClient, key: StreamKey): Promise<LockedStream> {
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
    throw new StreamStateError(`stream ${describe(key)} was not opened (call openStream first)`, 'stream_not_open');
  return row;
}

async function lockOpenStream(client: PoolClient, key: StreamKey): Promise<LockedStream> {
  const row = await lockStream(client, key);
  if (row.status === 'succeeded') {
    throw new StreamStateError(
      `stream ${describe(key)} is already complete; nothing more may be written`,
      'stream_completed',
    );
  }
  assertRunWritable(key, row);
  return row;
}

function assertRunWritable(key: StreamKey, row: LockedStream): void {
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

function note(tableCounts: TableCounts, table: TableName, deleted: number): void {
  if (deleted === 0) return;
  const counts = tableCounts[table] ?? emptyRowCounts();
  tableCounts[table] = { ...counts, deleted: counts.deleted + deleted };
}

// ---------------------------------------------------------------------------------------------
// Upserts

interface Batch {
  spec: TableSpec;
  records: ColumnRecord[];
}

function toBatch(key: StreamKey, scopeValues: string[], write: TableWrite): Batch {
  const spec = TABLES[write.table] as TableSpec;
  if (spec.stream !== key.stream) {
    throw new Error(`table ${spec.table} belongs to stream ${spec.stream}, not ${key.stream}`);
  }
  const records = (write.rows as RowsByTable[TableName][]).map((row) =>
    (spec.toRecord as (r: unknown) => ColumnRecord)(row),
  );
  for (const record of records) {
    spec.scope.forEach((column, i) => {
      if (record[column] !== scopeValues[i]) {
        throw new Error(
          `a ${spec.table} row with ${column} "${String(record[column])}" does not belong to stream ${key.stream} scope "${key.scope}"`,
        );
      }
    });
  }
  // One row per key (the last wins): ON CONFLICT cannot touch a row twice in one statement, and
  // deduplicating here rather than in SQL keeps the planner's row estimates (and hash joins) sane.
  const byKey = new Map<string, ColumnRecord>();
  for (const record of records) byKey.set(JSON.stringify(spec.key.map((column) => record[column])), record);
  return { spec, records: [...byKey.values()] };
}

const ident = (name: string): string => `"${name}"`;

const upsertSqlCache = new Map<TableName, string>();

function upsertSql(spec: TableSpec): string {
  const cached = upsertSqlCache.get(spec.table);
  if (cached) return cached;
  const keys = spec.key.map(ident);
  const content = spec.columns.map((c) => ident(c.name));
  const recordShape = [
    ...spec.key.map((k) => `${ident(k)} text`),
    ...spec.columns.map((c) => `${ident(c.name)} ${c.type}`),
  ];
  const joinOn = (a: string, b: string): string => keys.map((k) => `${a}.${k} = ${b}.${k}`).join(' AND ');
  const table = `launchdarkly.${ident(spec.table)}`;
  const sql = `
WITH input AS (
  SELECT r.*, md5(e.value::text) AS content_hash
  FROM jsonb_array_elements($5::jsonb) AS e(value)
  CROSS JOIN LATERAL jsonb_to_record(e.value) AS r(${recordShape.join(', ')})
),
seen AS (
  INSERT INTO ldsync.seen_keys (run_id, stream, scope, table_name, key)
  SELECT $2::uuid, $3, $4, '${spec.table}', ARRAY[${keys.map((k) => `i.${k}`).join(', ')}] FROM input i
  ON CONFLICT DO NOTHING
  RETURNING key
),
prior AS (
  -- One primary-key probe per input row, whatever the table's statistics say.
  SELECT ${keys.map((k) => `i.${k}`).join(', ')}, t.content_hash, t.deleted_at
  FROM input i
  CROSS JOIN LATERAL (
    SELECT t.content_hash, t.deleted_at FROM ${table} t
    WHERE t.connection_id = $1 AND ${keys.map((k) => `t.${k} = i.${k}`).join(' AND ')}
  ) t
),
changed AS (
  INSERT INTO ${table} AS t (connection_id, ${[...keys, ...content].join(', ')}, content_hash)
  SELECT $1, ${[...keys, ...content].map((c) => `i.${c}`).join(', ')}, i.content_hash
  FROM input i LEFT JOIN prior p ON ${joinOn('p', 'i')}
  WHERE p.${keys[0]} IS NULL OR p.content_hash <> i.content_hash OR p.deleted_at IS NOT NULL
  ON CONFLICT (connection_id, ${keys.join(', ')}) DO UPDATE SET
    ${content.map((c) => `${c} = excluded.${c}`).join(', ')},
    content_hash = excluded.content_hash,
    updated_at = CASE WHEN t.content_hash = excluded.content_hash THEN t.updated_at ELSE now() END,
    deleted_at = NULL
  WHERE t.content_hash <> excluded.content_hash OR t.deleted_at IS NOT NULL
  RETURNING ${keys.map((k) => `t.${k}`).join(', ')}, (t.xmax = 0) AS was_inserted
)
SELECT
  count(*) FILTER (WHERE s.key IS NOT NULL AND c.${keys[0]} IS NOT NULL AND (c.was_inserted OR p.deleted_at IS NOT NULL))::int AS inserted,
  count(*) FILTER (WHERE s.key IS NOT NULL AND c.${keys[0]} IS NOT NULL AND NOT c.was_inserted AND p.deleted_at IS NULL)::int AS updated,
  count(*) FILTER (WHERE s.key IS NOT NULL AND c.${keys[0]} IS NULL)::int AS unchanged,
  count(s.key)::int AS newly_seen
FROM input i
LEFT JOIN seen s ON s.key = ARRAY[${keys.map((k) => `i.${k}`).join(', ')}]
LEFT JOIN prior p ON ${joinOn('p', 'i')}
LEFT JOIN changed c ON ${joinOn('c', 'i')}`;
  upsertSqlCache.set(spec.table, sql);
  return sql;
}

/**
 * Postgres' text and jsonb cannot hold U+0000: one such character in a flag's name or description
 * would make Postgres refuse the whole page, on every retry. It is stored as U+FFFD (the replacement
 * character) instead, in keys and values alike, so the page's other items are kept.
 */
function withoutNul(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.includes('\u0000')) return value.replaceAll('\u0000', '\uFFFD');
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.some(([k]) => k.includes('\u0000'))) {
      return Object.fromEntries(entries.map(([k, v]) => [k.replaceAll('\u0000', '\uFFFD'), v]));
    }
  }
  return value;
}

async function upsertBatch(
  client: PoolClient,
  key: StreamKey,
  batch: Batch,
): Promise<{ counts: RowCounts; newlySeen: number }> {
  const { rows } = await client.query<{ inserted: number; updated: number; unchanged: number; newly_seen: number }>(
    upsertSql(batch.spec),
    [key.connectionId, key.runId, key.stream, key.scope, JSON.stringify(batch.records, withoutNul)],
  );
  const row = rows[0] ?? { inserted: 0, updated: 0, unchanged: 0, newly_seen: 0 };
  return {
    counts: { inserted: row.inserted, updated: row.updated, unchanged: row.unchanged, deleted: 0 },
    newlySeen: row.newly_seen,
  };
}

// ---------------------------------------------------------------------------------------------
// Deletions

interface Cascade {
  child: TableName;
  /** Columns shared by parent key and child key that identify the parent's dependents. */
  match: readonly string[];
}

const CASCADES: Partial<Record<TableName, Cascade[]>> = {
  projects: [
    { child: 'environments', match: ['project_key'] },
    { child: 'flags', match: ['project_key'] },
    { child: 'flag_environments', match: ['project_key'] },
    { child: 'flag_statuses', match: ['project_key'] },
  ],
  environments: [
    { child: 'flag_environments', match: ['project_key', 'environment_key'] },
    { child: 'flag_statuses', match: ['project_key', 'environment_key'] },
  ],
  flags: [
    { child: 'flag_environments', match: ['project_key', 'flag_key'] },
    { child: 'flag_statuses', match: ['project_key', 'flag_key'] },
  ],
  teams: [{ child: 'team_maintainers', match: ['team_key'] }],
};

/** Marks the scope's live rows that the pass did not see; returns their keys. */
async function markUnseenDeleted(
  client: PoolClient,
  key: StreamKey,
  spec: TableSpec,
  scopeValues: string[],
): Promise<string[][]> {
  const keys = spec.key.map(ident);
  const scopeConditions = spec.scope.map((column, i) => `AND t.${ident(column)} = $${5 + i}`).join(' ');
  const table = `launchdarkly.${ident(spec.table)}`;
  // A set difference (hashed or sorted, never a per-row scan of the seen keys), then primary-key
  // probes for the few rows that are gone.
  const { rows } = await client.query<{ key: string[] }>(
    `WITH gone AS (
       SELECT ARRAY[${keys.map((k) => `t.${k}`).join(', ')}] AS key FROM ${table} t
       WHERE t.connection_id = $1 ${scopeConditions} AND t.deleted_at IS NULL
       EXCEPT
       SELECT s.key FROM ldsync.seen_keys s
       WHERE s.run_id = $2 AND s.stream = $3 AND s.scope = $4 AND s.table_name = '${spec.table}'
     )
     UPDATE ${table} t SET deleted_at = now()
     FROM gone g
     WHERE t.connection_id = $1 AND ${keys.map((k, i) => `t.${k} = g.key[${i + 1}]`).join(' AND ')}
       AND t.deleted_at IS NULL
     RETURNING g.key`,
    [key.connectionId, key.runId, key.stream, key.scope, ...scopeValues],
  );
  return rows.map((r) => r.key);
}

async function cascadeDeletion(
  client: PoolClient,
  connectionId: string,
  parent: TableSpec,
  cascade: Cascade,
  deletedParentKeys: string[][],
): Promise<number> {
  if (deletedParentKeys.length === 0) return 0;
  const positions = cascade.match.map((column) => parent.key.indexOf(column));
  const columns = positions.map((position) =>
    deletedParentKeys.map((k) => {
      const value = k[position];
      if (value === undefined) throw new Error(`cascade from ${parent.table}: key column missing`);
      return value;
    }),
  );
  const result = await client.query(
    `UPDATE launchdarkly.${ident(cascade.child)} t SET deleted_at = now()
     FROM unnest(${cascade.match.map((_, i) => `$${i + 2}::text[]`).join(', ')}) AS g(${cascade.match.map(ident).join(', ')})
     WHERE t.connection_id = $1 AND t.deleted_at IS NULL
       AND ${cascade.match.map((c) => `t.${ident(c)} = g.${ident(c)}`).join(' AND ')}`,
    [connectionId, ...columns],
  );
  return result.rowCount ?? 0;
}
