// Shared by the test/db-*.test.ts files: the admin database URL, small column-record builders, and
// writePage/completeStream wrappers that take writes by table name, as the catalog's specs know them.
import type { Pool } from 'pg';
import {
  completeStream as completeStreamOf,
  writePage as writePageOf,
  type ColumnRecord,
  type StreamKey,
  type TableWrite,
} from '../src/db';
import { beginRun } from '../src/db/runs';
import type { RowCounts } from '../src/shared';
import { CATALOG, DATA_TABLE_SPECS } from '../src/streams';

/** The server the tests may create databases on (scripts/run-tests.ts sets it; CI uses an embedded one). */
export function adminDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must name a Postgres server where tests may create databases');
  return url;
}

let runCounter = 0;

/** Begins a fresh run for the connection and returns its id. */
export async function newRun(pool: Pool, connectionId: string): Promise<string> {
  runCounter += 1;
  const begun = await beginRun(pool, {
    connectionId,
    workflowId: `ldsync-${connectionId}`,
    workflowRunId: `wf-run-${process.pid}-${Date.now()}-${runCounter}`,
    trigger: 'test',
  });
  if (!('runId' in begun)) throw new Error(`a run of ${connectionId} is still running`);
  return begun.runId;
}

/** Rows for one table, named as the catalog names it. */
export interface NamedWrite {
  table: string;
  rows: ColumnRecord[];
}

function specOf(table: string) {
  const spec = DATA_TABLE_SPECS.find((s) => s.table === table);
  if (!spec) throw new Error(`no table ${table} in the catalog`);
  return spec;
}

function scopeValuesOf(key: StreamKey): string[] {
  const definition = CATALOG[key.stream as keyof typeof CATALOG];
  if (!definition || definition.scopeColumns.length === 0) return [];
  return key.scope.split('/');
}

export function toTableWrites(writes: NamedWrite[]): TableWrite[] {
  return writes.map((w) => ({ spec: specOf(w.table), records: w.rows }));
}

export function writePage(
  pool: Pool,
  key: StreamKey,
  page: { cursor: string | null; requests: number; writes: NamedWrite[]; after?: string | null },
): Promise<RowCounts> {
  return writePageOf(pool, key, { ...page, writes: toTableWrites(page.writes), scopeValues: scopeValuesOf(key) });
}

export function completeStream(
  pool: Pool,
  key: StreamKey,
  options: {
    detectDeletions?: boolean;
    onDeletionCheck?: Parameters<typeof completeStreamOf>[2]['onDeletionCheck'];
  } = {},
): Promise<RowCounts> {
  const definition = CATALOG[key.stream as keyof typeof CATALOG];
  return completeStreamOf(pool, key, {
    ...options,
    tables: definition.tables.map((t) => t.spec),
    scopeValues: scopeValuesOf(key),
  });
}

/** Shows that a stream sleeps on a rate limit until `until` (nothing in the sync sets it any more; it is cleared). */
export async function setStreamWaiting(pool: Pool, key: StreamKey, until: Date | null): Promise<void> {
  await pool.query(
    `UPDATE ldsync.sync_run_streams SET waiting_until = $4 WHERE run_id = $1 AND stream = $2 AND scope = $3`,
    [key.runId, key.stream, key.scope, until],
  );
}

const iso = (d: string): string => new Date(d).toISOString();

export const project = (projectKey: string, name = `Project ${projectKey}`): ColumnRecord => ({
  project_key: projectKey,
  name,
  tags: ['t1'],
  raw: { key: projectKey, name, tags: ['t1'] },
});

export const environment = (projectKey: string, environmentKey: string): ColumnRecord => ({
  project_key: projectKey,
  environment_key: environmentKey,
  name: environmentKey,
  color: 'F5A623',
  critical: environmentKey === 'production',
  tags: [],
  raw: { key: environmentKey },
});

export const flag = (projectKey: string, flagKey: string, overrides: ColumnRecord = {}): ColumnRecord => ({
  project_key: projectKey,
  flag_key: flagKey,
  name: flagKey,
  description: null,
  kind: 'boolean',
  temporary: true,
  archived: false,
  deprecated: false,
  created_at: iso('2024-06-13T17:27:27.527Z'),
  archived_at: null,
  deprecated_at: null,
  maintainer_id: 'm1',
  maintainer_team_key: 'team-a',
  tags: [],
  raw: { key: flagKey },
  ...overrides,
});

export const flagEnvironment = (
  projectKey: string,
  flagKey: string,
  environmentKey: string,
  on = true,
): ColumnRecord => ({
  project_key: projectKey,
  flag_key: flagKey,
  environment_key: environmentKey,
  on,
  archived: false,
  last_modified: iso('2024-06-14T00:00:00.000Z'),
  version: 3,
  raw: { on },
});

export const flagStatus = (
  projectKey: string,
  environmentKey: string,
  flagKey: string,
  status = 'active',
): ColumnRecord => ({
  project_key: projectKey,
  environment_key: environmentKey,
  flag_key: flagKey,
  status,
  last_requested: status === 'inactive' ? null : iso('2024-06-15T00:00:00.000Z'),
  default_value: false,
  raw: { name: status },
});

/** A tag: the `raw` column holds the string itself. */
export const tag = (name: string): ColumnRecord => ({ tag: name, raw: name });
