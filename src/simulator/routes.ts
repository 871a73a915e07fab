// The route table: each LaunchDarkly path template the simulator answers, and matching a request
// path against it. A route's id (its template) names it in stats and in the per-route rate limit.
import { type Handler } from './context';
import { getTeam, listMembers, listTags, listTeamMaintainers, listTeams } from './handlers-account';
import { getFlag, getFlagStatus, getFlagStatusAcrossEnvironments, listFlagStatuses, listFlags } from './handlers-flags';
import { getEnvironment, getProject, listEnvironments, listProjects } from './handlers-projects';

export interface Route {
  /** The path template, e.g. `/api/v2/flags/{projectKey}`. */
  id: string;
  handler: Handler;
}

const ROUTES: Route[] = [
  { id: '/api/v2/projects', handler: listProjects },
  { id: '/api/v2/projects/{projectKey}', handler: getProject },
  { id: '/api/v2/projects/{projectKey}/environments', handler: listEnvironments },
  { id: '/api/v2/projects/{projectKey}/environments/{environmentKey}', handler: getEnvironment },
  { id: '/api/v2/tags', handler: listTags },
  { id: '/api/v2/teams', handler: listTeams },
  { id: '/api/v2/teams/{teamKey}', handler: getTeam },
  { id: '/api/v2/teams/{teamKey}/maintainers', handler: listTeamMaintainers },
  { id: '/api/v2/flags/{projectKey}', handler: listFlags },
  { id: '/api/v2/flags/{projectKey}/{featureFlagKey}', handler: getFlag },
  { id: '/api/v2/flag-statuses/{projectKey}/{environmentKey}', handler: listFlagStatuses },
  { id: '/api/v2/flag-statuses/{projectKey}/{environmentKey}/{featureFlagKey}', handler: getFlagStatus },
  { id: '/api/v2/flag-status/{projectKey}/{featureFlagKey}', handler: getFlagStatusAcrossEnvironments },
  { id: '/api/v2/members', handler: listMembers },
];

export const ROUTE_IDS: readonly string[] = ROUTES.map((r) => r.id);

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

const compiled = ROUTES.map((route) => ({ route, segments: route.id.split('/').filter((s) => s.length > 0) }));

/** Matches a request path (a trailing slash is tolerated, as DX's `/api/v2/flags/` shows). */
export function matchRoute(pathname: string): RouteMatch | undefined {
  const segments = pathname.split('/').filter((s) => s.length > 0);
  for (const { route, segments: template } of compiled) {
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < template.length && matched; i++) {
      const expected = template[i] as string;
      const actual = segments[i] as string;
      if (expected.startsWith('{')) {
        try {
          params[expected.slice(1, -1)] = decodeURIComponent(actual);
        } catch {
          matched = false;
        }
      } else {
        matched = expected === actual;
      }
    }
    if (matched) return { route, params };
  }
  return undefined;
}

/** The path without a trailing slash, for building links. */
export function canonicalPath(pathname: string): string {
  return pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
}
