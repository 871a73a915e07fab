// Keys of live (not deleted) rows, read back after a stream pass so that workflows fan out over
// what the database holds rather than carrying item lists through Temporal history.
import type { Pool } from 'pg';
import { ident, type TableSpec } from './table-spec';

/**
 * The distinct values of `column` among the live rows of `spec`'s table in one scope, sorted:
 * `liveKeys(pool, c, environments, 'environment_key', ['web'])` lists project web's environments.
 */
export async function liveKeys(
  pool: Pool,
  connectionId: string,
  spec: TableSpec,
  column: string,
  scopeValues: readonly string[],
): Promise<string[]> {
  if (!spec.key.includes(column)) throw new Error(`${column} is not a key column of ${spec.table}`);
  if (scopeValues.length !== spec.scope.length) {
    throw new Error(
      `${spec.table} is scoped by ${spec.scope.length} column(s) (${spec.scope.join(', ') || 'none'}), ` +
        `but ${scopeValues.length} scope value(s) were given`,
    );
  }
  const scope = spec.scope.map((c, i) => ` AND ${ident(c)} = $${i + 2}`).join('');
  const { rows } = await pool.query<{ key: string }>(
    `SELECT DISTINCT ${ident(column)} AS key FROM launchdarkly.${ident(spec.table)}
     WHERE connection_id = $1${scope} AND deleted_at IS NULL ORDER BY 1`,
    [connectionId, ...scopeValues],
  );
  return rows.map((r) => r.key);
}
