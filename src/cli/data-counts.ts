// The synced data of one connection, table by table: live rows and rows marked deleted (a complete
// pass no longer saw them), for `ldsync status`. Table names are constants, never input.
import type { Pool } from 'pg';
import { DATA_TABLES } from '../streams';
import { formatTable } from './common';

export interface TableRowCount {
  table: string;
  /** rows with `deleted_at IS NULL` */
  live: number;
  /** rows with `deleted_at` set */
  deleted: number;
}

export async function dataRowCounts(pool: Pool, connectionId: string): Promise<TableRowCount[]> {
  const sql = DATA_TABLES.map(
    (table, i) =>
      `SELECT ${i} AS ord, count(*) FILTER (WHERE deleted_at IS NULL)::int AS live, ` +
      `count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted ` +
      `FROM launchdarkly.${table} WHERE connection_id = $1`,
  ).join(' UNION ALL ');
  const { rows } = await pool.query<{ ord: number; live: number; deleted: number }>(`${sql} ORDER BY ord`, [
    connectionId,
  ]);
  return rows.map((r) => ({ table: DATA_TABLES[r.ord] as string, live: r.live, deleted: r.deleted }));
}

export function formatDataRowCounts(connectionId: string, counts: TableRowCount[]): string {
  return [
    `data of connection "${connectionId}" (schema launchdarkly):`,
    formatTable([
      ['table', 'live rows', 'deleted rows'],
      ...counts.map((c) => [c.table, String(c.live), String(c.deleted)]),
    ]),
  ].join('\n');
}
