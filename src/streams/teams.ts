// Teams: GET /api/v2/teams. Not in every plan: `not_entitled` skips this stream and its maintainers
// instead of failing the run. Fans out to each team's maintainers.
import { z } from 'zod';
import { epochMs, listEndpoint, optionalText, rawOf } from '../launchdarkly';
import { accountWide, defineTable, isoFromEpochMs, listPages, type AccountWide, type StreamDefinition } from './stream';

/** The documented maximum (API.md §4). */
export const TEAMS_PAGE_SIZE = 100;

export const TeamSchema = z
  .looseObject({
    key: z.string().min(1),
    name: z.string(),
    description: optionalText,
    _creationDate: epochMs.nullish(),
    _lastModified: epochMs.nullish(),
  })
  .transform((t) => ({
    key: t.key,
    name: t.name,
    description: t.description ?? null,
    creationDate: t._creationDate ?? null,
    lastModified: t._lastModified ?? null,
    raw: rawOf(t),
  }));
export type Team = z.output<typeof TeamSchema>;

export function teamsEndpoint(limit = TEAMS_PAGE_SIZE) {
  return listEndpoint({
    path: '/api/v2/teams',
    pattern: '/api/v2/teams',
    label: 'teams',
    teams: 'list',
    query: { limit },
    schema: TeamSchema,
    keyOf: (t) => t.key,
  });
}

export const teamsTable = defineTable<Team, AccountWide>([], {
  table: 'teams',
  key: { team_key: (t) => t.key },
  columns: {
    name: ['text', (t) => t.name],
    description: ['text', (t) => t.description],
    created_at: ['timestamptz', (t) => isoFromEpochMs(t.creationDate)],
    // LaunchDarkly's `_lastModified`; our own `updated_at` is when our copy changed.
    ld_updated_at: ['timestamptz', (t) => isoFromEpochMs(t.lastModified)],
    raw: ['jsonb', (t) => t.raw],
  },
  cascades: [{ child: 'team_maintainers', match: ['team_key'] }],
});

export const teamsStream: StreamDefinition<AccountWide, Team> = {
  name: 'teams',
  activity: 'syncTeams',
  ...accountWide,
  label: () => 'teams',
  read: (_params, cursor, { client, signal }) => listPages(client, teamsEndpoint(), cursor, signal),
  tables: [teamsTable],
  schedule: { summary: 'teams' },
  fanOut: { column: 'team_key' },
  skipWhenNotEntitled: true,
};
