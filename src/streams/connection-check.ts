// The DX-style connection check: one cheap request (limit=1) per endpoint the streams read, in the
// order the sync reads them: projects, tags, teams, maintainers of the first team, then environments,
// flags and statuses of the first project. Endpoints a failed or empty parent list keeps out of reach
// are listed too, as not reached. Never throws a LaunchDarklyError: each endpoint reports ok or its
// error type.
import { type LaunchDarklyClient, LaunchDarklyError, type ListEndpoint } from '../launchdarkly';
import type { ErrorType } from '../shared';
import { environmentsEndpoint } from './environments';
import { flagStatusesEndpoint } from './flag-statuses';
import { flagsEndpoint } from './flags';
import { projectsEndpoint } from './projects';
import { tagsEndpoint } from './tags';
import { teamMaintainersEndpoint } from './team-maintainers';
import { teamsEndpoint } from './teams';

export interface EndpointCheck {
  /** the path requested, or the endpoint's pattern when it was not requested */
  endpoint: string;
  ok: boolean;
  errorType?: ErrorType;
  message?: string;
  /** not requested because the list it needs (named in `message`) failed */
  notReached?: boolean;
}

const PATTERNS = {
  maintainers: '/api/v2/teams/{teamKey}/maintainers',
  environments: '/api/v2/projects/{projectKey}/environments',
  flags: '/api/v2/flags/{projectKey}',
  statuses: '/api/v2/flag-statuses/{projectKey}/{environmentKey}',
} as const;

export async function checkConnection(
  client: LaunchDarklyClient,
  o: { signal?: AbortSignal } = {},
): Promise<EndpointCheck[]> {
  const results: EndpointCheck[] = [];
  const check = async <T>(endpoint: ListEndpoint<T>): Promise<T[] | undefined> => {
    try {
      const page = await client.firstPage(endpoint, o);
      results.push({ endpoint: endpoint.ref.path, ok: true });
      return page;
    } catch (err) {
      if (!(err instanceof LaunchDarklyError)) throw err;
      results.push({ endpoint: endpoint.ref.path, ok: false, errorType: err.type, message: err.message });
      return undefined;
    }
  };
  const skipped = (endpoint: string, why: string) =>
    results.push({ endpoint, ok: true, message: `not checked: ${why}` });
  const notReached = (endpoint: string, list: string) =>
    results.push({ endpoint, ok: true, notReached: true, message: `needs a readable ${list} list` });

  const projects = await check(projectsEndpoint(1));
  await check(tagsEndpoint(1));
  const teams = await check(teamsEndpoint(1));
  const team = teams?.[0];
  if (team) await check(teamMaintainersEndpoint(team.key, 1));
  else if (teams) skipped(PATTERNS.maintainers, 'the account has no team');
  else notReached(PATTERNS.maintainers, 'teams');

  const project = projects?.[0];
  if (!project) {
    for (const pattern of [PATTERNS.environments, PATTERNS.flags, PATTERNS.statuses]) {
      if (projects) skipped(pattern, 'no project is visible to this token');
      else notReached(pattern, 'projects');
    }
    return results;
  }
  const environments = await check(environmentsEndpoint(project.key, 1));
  const environment = environments?.[0];
  await check(
    flagsEndpoint(project.key, { environmentKeys: environment ? [environment.key] : [], archived: false }, 1),
  );
  if (environment) await check(flagStatusesEndpoint(project.key, environment.key));
  else if (environments)
    skipped(
      `/api/v2/flag-statuses/${encodeURIComponent(project.key)}/{environmentKey}`,
      'the project has no environment',
    );
  else notReached(PATTERNS.statuses, 'environments');
  return results;
}
