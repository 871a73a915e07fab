// Projects: GET /api/v2/projects, the root of the account. Fans out to each project's environments
// and flags; a deleted project takes everything under it along.
import { z } from 'zod';
import { listEndpoint, rawOf, tags } from '../launchdarkly';
import { accountWide, defineTable, listPages, type AccountWide, type StreamDefinition } from './stream';

/**
 * Projects document no maximum page size: 100 is the largest any v2 list is documented to accept and
 * what other production clients use (Port); the list is short, so a bigger page saves a request or two.
 */
export const PROJECTS_PAGE_SIZE = 100;

export const ProjectSchema = z
  .looseObject({ key: z.string().min(1), name: z.string(), tags })
  .transform((p) => ({ key: p.key, name: p.name, tags: p.tags ?? [], raw: rawOf(p) }));
export type Project = z.output<typeof ProjectSchema>;

export function projectsEndpoint(limit = PROJECTS_PAGE_SIZE) {
  return listEndpoint({
    path: '/api/v2/projects',
    pattern: '/api/v2/projects',
    label: 'projects',
    // createdOn: new projects land at the end, so offset pages do not shift under a running read.
    query: { limit, sort: 'createdOn' },
    schema: ProjectSchema,
    keyOf: (p) => p.key,
  });
}

export const projectsTable = defineTable<Project, AccountWide>([], {
  table: 'projects',
  key: { project_key: (p) => p.key },
  columns: {
    name: ['text', (p) => p.name],
    tags: ['text[]', (p) => p.tags],
    raw: ['jsonb', (p) => p.raw],
  },
  cascades: [
    { child: 'environments', match: ['project_key'] },
    { child: 'flags', match: ['project_key'] },
    { child: 'flag_environments', match: ['project_key'] },
    { child: 'flag_statuses', match: ['project_key'] },
  ],
});

export const projectsStream: StreamDefinition<AccountWide, Project> = {
  name: 'projects',
  activity: 'syncProjects',
  ...accountWide,
  label: () => 'projects',
  read: (_params, cursor, { client, signal }) => listPages(client, projectsEndpoint(), cursor, signal),
  tables: [projectsTable],
  schedule: { summary: 'projects' },
  fanOut: { column: 'project_key' },
};
