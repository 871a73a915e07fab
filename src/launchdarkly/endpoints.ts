// The seven list endpoints the sync reads, as data: path, label, rate-limit route, first-page href
// (largest page size, a stable sort where the API offers one) and how to parse one item. Pure: the
// client does the requests.
import { z } from 'zod';
import { type EndpointRef } from './errors';
import { buildHref } from './pagination';
import {
  type Environment,
  EnvironmentSchema,
  type Flag,
  FlagSchema,
  type FlagStatus,
  FlagStatusSchema,
  type Project,
  ProjectSchema,
  type Team,
  type TeamMaintainer,
  TeamMaintainerSchema,
  TeamSchema,
  flagKeyFromLinks,
} from './schemas';

/** One read of a project's flags: up to 3 environments' state, live or archived flags. */
export interface FlagPass {
  environmentKeys: string[];
  archived: boolean;
}

export interface ListEndpoint<T> {
  ref: EndpointRef;
  /** Route for per-route rate limits: verb and URL pattern. */
  route: string;
  firstHref: string;
  parseItem: (item: unknown) => z.ZodSafeParseResult<T>;
  keyOf: (item: T) => string;
}

const enc = encodeURIComponent;

/** A readable key for an item that failed to parse, when it has one. */
export function itemKeyOf(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  const o = item as Record<string, unknown>;
  if (typeof o.key === 'string') return o.key;
  if (typeof o._id === 'string') return o._id;
  const links = o._links as Parameters<typeof flagKeyFromLinks>[0];
  try {
    return flagKeyFromLinks(links);
  } catch {
    return undefined;
  }
}

export function projectsEndpoint(limit: number): ListEndpoint<Project> {
  const path = '/api/v2/projects';
  return {
    ref: { path, label: 'projects' },
    route: 'GET /api/v2/projects',
    // createdOn: new projects land at the end, so offset pages do not shift under a running read.
    firstHref: buildHref(path, { limit, sort: 'createdOn' }),
    parseItem: (item) => ProjectSchema.safeParse(item),
    keyOf: (p) => p.key,
  };
}

export function environmentsEndpoint(projectKey: string, limit: number): ListEndpoint<Environment> {
  const path = `/api/v2/projects/${enc(projectKey)}/environments`;
  return {
    ref: { path, label: `environments of project "${projectKey}"` },
    route: 'GET /api/v2/projects/{projectKey}/environments',
    firstHref: buildHref(path, { limit, sort: 'createdOn' }),
    parseItem: (item) => EnvironmentSchema.safeParse(item),
    keyOf: (e) => e.key,
  };
}

export function tagsEndpoint(limit: number): ListEndpoint<string> {
  const path = '/api/v2/tags';
  return {
    ref: { path, label: 'tags' },
    route: 'GET /api/v2/tags',
    firstHref: buildHref(path, { limit }),
    parseItem: (item) => z.string().safeParse(item),
    keyOf: (t) => t,
  };
}

export function teamsEndpoint(limit: number): ListEndpoint<Team> {
  const path = '/api/v2/teams';
  return {
    ref: { path, label: 'teams', teams: 'list' },
    route: 'GET /api/v2/teams',
    firstHref: buildHref(path, { limit }),
    parseItem: (item) => TeamSchema.safeParse(item),
    keyOf: (t) => t.key,
  };
}

export function teamMaintainersEndpoint(teamKey: string, limit: number): ListEndpoint<TeamMaintainer> {
  const path = `/api/v2/teams/${enc(teamKey)}/maintainers`;
  return {
    ref: { path, label: `maintainers of team "${teamKey}"`, teams: 'maintainers' },
    route: 'GET /api/v2/teams/{teamKey}/maintainers',
    firstHref: buildHref(path, { limit }),
    parseItem: (item) => TeamMaintainerSchema.safeParse(item),
    keyOf: (m) => m.id,
  };
}

export function flagsEndpoint(projectKey: string, pass: FlagPass, limit: number): ListEndpoint<Flag> {
  const path = `/api/v2/flags/${enc(projectKey)}`;
  const wanted = new Set(pass.environmentKeys);
  return {
    ref: { path, label: `${pass.archived ? 'archived ' : ''}flags of project "${projectKey}"` },
    route: 'GET /api/v2/flags/{projectKey}',
    firstHref: buildHref(path, {
      limit,
      // creationDate: new flags land at the end, so offset pages do not shift under a running read.
      sort: 'creationDate',
      env: pass.environmentKeys,
      filter: pass.archived ? 'state:archived' : undefined,
    }),
    parseItem: (item) => {
      const result = FlagSchema.safeParse(item);
      if (result.success) {
        // 20220603 serves every environment; a pass promises only its own.
        for (const key of Object.keys(result.data.environments)) {
          if (!wanted.has(key)) delete result.data.environments[key];
        }
      }
      return result;
    },
    keyOf: (f) => f.key,
  };
}

export function flagStatusesEndpoint(projectKey: string, environmentKey: string): ListEndpoint<FlagStatus> {
  const path = `/api/v2/flag-statuses/${enc(projectKey)}/${enc(environmentKey)}`;
  return {
    ref: { path, label: `flag statuses of project "${projectKey}" environment "${environmentKey}"` },
    route: 'GET /api/v2/flag-statuses/{projectKey}/{environmentKey}',
    firstHref: path,
    parseItem: (item) => FlagStatusSchema.safeParse(item),
    keyOf: (s) => s.flagKey,
  };
}
