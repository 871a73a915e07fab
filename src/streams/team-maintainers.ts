// Team maintainers: GET /api/v2/teams/{teamKey}/maintainers, one pass per team.
import { z } from 'zod';
import { enc, listEndpoint, optionalText, rawOf } from '../launchdarkly';
import { defineTable, listPages, type StreamDefinition } from './stream';

/** No documented maximum; 100 is the largest any v2 list is documented to accept. */
export const TEAM_MAINTAINERS_PAGE_SIZE = 100;

export const TeamMaintainerSchema = z
  .looseObject({
    _id: z.string().min(1),
    email: z.string(),
    firstName: optionalText,
    lastName: optionalText,
    role: z.string(),
  })
  .transform((m) => ({
    id: m._id,
    email: m.email,
    firstName: m.firstName ?? null,
    lastName: m.lastName ?? null,
    role: m.role,
    raw: rawOf(m),
  }));
export type TeamMaintainer = z.output<typeof TeamMaintainerSchema>;

export function teamMaintainersEndpoint(teamKey: string, limit = TEAM_MAINTAINERS_PAGE_SIZE) {
  return listEndpoint({
    path: `/api/v2/teams/${enc(teamKey)}/maintainers`,
    pattern: '/api/v2/teams/{teamKey}/maintainers',
    label: `maintainers of team "${teamKey}"`,
    teams: 'maintainers',
    query: { limit },
    schema: TeamMaintainerSchema,
    keyOf: (m) => m.id,
  });
}

const Params = z.object({ teamKey: z.string().min(1) });
type Params = z.output<typeof Params>;

export const teamMaintainersTable = defineTable<TeamMaintainer, Params>(['team_key'], {
  table: 'team_maintainers',
  key: { team_key: (_m, p) => p.teamKey, member_id: (m) => m.id },
  columns: {
    email: ['text', (m) => m.email],
    first_name: ['text', (m) => m.firstName],
    last_name: ['text', (m) => m.lastName],
    role: ['text', (m) => m.role],
    raw: ['jsonb', (m) => m.raw],
  },
});

export const teamMaintainersStream: StreamDefinition<Params, TeamMaintainer> = {
  name: 'team_maintainers',
  activity: 'syncTeamMaintainers',
  params: Params,
  scopeColumns: ['team_key'],
  scopeOf: (p) => [p.teamKey],
  label: (p) => `maintainers of team "${p.teamKey}"`,
  read: (p, cursor, { client, signal }) => listPages(client, teamMaintainersEndpoint(p.teamKey), cursor, signal),
  tables: [teamMaintainersTable],
  schedule: {
    summary: 'maintainers of team {teamKey}',
    from: { stream: 'teams', param: 'teamKey', each: true },
    window: { option: 'teamWindow', size: 4 },
  },
};
