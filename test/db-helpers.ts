// Shared by the test/db-*.test.ts files: the admin database URL and small row builders.
import type { Pool } from 'pg';
import { beginRun } from '../src/db/runs';
import type { EnvironmentRow, FlagEnvironmentRow, FlagRow, FlagStatusRow, ProjectRow } from '../src/db/rows';

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

export const project = (projectKey: string, name = `Project ${projectKey}`): ProjectRow => ({
  projectKey,
  name,
  tags: ['t1'],
  raw: { key: projectKey, name, tags: ['t1'] },
});

export const environment = (projectKey: string, environmentKey: string): EnvironmentRow => ({
  projectKey,
  environmentKey,
  name: environmentKey,
  color: 'F5A623',
  critical: environmentKey === 'production',
  tags: [],
  raw: { key: environmentKey },
});

export const flag = (projectKey: string, flagKey: string, overrides: Partial<FlagRow> = {}): FlagRow => ({
  projectKey,
  flagKey,
  name: flagKey,
  description: null,
  kind: 'boolean',
  temporary: true,
  archived: false,
  deprecated: false,
  createdAt: new Date('2024-06-13T17:27:27.527Z'),
  archivedAt: null,
  deprecatedAt: null,
  maintainerId: 'm1',
  maintainerTeamKey: 'team-a',
  tags: [],
  raw: { key: flagKey },
  ...overrides,
});

export const flagEnvironment = (
  projectKey: string,
  flagKey: string,
  environmentKey: string,
  on = true,
): FlagEnvironmentRow => ({
  projectKey,
  flagKey,
  environmentKey,
  on,
  archived: false,
  lastModified: new Date('2024-06-14T00:00:00.000Z'),
  version: 3,
  raw: { on },
});

export const flagStatus = (
  projectKey: string,
  environmentKey: string,
  flagKey: string,
  status = 'active',
): FlagStatusRow => ({
  projectKey,
  environmentKey,
  flagKey,
  status,
  lastRequested: status === 'inactive' ? null : new Date('2024-06-15T00:00:00.000Z'),
  defaultValue: false,
  raw: { name: status },
});
