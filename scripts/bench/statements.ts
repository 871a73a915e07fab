// pg_stat_statements around a sync, when the server loads it (shared_preload_libraries): reset
// before, read after, for the statements of one database.
import pg from 'pg';

export interface StatementStat {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  sharedBlksHit: number;
  sharedBlksRead: number;
  walBytes: number;
}

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** True when pg_stat_statements is loaded and usable from the admin database (it is created there if needed). */
export async function statementsAvailable(adminUrl: string): Promise<boolean> {
  return withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query<{ v: string }>(`SELECT current_setting('shared_preload_libraries') AS v`);
    if (!(rows[0]?.v ?? '').includes('pg_stat_statements')) return false;
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    return true;
  });
}

export async function resetStatements(adminUrl: string): Promise<void> {
  await withAdmin(adminUrl, (c) => c.query('SELECT pg_stat_statements_reset()'));
}

export async function readStatements(adminUrl: string, database: string, top = 30): Promise<StatementStat[]> {
  return withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query<{
      query: string;
      calls: string;
      total: number;
      mean: number;
      rows: string;
      hit: string;
      read: string;
      wal: string;
    }>(
      `SELECT s.query, s.calls::text, s.total_exec_time AS total, s.mean_exec_time AS mean, s.rows::text,
              s.shared_blks_hit::text AS hit, s.shared_blks_read::text AS read, s.wal_bytes::text AS wal
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = $1 ORDER BY s.total_exec_time DESC LIMIT $2`,
      [database, top],
    );
    return rows.map((r) => ({
      query: r.query.replace(/\s+/g, ' ').slice(0, 400),
      calls: Number(r.calls),
      totalMs: r.total,
      meanMs: r.mean,
      rows: Number(r.rows),
      sharedBlksHit: Number(r.hit),
      sharedBlksRead: Number(r.read),
      walBytes: Number(r.wal),
    }));
  });
}

export function formatStatements(stats: StatementStat[]): string {
  const total = stats.reduce((n, s) => n + s.totalMs, 0);
  return stats
    .map(
      (s) =>
        `${s.totalMs.toFixed(0).padStart(8)} ms ${((100 * s.totalMs) / Math.max(1, total)).toFixed(1).padStart(5)} % ` +
        `${String(s.calls).padStart(7)} calls ${s.meanMs.toFixed(2).padStart(8)} ms/call ${String(s.rows).padStart(8)} rows  ` +
        s.query.slice(0, 160),
    )
    .join('\n');
}
