// The LaunchDarkly API simulator: a generated account served over real HTTP on loopback, with
// knobs for API versions, paging limits, rate limits and faults, and mutations between syncs.
// Everything the project's tests, demos and benchmarks need from LaunchDarkly comes from here.
import { generateAccount } from './generator';
import { accountTags } from './handlers-account';
import { type Account } from './model';
import { type Mutations, createMutations } from './mutations';
import { type SimulatorOptions, mergeOptions, resolveOptions } from './options';
import { type SimulatorStats, SimulatorServer } from './server';

export type {
  Account,
  EnvironmentModel,
  FlagEnvironmentModel,
  FlagModel,
  FlagStatusModel,
  FlagStatusName,
  JsonValue,
  MemberModel,
  ProjectModel,
  TeamModel,
} from './model';
export type {
  EnvironmentOverrides,
  FlagOverrides,
  FlagPatch,
  MemberOverrides,
  Mutations,
  ProjectOverrides,
  TeamOverrides,
} from './mutations';
export { MutationError } from './mutations';
export type {
  ApiVersion,
  FaultOptions,
  PagedCollection,
  RateLimitHeaders,
  RateLimitOptions,
  SimulatorOptions,
  TeamsEntitlement,
} from './options';
export { DEFAULT_NO_PERMISSION_TOKEN, DEFAULT_NO_TEAMS_PERMISSION_TOKEN, DEFAULT_READER_TOKEN } from './options';
export type { SimulatorStats } from './server';
export { BASE_TIME } from './generator';
export { ROUTE_IDS } from './routes';

/** Exactly what a correct full sync must store (rows not marked deleted), given the current state and knobs. */
export interface SimulatorCounts {
  projects: number;
  environments: number;
  /** Includes archived flags. */
  flags: number;
  archivedFlags: number;
  /** Each flag × each environment of its project. */
  flagEnvironments: number;
  /** Same product: the flag-statuses list covers archived flags too. */
  flagStatuses: number;
  /** The distinct tags `GET /api/v2/tags` lists without `archived=true`. */
  tags: number;
  /** 0 when the account is not entitled to Teams (the sync skips the stream). */
  teams: number;
  teamMaintainers: number;
}

export interface Simulator {
  /** e.g. `http://127.0.0.1:43121` (no trailing slash, no `/api/v2`). */
  readonly baseUrl: string;
  readonly readerToken: string;
  readonly noPermissionToken: string;
  /** Reads everything but teams (403 on the teams endpoints). */
  readonly noTeamsPermissionToken: string;
  /** The live model: mutations change it in place, and requests read it. */
  readonly account: Account;
  counts(): SimulatorCounts;
  stats(): SimulatorStats;
  resetStats(): void;
  /** Changes knobs at runtime (latency, faults, rate limits, entitlement, limits, tokens). */
  configure(patch: Partial<SimulatorOptions>): void;
  mutate: Mutations;
  close(): Promise<void>;
}

export function countAccount(account: Account, teamsEntitled: boolean): SimulatorCounts {
  let environments = 0;
  let flags = 0;
  let archivedFlags = 0;
  let flagEnvironments = 0;
  for (const project of account.projects) {
    environments += project.environments.length;
    flags += project.flags.length;
    archivedFlags += project.flags.filter((f) => f.archived).length;
    flagEnvironments += project.flags.length * project.environments.length;
  }
  const teamMaintainers = account.teams.reduce(
    (sum, team) => sum + team.maintainerIds.filter((id) => account.members.some((m) => m._id === id)).length,
    0,
  );
  return {
    projects: account.projects.length,
    environments,
    flags,
    archivedFlags,
    flagEnvironments,
    flagStatuses: flagEnvironments,
    tags: accountTags(account).length,
    teams: teamsEntitled ? account.teams.length : 0,
    teamMaintainers: teamsEntitled ? teamMaintainers : 0,
  };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  let resolved = resolveOptions(options);
  const account = generateAccount(resolved);
  const server = new SimulatorServer(account, resolved);
  const baseUrl = await server.listen();
  return {
    baseUrl,
    get readerToken() {
      return resolved.readerToken;
    },
    get noPermissionToken() {
      return resolved.noPermissionToken;
    },
    get noTeamsPermissionToken() {
      return resolved.noTeamsPermissionToken;
    },
    account,
    counts: () => countAccount(account, resolved.teamsEntitlement === 'entitled'),
    stats: () => server.getStats(),
    resetStats: () => server.resetStats(),
    configure(patch) {
      resolved = mergeOptions(resolved, patch);
      server.setOptions(resolved);
    },
    mutate: createMutations(account, resolved),
    close: () => server.close(),
  };
}
