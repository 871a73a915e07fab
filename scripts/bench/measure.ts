// What the bench reads after a sync: the run's rows in ldsync.sync_runs / sync_run_streams, what
// the data tables hold and what changed in them, and the parent workflow's history.
import type pg from 'pg';
import { DATA_TABLES } from '../../src/streams';
import type { TemporalClient } from '../../src/temporal/connection';

export interface RunFacts {
  runId: string;
  status: string;
  dbMs: number;
  requests: number;
  pages: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  streams: number;
}

export async function latestRun(pool: pg.Pool, connectionId: string): Promise<RunFacts> {
  const { rows } = await pool.query<{
    id: string;
    status: string;
    ms: number;
    requests: number;
    pages: number;
    inserted: number;
    updated: number;
    unchanged: number;
    deleted: number;
    streams: number;
  }>(
    `SELECT r.id, r.status, (extract(epoch FROM r.finished_at - r.started_at) * 1000)::float8 AS ms,
            coalesce(sum(s.requests), 0)::int AS requests, coalesce(sum(s.pages), 0)::int AS pages,
            coalesce(sum(s.rows_inserted), 0)::int AS inserted, coalesce(sum(s.rows_updated), 0)::int AS updated,
            coalesce(sum(s.rows_unchanged), 0)::int AS unchanged, coalesce(sum(s.rows_deleted), 0)::int AS deleted,
            count(s.*)::int AS streams
     FROM ldsync.sync_runs r LEFT JOIN ldsync.sync_run_streams s ON s.run_id = r.id
     WHERE r.connection_id = $1
     GROUP BY r.id ORDER BY r.started_at DESC LIMIT 1`,
    [connectionId],
  );
  const r = rows[0];
  if (!r) throw new Error(`no run recorded for ${connectionId}`);
  return {
    runId: r.id,
    status: r.status,
    dbMs: r.ms,
    requests: r.requests,
    pages: r.pages,
    inserted: r.inserted,
    updated: r.updated,
    unchanged: r.unchanged,
    deleted: r.deleted,
    streams: r.streams,
  };
}

/** Live rows per data table. */
export async function liveRows(pool: pg.Pool, connectionId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of DATA_TABLES) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM launchdarkly.${t} WHERE connection_id = $1 AND deleted_at IS NULL`,
      [connectionId],
    );
    out[t] = rows[0]?.n ?? 0;
  }
  return out;
}

/** Rows whose first_seen_at, updated_at or deleted_at is at or after `since` (the database's clock). */
export async function rowsTouchedSince(pool: pg.Pool, connectionId: string, since: Date): Promise<number> {
  let n = 0;
  for (const t of DATA_TABLES) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM launchdarkly.${t}
       WHERE connection_id = $1 AND (updated_at >= $2 OR first_seen_at >= $2 OR deleted_at >= $2)`,
      [connectionId, since],
    );
    n += rows[0]?.n ?? 0;
  }
  return n;
}

export async function databaseNow(pool: pg.Pool): Promise<Date> {
  const { rows } = await pool.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  return rows[0]?.now ?? new Date();
}

/** Tuples inserted / updated / deleted per data table so far (cumulative statistics). */
export async function tupleWrites(pool: pg.Pool): Promise<Record<string, number>> {
  await pool.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await pool.query<{ t: string; ins: string; upd: string; del: string }>(
    `SELECT relname AS t, n_tup_ins::text AS ins, n_tup_upd::text AS upd, n_tup_del::text AS del
     FROM pg_stat_user_tables WHERE schemaname = 'launchdarkly'`,
  );
  const out: Record<string, number> = {};
  for (const r of rows) {
    out[`${r.t}.inserted`] = Number(r.ins);
    out[`${r.t}.updated`] = Number(r.upd);
    out[`${r.t}.deleted`] = Number(r.del);
  }
  return out;
}

/** `after - before`, keeping only what changed. */
export function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

export interface HistoryFacts {
  events: number;
  activities: number;
  children: number;
  /** events beyond 3 per activity and child: the "constant" of "constant + about 3 per activity" */
  overhead: number;
  continuedAsNew: boolean;
  byType: Record<string, number>;
}

export async function parentHistory(temporal: TemporalClient, workflowId: string): Promise<HistoryFacts> {
  const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const byType: Record<string, number> = {};
  for (const e of events) {
    const type = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]);
    const name = (type ?? 'unknown').replace(/EventAttributes$/, '');
    byType[name] = (byType[name] ?? 0) + 1;
  }
  const activities = byType.activityTaskScheduled ?? 0;
  const children = byType.startChildWorkflowExecutionInitiated ?? 0;
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  return {
    events: events.length,
    activities,
    children,
    overhead: events.length - 3 * (activities + children),
    continuedAsNew: Boolean(started?.continuedExecutionRunId),
    byType: Object.fromEntries(Object.entries(byType).sort((a, b) => b[1] - a[1])),
  };
}

/** Start to close of the latest run of `workflowId`, from Temporal. */
export async function workflowMs(temporal: TemporalClient, workflowId: string): Promise<number | null> {
  const d = await temporal.client.workflow.getHandle(workflowId).describe();
  if (!d.closeTime) return null;
  return d.closeTime.getTime() - d.startTime.getTime();
}
