// Writes one stream pass (e.g. the flags of one project) into Postgres so that it is exact under
// retries and cheap when nothing changed:
//
// - Each page is ONE transaction: the upserts, the keys seen, and the stream row's counters and
//   cursor. A retry resumes from the committed cursor and never double-counts.
// - Upserts write only rows that are new, changed (content hash differs) or coming back from
//   deletion; an unchanged row is not updated, not even locked (upsert.ts).
// - Counts are per distinct key per pass: a key counts the first time the pass sees it (as
//   inserted, updated or unchanged) and never again, so a replayed page, a zombie attempt or an item
//   repeated by offset paging adds nothing. inserted + updated + unchanged = distinct rows seen.
//   A row that comes back after being marked deleted counts as inserted (it reappears for
//   analysts; its first_seen_at is kept). A stream's counts cover all its tables (flags +
//   flag_environments) and, for deletions, the rows its completion cascaded to; `table_counts`
//   has the breakdown.
// - Deletion detection marks rows of the scope whose keys the pass did not record in the
//   ldsync.seen_keys table, so it never depends on touching every row (deletions.ts). That table is
//   logged (migration 0004): a Postgres crash keeps every committed page's keys, so counts stay exact.
import type { Pool } from 'pg';
import { addRowCounts, emptyRowCounts, type RowCounts } from '../shared';
import { cascadeDeletion, markUnseenDeleted, type DeletionCheck } from './deletions';
import {
  assertRunWritable,
  COUNTER_COLUMNS,
  countsOf,
  describeStream,
  lockOpenStream,
  lockStream,
  STREAM_PK,
  type StreamCounterRow,
  type StreamKey,
  type TableCounts,
} from './stream-rows';
import { ident, type TableSpec, type TableWrite } from './table-spec';
import { withTransaction } from './transaction';
import { toBatch, upsertBatch } from './upsert';

/** Where a stream's rows live: the values of its scope columns (`['web']` for the flags of project web). */
export interface StreamScope {
  scopeValues: readonly string[];
}

/**
 * ONE transaction: the batched upserts of every write, the keys seen, and the stream row's counters
 * and cursor (where to resume after this page; `requests` is added). Returns this page's counts.
 */
export async function writePage(
  pool: Pool,
  key: StreamKey,
  page: StreamScope & {
    cursor: string | null;
    requests: number;
    writes: TableWrite[];
    /**
     * The cursor this page was read after. When given and the stream's committed cursor is already
     * `cursor` (not `after`), this page was committed before (a COMMIT whose answer was lost with the
     * connection, or another attempt) and no row is written again: rows and counts stay exact, and
     * only `requests` is added again (over, never under).
     */
    after?: string | null;
  },
): Promise<RowCounts> {
  const batches = page.writes.map((write) => toBatch(key, page.scopeValues, write));
  return withTransaction(pool, async (client) => {
    const stream = await lockOpenStream(client, key);
    if (page.after !== undefined && stream.cursor !== page.after && stream.cursor === page.cursor) {
      // Committed before: by this attempt (its COMMIT's answer was lost) or by another still running.
      // The requests are counted again, since only the second case sent them again: over, never under.
      if (page.requests > 0) {
        await client.query(`UPDATE ldsync.sync_run_streams SET requests = requests + $4 WHERE ${STREAM_PK}`, [
          key.runId,
          key.stream,
          key.scope,
          page.requests,
        ]);
      }
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
 * (only rows not already deleted), cascading to their dependents as each table's spec says (project
 * → environments, flags, flag_environments, flag_statuses; environment → its flag_environments and
 * flag_statuses; flag → its flag_environments and flag_statuses; team → its maintainers). Clears
 * the pass's seen keys, marks the stream succeeded and returns its final counts (deleted included).
 * Idempotent.
 *
 * If the seen keys were lost anyway (the table is logged since migration 0004, so only someone
 * emptying it by hand, or a restore, loses them), deletion detection is skipped for this pass rather
 * than deleting rows that were in fact seen: `deletion_check` then says `seen_keys_lost`, the run
 * lists the stream in `sync_runs.deletions_unchecked`, and the next run's pass detects the deletions.
 */
export async function completeStream(
  pool: Pool,
  key: StreamKey,
  options: StreamScope & {
    /** the stream's tables, parents first: the order deletions are detected in */
    tables: readonly TableSpec[];
    detectDeletions?: boolean;
    /** told how deletions were checked (also on a stream completed before: its recorded check) */
    onDeletionCheck?: (check: DeletionCheck | null) => void;
  },
): Promise<RowCounts> {
  const final = await withTransaction(pool, async (client) => {
    const stream = await lockStream(client, key);
    if (stream.status === 'succeeded') {
      return { counts: countsOf(stream), justCompleted: false, deletionCheck: stream.deletion_check };
    }
    assertRunWritable(key, stream);

    const tableCounts: TableCounts = { ...stream.table_counts };
    let deleted = 0;
    let deletionCheck: DeletionCheck = 'skipped';
    if (options.detectDeletions !== false) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ldsync.seen_keys WHERE ${STREAM_PK}`,
        [key.runId, key.stream, key.scope],
      );
      if ((rows[0]?.n ?? 0) !== stream.seen_key_count) {
        deletionCheck = 'seen_keys_lost';
      } else {
        deletionCheck = 'done';
        for (const spec of options.tables) {
          const gone = await markUnseenDeleted(client, key, spec, options.scopeValues);
          note(tableCounts, spec.table, gone.length);
          deleted += gone.length;
          for (const cascade of spec.cascades) {
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
    if (!row) throw new Error(`stream ${describeStream(key)} vanished while completing`);
    return { counts: countsOf(row), justCompleted: true, deletionCheck: deletionCheck as DeletionCheck | null };
  });
  options.onDeletionCheck?.(final.deletionCheck);
  if (final.justCompleted && final.counts.inserted >= ANALYZE_AFTER_INSERTS) {
    await refreshStatistics(pool, options.tables, final.counts.inserted);
  }
  return final.counts;
}

/** A first sync fills empty tables faster than autovacuum analyzes them. */
const ANALYZE_AFTER_INSERTS = 1000;
/** ...but a table is analyzed again only when this pass grew it by a fifth or more. */
const ANALYZE_GROWTH = 0.2;

/**
 * Without statistics the planner takes a freshly filled table for tiny and scans it whole on every
 * page instead of probing its primary key. Analyzing after every scope of a first sync re-reads the
 * whole growing table each time (a quarter of a first sync's statement time), so only a table that
 * this pass grew noticeably is analyzed. Best effort: SKIP_LOCKED never waits for autovacuum.
 */
async function refreshStatistics(pool: Pool, tables: readonly TableSpec[], inserted: number): Promise<void> {
  if (tables.length === 0) return;
  const names = tables.map((spec) => `launchdarkly.${ident(spec.table)}`);
  const { rows } = await pool
    .query<{ name: string; reltuples: number }>(
      `SELECT n AS name, c.reltuples::float8 AS reltuples FROM unnest($1::text[]) AS n JOIN pg_class c ON c.oid = n::regclass`,
      [names],
    )
    .catch(() => ({ rows: [] as { name: string; reltuples: number }[] }));
  // reltuples is -1 for a table never analyzed.
  const stale = rows.filter((r) => r.reltuples < 0 || inserted >= ANALYZE_GROWTH * r.reltuples).map((r) => r.name);
  if (stale.length === 0) return;
  await pool.query(`ANALYZE (SKIP_LOCKED) ${stale.join(', ')}`).catch(() => undefined);
}

function note(tableCounts: TableCounts, table: string, deleted: number): void {
  if (deleted === 0) return;
  const counts = tableCounts[table] ?? emptyRowCounts();
  tableCounts[table] = { ...counts, deleted: counts.deleted + deleted };
}
