// The simulator's knobs, their defaults, and how a runtime `configure()` patch merges in.
import { type OverLimitBehaviour } from './paging';

export const DEFAULT_READER_TOKEN = 'api-sim-reader-00000000-0000-4000-8000-000000000000';
export const DEFAULT_NO_PERMISSION_TOKEN = 'api-sim-noperm-00000000-0000-4000-8000-000000000000';
/** A token whose role reads projects, flags and tags but not teams: 403 on the teams endpoints only. */
export const DEFAULT_NO_TEAMS_PERMISSION_TOKEN = 'api-sim-noteams-00000000-0000-4000-8000-000000000000';

export const API_VERSIONS = ['20240415', '20220603'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];

/** Collections that page with limit/offset, for `maxLimits` and `defaultLimits`. */
export type PagedCollection =
  | 'projects'
  | 'environments'
  | 'flags'
  | 'flags20220603'
  | 'teams'
  | 'teamMaintainers'
  | 'tags'
  | 'members'
  | 'flagStatuses';

/** What a 429 carries besides its body: `X-Ratelimit-Reset` (ms), `Retry-After` (s), both or neither. */
export type RateLimitHeaders = 'reset' | 'retry-after' | 'both' | 'none';

export interface RateLimitOptions {
  /** Requests per window for the whole account (all routes, all tokens). */
  globalPerWindow?: number;
  /** Requests per window for each route (method + path pattern). */
  routePerWindow?: number;
  /** Window length; LaunchDarkly's is 10 s, tests want shorter. */
  windowMs?: number;
  send429Headers?: RateLimitHeaders;
}

export interface FaultOptions {
  /** Share of requests answered with a 5xx (drawn from `errorStatuses`). */
  errorRate?: number;
  /** 500 and 503 by default; 502 answers with an HTML body, as a proxy in front of the API would. */
  errorStatuses?: Array<500 | 502 | 503 | 504>;
  /** Share of requests whose socket is destroyed without a response. */
  resetRate?: number;
  /** Share of requests delayed by `slowMs` before the response. */
  slowRate?: number;
  slowMs?: number;
  /** Share of 200 responses whose JSON body is cut short. */
  malformedRate?: number;
  /** Share of 200 responses with one field of the wrong type (e.g. flag `kind: 42`). */
  wrongTypeRate?: number;
  /** Only paths matching this pattern get faults (e.g. /\/flags\//); null (in `configure`) clears it. */
  routes?: RegExp | null;
  /** Seed of the fault stream; defaults to the account seed. */
  seed?: number;
}

/**
 * What the account's plan says about Teams: `entitled`, or the status a plan without Teams answers on
 * every teams endpoint (404 or 405: the client reports those as `not_entitled`). 403 is kept for old
 * callers but is a permission answer, not a plan one (the client reports `invalid_permissions`): to
 * simulate a token that may not read teams, use `noTeamsPermissionToken` instead.
 */
export type TeamsEntitlement = 'entitled' | 403 | 404 | 405;

export interface SimulatorOptions {
  seed?: number;
  projects?: number;
  environments?: number;
  flags?: number;
  teams?: number;
  membersPerTeam?: number;
  host?: string;
  port?: number;
  readerToken?: string;
  noPermissionToken?: string;
  /** Reads everything but teams: 403 on the teams endpoints (a custom role without team access). */
  noTeamsPermissionToken?: string;
  /** Fixed delay added before every response. */
  latencyMs?: number;
  rateLimit?: RateLimitOptions;
  faults?: FaultOptions;
  /** An account whose plan lacks Teams answers the teams endpoints with this status. */
  teamsEntitlement?: TeamsEntitlement;
  /** Largest accepted `limit` per collection (LaunchDarkly: flags 100, teams 100, tags 1000, flags 1000 under 20220603). */
  maxLimits?: Partial<Record<PagedCollection, number>>;
  /** `limit` when none is given (20 everywhere). */
  defaultLimits?: Partial<Record<PagedCollection, number>>;
  /** A `limit` above the maximum is clamped (default) or rejected with 400 invalid_request. */
  overLimit?: OverLimitBehaviour;
  /** Most `env` values one flags request may carry (3); more is a 400. */
  maxEnvFilter?: number;
  /** The token's own version, used when a request sends no `LD-API-Version`. */
  defaultApiVersion?: ApiVersion;
  /** The deprecated `archived=true` flags param: adds archived flags (default) or returns only them (as the SPEC's wording suggests). */
  archivedParam?: 'include' | 'only';
  /** Page the flag-statuses list with limit/offset and `next` links (live behaviour unknown; off by default). */
  flagStatusesPageSize?: number;
}

export type ResolvedOptions = Required<
  Omit<SimulatorOptions, 'rateLimit' | 'faults' | 'maxLimits' | 'defaultLimits' | 'flagStatusesPageSize'>
> & {
  rateLimit: Required<RateLimitOptions>;
  faults: Required<Omit<FaultOptions, 'routes'>> & { routes?: RegExp | null };
  maxLimits: Record<PagedCollection, number>;
  defaultLimits: Record<PagedCollection, number>;
  flagStatusesPageSize?: number;
};

const DEFAULT_MAX_LIMITS: Record<PagedCollection, number> = {
  projects: 1000,
  environments: 1000,
  flags: 100,
  flags20220603: 1000,
  teams: 100,
  teamMaintainers: 100,
  tags: 1000,
  members: 1000,
  flagStatuses: 1000,
};

const DEFAULT_LIMITS: Record<PagedCollection, number> = {
  projects: 20,
  environments: 20,
  flags: 20,
  flags20220603: 20,
  teams: 20,
  teamMaintainers: 20,
  tags: 20,
  members: 20,
  flagStatuses: 20,
};

/** Knobs fixed at start: the generated account and the listening socket. */
export const STRUCTURAL_OPTIONS = [
  'seed',
  'projects',
  'environments',
  'flags',
  'teams',
  'membersPerTeam',
  'host',
  'port',
] as const;

function checkRate(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`faults.${name} must be between 0 and 1, got ${value}`);
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}

export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  const seed = options.seed ?? 1;
  const resolved: ResolvedOptions = {
    seed,
    projects: options.projects ?? 3,
    environments: options.environments ?? 3,
    flags: options.flags ?? 25,
    teams: options.teams ?? 4,
    membersPerTeam: options.membersPerTeam ?? 2,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    readerToken: options.readerToken ?? DEFAULT_READER_TOKEN,
    noPermissionToken: options.noPermissionToken ?? DEFAULT_NO_PERMISSION_TOKEN,
    noTeamsPermissionToken: options.noTeamsPermissionToken ?? DEFAULT_NO_TEAMS_PERMISSION_TOKEN,
    latencyMs: options.latencyMs ?? 0,
    rateLimit: {
      // Generous by default: the headers are always sent, but only tests that ask for it hit a 429.
      globalPerWindow: options.rateLimit?.globalPerWindow ?? 100_000,
      routePerWindow: options.rateLimit?.routePerWindow ?? 20_000,
      windowMs: options.rateLimit?.windowMs ?? 10_000,
      send429Headers: options.rateLimit?.send429Headers ?? 'reset',
    },
    faults: {
      errorRate: options.faults?.errorRate ?? 0,
      errorStatuses: options.faults?.errorStatuses ?? [500, 503],
      resetRate: options.faults?.resetRate ?? 0,
      slowRate: options.faults?.slowRate ?? 0,
      slowMs: options.faults?.slowMs ?? 2_000,
      malformedRate: options.faults?.malformedRate ?? 0,
      wrongTypeRate: options.faults?.wrongTypeRate ?? 0,
      seed: options.faults?.seed ?? seed,
      ...(options.faults?.routes ? { routes: options.faults.routes } : {}),
    },
    teamsEntitlement: options.teamsEntitlement ?? 'entitled',
    maxLimits: { ...DEFAULT_MAX_LIMITS, ...options.maxLimits },
    defaultLimits: { ...DEFAULT_LIMITS, ...options.defaultLimits },
    overLimit: options.overLimit ?? 'clamp',
    maxEnvFilter: options.maxEnvFilter ?? 3,
    defaultApiVersion: options.defaultApiVersion ?? '20240415',
    archivedParam: options.archivedParam ?? 'include',
    ...(options.flagStatusesPageSize !== undefined ? { flagStatusesPageSize: options.flagStatusesPageSize } : {}),
  };
  validate(resolved);
  return resolved;
}

function validate(options: ResolvedOptions): void {
  checkCount('projects', options.projects, 0);
  checkCount('environments', options.environments, 0);
  checkCount('flags', options.flags, 0);
  checkCount('teams', options.teams, 0);
  checkCount('membersPerTeam', options.membersPerTeam, 0);
  checkCount('port', options.port, 0);
  checkCount('latencyMs', options.latencyMs, 0);
  checkCount('rateLimit.globalPerWindow', options.rateLimit.globalPerWindow, 0);
  checkCount('rateLimit.routePerWindow', options.rateLimit.routePerWindow, 0);
  checkCount('rateLimit.windowMs', options.rateLimit.windowMs, 1);
  checkCount('faults.slowMs', options.faults.slowMs, 0);
  checkCount('maxEnvFilter', options.maxEnvFilter, 1);
  for (const name of ['errorRate', 'resetRate', 'slowRate', 'malformedRate', 'wrongTypeRate'] as const) {
    checkRate(name, options.faults[name]);
  }
  if (options.faults.errorStatuses.length === 0) throw new RangeError('faults.errorStatuses must not be empty');
  for (const [name, value] of Object.entries(options.maxLimits)) checkCount(`maxLimits.${name}`, value, 1);
  for (const [name, value] of Object.entries(options.defaultLimits)) checkCount(`defaultLimits.${name}`, value, 1);
  if (options.flagStatusesPageSize !== undefined) checkCount('flagStatusesPageSize', options.flagStatusesPageSize, 1);
  const tokens = [options.readerToken, options.noPermissionToken, options.noTeamsPermissionToken];
  if (new Set(tokens).size !== tokens.length)
    throw new RangeError('readerToken, noPermissionToken and noTeamsPermissionToken must differ');
}

/** Merges a runtime patch; the account and socket knobs cannot change once started. */
export function mergeOptions(current: ResolvedOptions, patch: Partial<SimulatorOptions>): ResolvedOptions {
  for (const name of STRUCTURAL_OPTIONS) {
    if (patch[name] !== undefined && patch[name] !== current[name]) {
      throw new Error(`simulator option ${name} is fixed at start; start a new simulator to change it`);
    }
  }
  const next: ResolvedOptions = {
    ...current,
    ...(patch.readerToken !== undefined ? { readerToken: patch.readerToken } : {}),
    ...(patch.noPermissionToken !== undefined ? { noPermissionToken: patch.noPermissionToken } : {}),
    ...(patch.noTeamsPermissionToken !== undefined ? { noTeamsPermissionToken: patch.noTeamsPermissionToken } : {}),
    ...(patch.latencyMs !== undefined ? { latencyMs: patch.latencyMs } : {}),
    ...(patch.teamsEntitlement !== undefined ? { teamsEntitlement: patch.teamsEntitlement } : {}),
    ...(patch.overLimit !== undefined ? { overLimit: patch.overLimit } : {}),
    ...(patch.maxEnvFilter !== undefined ? { maxEnvFilter: patch.maxEnvFilter } : {}),
    ...(patch.defaultApiVersion !== undefined ? { defaultApiVersion: patch.defaultApiVersion } : {}),
    ...(patch.archivedParam !== undefined ? { archivedParam: patch.archivedParam } : {}),
    rateLimit: { ...current.rateLimit, ...definedOnly(patch.rateLimit) },
    faults: { ...current.faults, ...definedOnly(patch.faults) },
    maxLimits: { ...current.maxLimits, ...definedOnly(patch.maxLimits) },
    defaultLimits: { ...current.defaultLimits, ...definedOnly(patch.defaultLimits) },
  };
  if ('flagStatusesPageSize' in patch) {
    if (patch.flagStatusesPageSize === undefined) delete next.flagStatusesPageSize;
    else next.flagStatusesPageSize = patch.flagStatusesPageSize;
  }
  validate(next);
  return next;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
