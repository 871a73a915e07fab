// Deletion detection after a complete pass: the scope's live rows whose keys the pass did not record
// in ldsync.seen_keys are marked deleted, and so are their dependents (the table's cascades).
import type { PoolClient } from 'pg';
import type { StreamKey } from './stream-rows';
import { ident, type Cascade, type TableSpec } from './table-spec';

/** How a completed pass checked deletions; `seen_keys_lost`: it could not (see completeStream). */
export type DeletionCheck = 'done' | 'skipped' | 'seen_keys_lost';

/** Marks the scope's live rows that the pass did not see; returns their keys. */
export async function markUnseenDeleted(
  client: PoolClient,
  key: StreamKey,
  spec: TableSpec,
  scopeValues: readonly string[],
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

/** Marks the live dependents of the deleted parent rows; returns how many. */
export async function cascadeDeletion(
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
