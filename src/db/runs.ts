// Sync runs (`ldsync.sync_runs`): at most one running row per connection, enforced by a partial
// unique index so that two starters cannot both win, and idempotent per Temporal workflow run so
// that a retried beginRun/finishRun activity changes nothing the second time.
import type { Pool, PoolClient } from 'pg';
import {
  emptyRowCounts,
  STREAMS,
  type RowCounts,
  type RunStatus,
  type RunTrigger,
  type StreamName,
  type StreamStatus,
} from '../shared';
import { withTransaction } from './transaction';

export type FinishedRunStatus = Exclude<RunStatus, 'running'>;

/** Row counts summed over a run's streams, plus the requests and pages they took. */
export interface RunTotals extends RowCounts {
  requests: number;
  pages: number;
}

export interface RunRecord {
  id: string;
  connectionId: string;
  workflowId: string;
  workflowRunId: string;
  trigger: string;
  status: RunStatus;
  startedAt: Date;
  finishedAt: Date | null;
  errorType: string | null;
  errorMessage: string | null;
  /** Final totals once finished; summed live from the streams while running. */
  totals: RunTotals;
  /**
   * `stream/scope` (`flags/web`, `tags/`) of every stream whose deletions could not be checked in this
   * run (deletion_check `seen_keys_lost`): rows deleted upstream there are not marked until the next
   * run. Empty when deletions were checked everywhere. Live while the run is running.
   */
  deletionsUnchecked: string[];
}

export interface StreamRecord {
  stream: StreamName;
  scope: string;
  status: StreamStatus;
  cursor: string | null;
  requests: number;
  pages: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsUnchanged: number;
  rowsDeleted: number;
  /** The same counts per table (a flags pass writes flags and flag_environments). */
  tableCounts: Record<string, RowCounts>;
  deletionCheck: 'done' | 'skipped' | 'seen_keys_lost' | null;
  errorType: string | null;
  errorMessage: string | null;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  waitingUntil: Date | null;
}

export interface BeginRunInput {
  connectionId: string;
  workflowId: string;
  workflowRunId: string;
  /** How the run started: `schedule`, `manual` (CLI or Web UI), or `workflow` (a run too old to say). */
  trigger: RunTrigger | 'workflow' | 'test' | 'bench';
}

/** A run that began (or had begun: `resumed`, for a retried activity). */
export interface BegunRun {
  runId: string;
  resumed: boolean;
}

export type BeginRunResult =
  BegunRun | { conflict: { runId: string; workflowId: string; workflowRunId: string; startedAt: Date } };

const MAX_ERROR_MESSAGE = 2000;

/**
 * Records the start of a run. The same workflowRunId again returns its existing row (resumed: true);
 * a running row of another workflow run for the connection returns `conflict` instead (map it to
 * `sync_already_running`, or abandon that row with abandonRun if Temporal says its run is closed).
 */
export async function beginRun(pool: Pool, input: BeginRunInput): Promise<BeginRunResult> {
  // Between the insert and the look-ups the other run may finish; a few tries settle it.
  for (let attempt = 0; attempt < 5; attempt++) {
    const inserted = await pool.query<{ id: string }>(
      `INSERT INTO ldsync.sync_runs (connection_id, workflow_id, workflow_run_id, trigger, status)
       VALUES ($1, $2, $3, $4, 'running')
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [input.connectionId, input.workflowId, input.workflowRunId, input.trigger],
    );
    const created = inserted.rows[0];
    if (created) {
      await forgetSeenKeysOfFinishedRuns(pool, input.connectionId);
      return { runId: created.id, resumed: false };
    }
    const same = await pool.query<{ id: string; connection_id: string }>(
      'SELECT id, connection_id FROM ldsync.sync_runs WHERE workflow_run_id = $1',
      [input.workflowRunId],
    );
    const existing = same.rows[0];
    if (existing) {
      if (existing.connection_id !== input.connectionId) {
        throw new Error(
          `workflow run ${input.workflowRunId} already has a sync run for connection "${existing.connection_id}"`,
        );
      }
      return { runId: existing.id, resumed: true };
    }
    const running = await pool.query<{ id: string; workflow_id: string; workflow_run_id: string; started_at: Date }>(
      `SELECT id, workflow_id, workflow_run_id, started_at FROM ldsync.sync_runs
       WHERE connection_id = $1 AND status = 'running'`,
      [input.connectionId],
    );
    const other = running.rows[0];
    if (other) {
      return {
        conflict: {
          runId: other.id,
          workflowId: other.workflow_id,
          workflowRunId: other.workflow_run_id,
          startedAt: other.started_at,
        },
      };
    }
  }
  throw new Error(`could not record a run for connection "${input.connectionId}": runs kept starting and finishing`);
}

/**
 * Ends a run (idempotent: a finished run is returned unchanged). Totals are summed from its streams;
 * streams still running are closed as cancelled (run cancelled) or failed (otherwise), and the
 * run's seen keys are dropped.
 */
export async function finishRun(
  pool: Pool,
  runId: string,
  outcome: { status: FinishedRunStatus; errorType?: string; errorMessage?: string },
): Promise<RunRecord> {
  return withTransaction(pool, async (client) => {
    const run = await lockRun(client, runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    if (run.status !== 'running') return toRunRecord(run, null);
    await closeRun(client, runId, outcome.status, outcome.errorType ?? null, outcome.errorMessage ?? null);
    const finished = await lockRun(client, runId);
    if (!finished) throw new Error(`run ${runId} vanished while finishing`);
    return toRunRecord(finished, null);
  });
}

/**
 * Marks a stale `running` row failed (error type `abandoned`), e.g. when Temporal reports that its
 * workflow run is closed. Returns false if the run was not running.
 */
export async function abandonRun(pool: Pool, runId: string, reason: string): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const run = await lockRun(client, runId);
    if (!run || run.status !== 'running') return false;
    await closeRun(client, runId, 'failed', 'abandoned', reason);
    return true;
  });
}

/** The connection's most recent runs, newest first. */
export async function listRuns(pool: Pool, connectionId: string, limit = 20): Promise<RunRecord[]> {
  const { rows } = await pool.query<RunDbRow & LiveTotalsRow>(
    `SELECT r.*, t.* FROM ldsync.sync_runs r
     LEFT JOIN LATERAL (${LIVE_TOTALS_SQL} WHERE st.run_id = r.id) t ON true
     WHERE r.connection_id = $1
     ORDER BY r.started_at DESC, r.id
     LIMIT $2`,
    [connectionId, Math.max(1, Math.floor(limit))],
  );
  return rows.map((row) => toRunRecord(row, row));
}

export async function getRunWithStreams(
  pool: Pool,
  runId: string,
): Promise<{ run: RunRecord; streams: StreamRecord[] } | null> {
  const runs = await pool.query<RunDbRow & LiveTotalsRow>(
    `SELECT r.*, t.* FROM ldsync.sync_runs r
     LEFT JOIN LATERAL (${LIVE_TOTALS_SQL} WHERE st.run_id = r.id) t ON true
     WHERE r.id = $1`,
    [runId],
  );
  const run = runs.rows[0];
  if (!run) return null;
  const streams = await pool.query<StreamDbRow>(
    `SELECT * FROM ldsync.sync_run_streams WHERE run_id = $1
     ORDER BY array_position($2::text[], stream), scope`,
    [runId, STREAM_ORDER],
  );
  return { run: toRunRecord(run, run), streams: streams.rows.map(toStreamRecord) };
}

// ---------------------------------------------------------------------------------------------

const STREAM_ORDER: readonly string[] = STREAMS;

const LIVE_TOTALS_SQL = `
  SELECT coalesce(array_agg(st.stream || '/' || st.scope ORDER BY st.stream, st.scope)
                    FILTER (WHERE st.deletion_check = 'seen_keys_lost'), '{}') AS live_deletions_unchecked,
         coalesce(sum(st.rows_inserted), 0)::int AS live_inserted,
         coalesce(sum(st.rows_updated), 0)::int AS live_updated,
         coalesce(sum(st.rows_unchanged), 0)::int AS live_unchanged,
         coalesce(sum(st.rows_deleted), 0)::int AS live_deleted,
         coalesce(sum(st.requests), 0)::int AS live_requests,
         coalesce(sum(st.pages), 0)::int AS live_pages
  FROM ldsync.sync_run_streams st`;

interface LiveTotalsRow {
  live_deletions_unchecked: string[];
  live_inserted: number;
  live_updated: number;
  live_unchanged: number;
  live_deleted: number;
  live_requests: number;
  live_pages: number;
}

interface RunDbRow {
  id: string;
  connection_id: string;
  workflow_id: string;
  workflow_run_id: string;
  trigger: string;
  status: RunStatus;
  started_at: Date;
  finished_at: Date | null;
  error_type: string | null;
  error_message: string | null;
  totals: RunTotals | null;
  deletions_unchecked: string[] | null;
}

interface StreamDbRow {
  stream: StreamName;
  scope: string;
  status: StreamStatus;
  cursor: string | null;
  requests: number;
  pages: number;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  rows_deleted: number;
  table_counts: Record<string, RowCounts>;
  deletion_check: StreamRecord['deletionCheck'];
  error_type: string | null;
  error_message: string | null;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  waiting_until: Date | null;
}

async function lockRun(client: PoolClient, runId: string): Promise<RunDbRow | undefined> {
  const { rows } = await client.query<RunDbRow>('SELECT * FROM ldsync.sync_runs WHERE id = $1 FOR UPDATE', [runId]);
  return rows[0];
}

async function closeRun(
  client: PoolClient,
  runId: string,
  status: FinishedRunStatus,
  errorType: string | null,
  errorMessage: string | null,
): Promise<void> {
  await client.query(
    `UPDATE ldsync.sync_run_streams SET
       status = $2, error_message = coalesce(error_message, $3), finished_at = now(), waiting_until = NULL, updated_at = now()
     WHERE run_id = $1 AND status IN ('pending', 'running')`,
    [runId, status === 'cancelled' ? 'cancelled' : 'failed', 'the run ended before this stream completed'],
  );
  await client.query(
    `UPDATE ldsync.sync_runs r SET
       status = $2, error_type = $3, error_message = $4, finished_at = now(),
       totals = (SELECT jsonb_build_object(
                  'inserted', t.live_inserted, 'updated', t.live_updated, 'unchanged', t.live_unchanged,
                  'deleted', t.live_deleted, 'requests', t.live_requests, 'pages', t.live_pages)
                FROM (${LIVE_TOTALS_SQL} WHERE st.run_id = r.id) t),
       deletions_unchecked = (SELECT t.live_deletions_unchecked FROM (${LIVE_TOTALS_SQL} WHERE st.run_id = r.id) t)
     WHERE id = $1`,
    [runId, status, errorType, errorMessage?.slice(0, MAX_ERROR_MESSAGE) ?? null],
  );
  await client.query('DELETE FROM ldsync.seen_keys WHERE run_id = $1', [runId]);
}

/** Seen keys of runs that ended without finishRun's clean-up (abandoned workers) are garbage. */
async function forgetSeenKeysOfFinishedRuns(pool: Pool, connectionId: string): Promise<void> {
  await pool.query(
    `DELETE FROM ldsync.seen_keys WHERE run_id IN (
       SELECT id FROM ldsync.sync_runs WHERE connection_id = $1 AND status <> 'running')`,
    [connectionId],
  );
}

function toRunRecord(row: RunDbRow, live: LiveTotalsRow | null): RunRecord {
  const totals: RunTotals =
    row.totals ??
    (live
      ? {
          inserted: live.live_inserted,
          updated: live.live_updated,
          unchanged: live.live_unchanged,
          deleted: live.live_deleted,
          requests: live.live_requests,
          pages: live.live_pages,
        }
      : { ...emptyRowCounts(), requests: 0, pages: 0 });
  return {
    id: row.id,
    connectionId: row.connection_id,
    workflowId: row.workflow_id,
    workflowRunId: row.workflow_run_id,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    errorType: row.error_type,
    errorMessage: row.error_message,
    totals,
    deletionsUnchecked:
      row.status === 'running' && live ? live.live_deletions_unchecked : (row.deletions_unchecked ?? []),
  };
}

function toStreamRecord(row: StreamDbRow): StreamRecord {
  return {
    stream: row.stream,
    scope: row.scope,
    status: row.status,
    cursor: row.cursor,
    requests: row.requests,
    pages: row.pages,
    rowsInserted: row.rows_inserted,
    rowsUpdated: row.rows_updated,
    rowsUnchanged: row.rows_unchanged,
    rowsDeleted: row.rows_deleted,
    tableCounts: row.table_counts,
    deletionCheck: row.deletion_check,
    errorType: row.error_type,
    errorMessage: row.error_message,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    waitingUntil: row.waiting_until,
  };
}
