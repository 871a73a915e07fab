// The fewest requests the API allows for an account, per endpoint (the calculation of
// scripts/bench-read.ts): largest page sizes, 3 environments per flags request, live and archived
// passes, one status list per project and environment.
import type { Account } from '../../src/simulator';

/** The client's page sizes under LD-API-Version 20240415 and its environments per flags request. */
export const PAGE_SIZES = {
  projects: 100,
  environments: 100,
  teams: 100,
  teamMaintainers: 100,
  tags: 1000,
  flags: 100,
} as const;
export const ENVIRONMENTS_PER_FLAG_REQUEST = 3;

export const ENDPOINTS = {
  projects: '/api/v2/projects',
  environments: '/api/v2/projects/{projectKey}/environments',
  tags: '/api/v2/tags',
  teams: '/api/v2/teams',
  teamMaintainers: '/api/v2/teams/{teamKey}/maintainers',
  flags: '/api/v2/flags/{projectKey}',
  flagStatuses: '/api/v2/flag-statuses/{projectKey}/{environmentKey}',
} as const;
export type Endpoint = keyof typeof ENDPOINTS;

export function minimumRequests(account: Account, tagCount: number): Record<Endpoint, number> {
  const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
  const flagPage = PAGE_SIZES.flags;
  let environments = 0;
  let flags = 0;
  let flagStatuses = 0;
  for (const p of account.projects) {
    environments += pages(p.environments.length, PAGE_SIZES.environments);
    const batches = Math.max(1, Math.ceil(p.environments.length / ENVIRONMENTS_PER_FLAG_REQUEST));
    const archived = p.flags.filter((f) => f.archived).length;
    flags += batches * (pages(p.flags.length - archived, flagPage) + pages(archived, flagPage));
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
