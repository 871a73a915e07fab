// Environments: GET /api/v2/projects/{projectKey}/environments, one pass per project. Fans out to
// the project's flags (their per-environment state) and one flag-status list per environment.
import { z } from 'zod';
import { enc, listEndpoint, rawOf, tags } from '../launchdarkly';
import { defineTable, listPages, type StreamDefinition } from './stream';

/** No documented maximum; 100 is the largest any v2 list is documented to accept. */
export const ENVIRONMENTS_PAGE_SIZE = 100;

export const EnvironmentSchema = z
  .looseObject({ key: z.string().min(1), name: z.string(), color: z.string(), critical: z.boolean().optional(), tags })
  .transform((e) => ({
    key: e.key,
    name: e.name,
    color: e.color,
    // Absent in pre-2024 responses (API.md §4.2): such environments were not marked critical.
    critical: e.critical ?? false,
    tags: e.tags ?? [],
    raw: rawOf(e),
  }));
export type Environment = z.output<typeof EnvironmentSchema>;

export function environmentsEndpoint(projectKey: string, limit = ENVIRONMENTS_PAGE_SIZE) {
  return listEndpoint({
    path: `/api/v2/projects/${enc(projectKey)}/environments`,
    pattern: '/api/v2/projects/{projectKey}/environments',
    label: `environments of project "${projectKey}"`,
    query: { limit, sort: 'createdOn' },
    schema: EnvironmentSchema,
    keyOf: (e) => e.key,
  });
}

const Params = z.object({ projectKey: z.string().min(1) });
type Params = z.output<typeof Params>;

export const environmentsTable = defineTable<Environment, Params>(['project_key'], {
  table: 'environments',
  key: { project_key: (_e, p) => p.projectKey, environment_key: (e) => e.key },
  columns: {
    name: ['text', (e) => e.name],
    color: ['text', (e) => e.color],
    critical: ['boolean', (e) => e.critical],
    tags: ['text[]', (e) => e.tags],
    raw: ['jsonb', (e) => e.raw],
  },
  cascades: [
    { child: 'flag_environments', match: ['project_key', 'environment_key'] },
    { child: 'flag_statuses', match: ['project_key', 'environment_key'] },
  ],
});

export const environmentsStream: StreamDefinition<Params, Environment> = {
  name: 'environments',
  activity: 'syncEnvironments',
  params: Params,
  scopeColumns: ['project_key'],
  scopeOf: (p) => [p.projectKey],
  label: (p) => `environments of project "${p.projectKey}"`,
  read: (p, cursor, { client, signal }) => listPages(client, environmentsEndpoint(p.projectKey), cursor, signal),
  tables: [environmentsTable],
  schedule: {
    summary: 'environments of project {projectKey}',
    // A project's slot covers its environments, flags and flag statuses; continue-as-new hands on the rest.
    from: { stream: 'projects', param: 'projectKey', each: true },
    window: { option: 'projectWindow', size: 4 },
    carriesOver: true,
  },
  fanOut: { column: 'environment_key' },
};
