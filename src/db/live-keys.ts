// Keys of live (not deleted) rows, read back after a stream pass so that workflows fan out over
// what the database holds rather than carrying item lists through Temporal history.
import type { Pool } from 'pg';

/** Live project or team keys of a connection, sorted. */
export function activeKeys(pool: Pool, connectionId: string, table: 'projects' | 'teams'): Promise<string[]>;
/** Live environment keys of one project, sorted. */
export function activeKeys(
  pool: Pool,
  connectionId: string,
  table: 'environments',
  projectKey: string,
): Promise<string[]>;
export async function activeKeys(
  pool: Pool,
  connectionId: string,
  table: 'projects' | 'teams' | 'environments',
  projectKey?: string,
): Promise<string[]> {
  const query = {
    projects: 'SELECT project_key AS key FROM launchdarkly.projects WHERE connection_id = $1 AND deleted_at IS NULL',
    teams: 'SELECT team_key AS key FROM launchdarkly.teams WHERE connection_id = $1 AND deleted_at IS NULL',
    environments:
      'SELECT environment_key AS key FROM launchdarkly.environments WHERE connection_id = $1 AND project_key = $2 AND deleted_at IS NULL',
  }[table];
  const params = table === 'environments' ? [connectionId, projectKey ?? ''] : [connectionId];
  const { rows } = await pool.query<{ key: string }>(`${query} ORDER BY 1`, params);
  return rows.map((r) => r.key);
}

/** Live flag keys of one project (archived flags included: they are data), sorted. */
export async function activeFlagKeys(pool: Pool, connectionId: string, projectKey: string): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(
    `SELECT flag_key AS key FROM launchdarkly.flags
     WHERE connection_id = $1 AND project_key = $2 AND deleted_at IS NULL ORDER BY 1`,
    [connectionId, projectKey],
  );
  return rows.map((r) => r.key);
}
