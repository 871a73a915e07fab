// The fewest requests the API allows for an account, per endpoint: largest page sizes, 3
// environments per flags request, live and archived passes, one status list per project and
// environment. Page sizes, flag passes and routes come from the stream modules (src/streams), the
// declarations the sync itself reads with, so this count cannot drift from what the sync requests.
import type { ListEndpoint } from '../../src/launchdarkly';
import type { Account } from '../../src/simulator';
import { ENVIRONMENTS_PAGE_SIZE, environmentsEndpoint } from '../../src/streams/environments';
import { flagStatusesEndpoint } from '../../src/streams/flag-statuses';
import {
  ENVIRONMENTS_PER_FLAG_REQUEST as FLAG_REQUEST_ENVIRONMENTS,
  FLAGS_PAGE_SIZE,
  flagPasses,
  flagsEndpoint,
} from '../../src/streams/flags';
import { PROJECTS_PAGE_SIZE, projectsEndpoint } from '../../src/streams/projects';
import { TAGS_PAGE_SIZE, tagsEndpoint } from '../../src/streams/tags';
import { TEAM_MAINTAINERS_PAGE_SIZE, teamMaintainersEndpoint } from '../../src/streams/team-maintainers';
import { TEAMS_PAGE_SIZE, teamsEndpoint } from '../../src/streams/teams';

/** The API version the bench's connections use (and the client's default). */
const API_VERSION = '20240415';

/** The client's page sizes under LD-API-Version 20240415 and its environments per flags request. */
export const PAGE_SIZES = {
  projects: PROJECTS_PAGE_SIZE,
  environments: ENVIRONMENTS_PAGE_SIZE,
  teams: TEAMS_PAGE_SIZE,
  teamMaintainers: TEAM_MAINTAINERS_PAGE_SIZE,
  tags: TAGS_PAGE_SIZE,
  flags: FLAGS_PAGE_SIZE[API_VERSION],
} as const;
export const ENVIRONMENTS_PER_FLAG_REQUEST = FLAG_REQUEST_ENVIRONMENTS;

/** An endpoint's URL pattern (`/api/v2/flags/{projectKey}`): the simulator counts requests by it. */
const patternOf = (endpoint: ListEndpoint<unknown>) => endpoint.route.replace(/^GET /, '');

/** The list endpoints of a full read, by URL pattern (the keys' order is the report's). */
export const ENDPOINTS = {
  projects: patternOf(projectsEndpoint()),
  environments: patternOf(environmentsEndpoint('{projectKey}')),
  tags: patternOf(tagsEndpoint()),
  teams: patternOf(teamsEndpoint()),
  teamMaintainers: patternOf(teamMaintainersEndpoint('{teamKey}')),
  flags: patternOf(flagsEndpoint('{projectKey}', { environmentKeys: [], archived: false }, PAGE_SIZES.flags)),
  flagStatuses: patternOf(flagStatusesEndpoint('{projectKey}', '{environmentKey}')),
} as const;
export type Endpoint = keyof typeof ENDPOINTS;

export function minimumRequests(account: Account, tagCount: number): Record<Endpoint, number> {
  const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
  let environments = 0;
  let flags = 0;
  let flagStatuses = 0;
  for (const p of account.projects) {
    environments += pages(p.environments.length, PAGE_SIZES.environments);
    const archived = p.flags.filter((f) => f.archived).length;
    const live = p.flags.length - archived;
    // The sync's own passes: environments in batches, each batch once live and once archived.
    for (const pass of flagPasses(p.environments.map((e) => e.key))) {
      flags += pages(pass.archived ? archived : live, PAGE_SIZES.flags);
    }
    flagStatuses += p.environments.length;
  }
  const memberIds = new Set(account.members.map((m) => m._id));
  return {
    projects: pages(account.projects.length, PAGE_SIZES.projects),
    environments,
    tags: pages(tagCount, PAGE_SIZES.tags),
    teams: pages(account.teams.length, PAGE_SIZES.teams),
    teamMaintainers: account.teams.reduce(
      (n, t) => n + pages(t.maintainerIds.filter((id) => memberIds.has(id)).length, PAGE_SIZES.teamMaintainers),
      0,
    ),
    flags,
    flagStatuses,
  };
}
