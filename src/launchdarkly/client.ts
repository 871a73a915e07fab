// The LaunchDarkly REST API v2 client: the seven read endpoints the sync needs, each as an async
// iterator of pages that can resume from a cursor. Every request goes through one loop (`getJson`)
// that applies the shared rate limiter, retries 429s, 5xx and network failures, and turns anything
// else into a typed LaunchDarklyError. Knows nothing of Temporal or Postgres.
import { z } from 'zod';
import packageJson from '../../package.json';
import { type ErrorType } from '../shared';
import {
  ClientOptionsError,
  type EndpointRef,
  LaunchDarklyError,
  type UpstreamErrorBody,
  errorForStatus,
  isAbortError,
  rateLimitedError,
  schemaMismatchError,
  unavailableError,
} from './errors';
import {
  type FlagPass,
  type ListEndpoint,
  environmentsEndpoint,
  flagStatusesEndpoint,
  flagsEndpoint,
  itemKeyOf,
  projectsEndpoint,
  tagsEndpoint,
  teamMaintainersEndpoint,
  teamsEndpoint,
} from './endpoints';
import { type HttpResponse, TransportError, httpGet } from './http';
import {
  type FetchedPage,
  type Page,
  type PageOptions,
  hrefOf,
  normalizeBaseUrl,
  paginate,
  resolveHref,
} from './pagination';
import { type OnWait, RateLimiter, type RequestStats, type WaitInfo, waitUntil } from './rate-limiter';
import { redactSecrets, scrubText } from './redact';
import {
  CollectionSchema,
  type Environment,
  type Flag,
  type FlagStatus,
  FlagStatusSchema,
  type Project,
  type Team,
  type TeamMaintainer,
  describeIssue,
} from './schemas';

export type { FlagPass } from './endpoints';

const enc = encodeURIComponent;

export const API_VERSIONS = ['20240415', '20220603'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];
export const DEFAULT_API_VERSION: ApiVersion = '20240415';

/** LaunchDarkly's instances (API.md §1). `baseUrl` accepts these names or any URL. */
export const BASE_URLS = {
  commercial: 'https://app.launchdarkly.com',
  federal: 'https://app.launchdarkly.us',
  eu: 'https://app.eu.launchdarkly.com',
} as const;

export const USER_AGENT = `launchdarkly-sync/${packageJson.version}`;

/**
 * Page sizes: the largest each endpoint is known to accept. Flags: 100 under 20240415, 1000 under
 * 20220603; teams 100; tags 1000 (all documented or observed maxima, API.md §2, §4). Projects,
 * environments and team maintainers document no maximum: 100 is the largest page any v2 list is
 * documented to accept and what other production clients use for projects (Port), while an
 * undocumented higher value could be refused with a 400; these lists are short, so a bigger page
 * would save at most a request or two.
 */
export const PAGE_SIZES = {
  projects: 100,
  environments: 100,
  teams: 100,
  teamMaintainers: 100,
  tags: 1000,
  flags: { '20240415': 100, '20220603': 1000 },
} as const;

/** LaunchDarkly answers at most 3 `env` values per flags request (API.md §2, FS-6603). */
export const ENVIRONMENTS_PER_FLAG_REQUEST = 3;

/** Flag statuses fetched one flag at a time (per-flag mode): statuses per page, and requests in flight. */
const PER_FLAG_PAGE_SIZE = 50;
const PER_FLAG_CONCURRENCY = 4;

export interface LaunchDarklyClientOptions {
  /** A URL, or `commercial` (default), `federal`, `eu`. */
  baseUrl?: string;
  token: string;
  apiVersion?: ApiVersion;
  /** Per request, headers and body. Default 30000. */
  timeoutMs?: number;
  /** Share one per connection and process: `rateLimiterFor(key)`. Default: a limiter of this client alone. */
  limiter?: RateLimiter;
  /** 429 retries inside the client before `rate_limited` is thrown. Default 5. */
  maxRateLimitRetries?: number;
  /** Retries of 5xx, timeouts, resets and malformed bodies, with backoff. Default 2. (The first reset of a request is resent at once, uncounted: usually a stale keep-alive socket.) */
  maxRetries?: number;
  /** First backoff after a 5xx/network failure, doubled per retry, with jitter. Default 500. */
  retryBaseDelayMs?: number;
  /**
   * Called when a wait starts and every few seconds while it lasts; `kind` says whether it waits for
   * the rate limit or before retrying a failed request (then `errorType` says what failed).
   */
  onWait?: (info: WaitInfo) => void;
  /**
   * Awaited before every request is sent, retries included (after the rate limiter let it through):
   * a caller that must count every request sent records it here, before the request can be lost. A
   * rejection aborts the request with that error.
   */
  beforeRequest?: (info: RequestInfo) => Promise<void> | void;
  /** Called once for every failed response or transport failure that the client retries (never for the last one). */
  onRetry?: (info: RetryInfo) => void;
}

/** A request about to be sent. */
export interface RequestInfo {
  /** Request path without the query, e.g. `/api/v2/flags/web`. */
  endpoint: string;
  /** 1 for the first try of this page, 2 for its first retry, ... */
  attempt: number;
}

/** A response (or transport failure) the client retries: one per retry, for a log line. */
export interface RetryInfo {
  endpoint: string;
  /** what went wrong: `status` (5xx), `reset`, `timeout`, `network`, `malformed_body`, `rate_limited` (429) */
  cause: 'status' | 'reset' | 'timeout' | 'network' | 'malformed_body' | 'rate_limited';
  /** the contract type this failure would have had if it were not retried */
  errorType: ErrorType;
  /** HTTP status, for `status`, `malformed_body` and `rate_limited` */
  status?: number;
  /** the attempt that failed (1 = first try) */
  attempt: number;
  /** ms until the retry is sent (0: at once; for 429s, the limiter's pause decides) */
  delayMs: number;
  /** one line for operators, never the token */
  message: string;
}

export interface EndpointCheck {
  endpoint: string;
  ok: boolean;
  errorType?: ErrorType;
  message?: string;
}

const OptionsSchema = z.object({
  baseUrl: z.string().min(1).default('commercial'),
  token: z
    .string()
    .transform((t) => t.trim())
    .refine((t) => t.length > 0, 'the token is empty')
    .refine((t) => !/[\s\x00-\x1f\x7f]/.test(t), 'the token must be one line without spaces'),
  apiVersion: z.enum(API_VERSIONS, { error: `use one of ${API_VERSIONS.join(', ')}` }).default(DEFAULT_API_VERSION),
  timeoutMs: z.number().int().positive().default(30_000),
  maxRateLimitRetries: z.number().int().nonnegative().default(5),
  maxRetries: z.number().int().nonnegative().default(2),
  retryBaseDelayMs: z.number().nonnegative().default(500),
});

const UpstreamErrorSchema = z.looseObject({
  code: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  id: z.string().optional().catch(undefined),
});

export class LaunchDarklyClient {
  readonly apiVersion: ApiVersion;
  private readonly base: URL;
  private readonly token: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxRateLimitRetries: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly limiter: RateLimiter;
  private readonly onWait: OnWait | undefined;
  private readonly beforeRequest: LaunchDarklyClientOptions['beforeRequest'];
  private readonly onRetry: LaunchDarklyClientOptions['onRetry'];
  private readonly counters: RequestStats = { requests: 0, rateLimited: 0, waitedMs: 0, retries: 0 };

  constructor(options: LaunchDarklyClientOptions) {
    const parsed = OptionsSchema.safeParse(options);
    if (!parsed.success) {
      // Issue messages name the option and the rule, never the value: the token must not leak here.
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new ClientOptionsError(`invalid LaunchDarkly client options: ${problems}`);
    }
    const o = parsed.data;
    try {
      this.base = normalizeBaseUrl(BASE_URLS[o.baseUrl as keyof typeof BASE_URLS] ?? o.baseUrl);
    } catch (err) {
      throw new ClientOptionsError(
        `invalid LaunchDarkly client options: baseUrl: ${err instanceof Error ? err.message : String(err)} ` +
          '(use https://app.launchdarkly.com, https://app.launchdarkly.us or https://app.eu.launchdarkly.com)',
      );
    }
    this.token = o.token;
    this.apiVersion = o.apiVersion;
    this.timeoutMs = o.timeoutMs;
    this.maxRateLimitRetries = o.maxRateLimitRetries;
    this.maxRetries = o.maxRetries;
    this.retryBaseDelayMs = o.retryBaseDelayMs;
    this.limiter = options.limiter ?? new RateLimiter();
    this.onWait = options.onWait;
    this.beforeRequest = options.beforeRequest;
    this.onRetry = options.onRetry;
    this.headers = {
      authorization: this.token,
      'ld-api-version': this.apiVersion,
      accept: 'application/json',
      'user-agent': USER_AGENT,
    };
  }

  /** The normalized base URL requests go to (no trailing slash, no /api/v2). */
  get baseUrl(): string {
    return this.base.href.replace(/\/$/, '');
  }

  stats(): { requests: number; rateLimited: number; waitedMs: number; retries: number } {
    return { ...this.counters };
  }

  // ---------------------------------------------------------------- endpoints

  projects(o: PageOptions = {}): AsyncIterable<Page<Project>> {
    return this.list(projectsEndpoint(PAGE_SIZES.projects), o);
  }

  environments(projectKey: string, o: PageOptions = {}): AsyncIterable<Page<Environment>> {
    return this.list(environmentsEndpoint(projectKey, PAGE_SIZES.environments), o);
  }

  tags(o: PageOptions = {}): AsyncIterable<Page<string>> {
    return this.list(tagsEndpoint(PAGE_SIZES.tags), o);
  }

  teams(o: PageOptions = {}): AsyncIterable<Page<Team>> {
    return this.list(teamsEndpoint(PAGE_SIZES.teams), o);
  }

  teamMaintainers(teamKey: string, o: PageOptions = {}): AsyncIterable<Page<TeamMaintainer>> {
    return this.list(teamMaintainersEndpoint(teamKey, PAGE_SIZES.teamMaintainers), o);
  }

  /**
   * The passes needed to read every flag with its per-environment state: env keys in batches of 3
   * (one pass with no env when there are none), then the same batches again with filter=state:archived.
   */
  flagPasses(environmentKeys: string[]): FlagPass[] {
    const batches: string[][] = [];
    for (let i = 0; i < environmentKeys.length; i += ENVIRONMENTS_PER_FLAG_REQUEST) {
      batches.push(environmentKeys.slice(i, i + ENVIRONMENTS_PER_FLAG_REQUEST));
    }
    if (batches.length === 0) batches.push([]);
    return [false, true].flatMap((archived) => batches.map((environmentKeys) => ({ environmentKeys, archived })));
  }

  /** One pass over a project's flags; `Flag.environments` holds only the pass's environments. */
  flags(projectKey: string, pass: FlagPass, o: PageOptions = {}): AsyncIterable<Page<Flag>> {
    return this.list(flagsEndpoint(projectKey, pass, PAGE_SIZES.flags[this.apiVersion]), o);
  }

  /** Every flag of a project (live and archived) with the state of every given environment, merged per flag key. */
  async allFlags(projectKey: string, environmentKeys: string[], o: { signal?: AbortSignal } = {}): Promise<Flag[]> {
    const byKey = new Map<string, Flag>();
    for (const pass of this.flagPasses(environmentKeys)) {
      for await (const page of this.flags(projectKey, pass, o)) {
        for (const flag of page.items) {
          const known = byKey.get(flag.key);
          if (known) Object.assign(known.environments, flag.environments);
          else byKey.set(flag.key, flag);
        }
      }
    }
    return [...byKey.values()];
  }

  /**
   * Flag statuses of one environment. 'list' (default) reads /flag-statuses/{p}/{e} and follows
   * `next` if LaunchDarkly ever sends one; 'per-flag' reads /flag-statuses/{p}/{e}/{f} for each of
   * `flagKeys`, and is used automatically when the list endpoint answers 404/405 and flagKeys are given.
   * A per-flag cursor (`/api/v2/flag-statuses/p/e/<next flag>`) resumes in per-flag mode.
   */
  flagStatuses(
    projectKey: string,
    environmentKey: string,
    o: PageOptions & { mode?: 'list' | 'per-flag'; flagKeys?: string[] } = {},
  ): AsyncIterable<Page<FlagStatus>> {
    const endpoint = flagStatusesEndpoint(projectKey, environmentKey);
    const flagKeys = o.flagKeys;
    const perFlagCursor =
      o.cursor != null && o.cursor.split('?')[0]!.split('/').length > endpoint.firstHref.split('/').length;
    if (o.mode === 'per-flag' || perFlagCursor) {
      if (!flagKeys) throw new TypeError("flagStatuses: mode 'per-flag' needs flagKeys");
      return this.flagStatusesPerFlag(endpoint.ref, projectKey, environmentKey, flagKeys, o);
    }
    return this.flagStatusesListWithFallback(endpoint, projectKey, environmentKey, o);
  }

  /**
   * One cheap request per endpoint (limit=1), the DX-style connection check: projects, tags, teams,
   * maintainers of the first team, then environments, flags and statuses of the first project.
   * Never throws a LaunchDarklyError: each endpoint reports ok or its error type.
   */
  async validate(o: { signal?: AbortSignal } = {}): Promise<EndpointCheck[]> {
    const results: EndpointCheck[] = [];
    const check = async <T>(endpoint: ListEndpoint<T>): Promise<T[] | undefined> => {
      try {
        const page = await this.firstPage(endpoint, o.signal);
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

    const projects = await check(projectsEndpoint(1));
    await check(tagsEndpoint(1));
    const teams = await check(teamsEndpoint(1));
    const team = teams?.[0];
    if (team) await check(teamMaintainersEndpoint(team.key, 1));
    else if (teams) skipped('/api/v2/teams/{teamKey}/maintainers', 'the account has no team');

    const project = projects?.[0];
    if (!project) {
      if (projects) {
        for (const path of [
          '/api/v2/projects/{projectKey}/environments',
          '/api/v2/flags/{projectKey}',
          '/api/v2/flag-statuses/{projectKey}/{environmentKey}',
        ]) {
          skipped(path, 'no project is visible to this token');
        }
      }
      return results;
    }
    const environments = await check(environmentsEndpoint(project.key, 1));
    const environment = environments?.[0];
    const firstEnv = environment ? [environment.key] : [];
    await check(flagsEndpoint(project.key, { environmentKeys: firstEnv, archived: false }, 1));
    if (environment) await check(flagStatusesEndpoint(project.key, environment.key));
    else if (environments)
      skipped(`/api/v2/flag-statuses/${enc(project.key)}/{environmentKey}`, 'the project has no environment');
    return results;
  }

  // ---------------------------------------------------------------- paging

  private list<T>(endpoint: ListEndpoint<T>, o: PageOptions): AsyncIterable<Page<T>> {
    const { signal } = o;
    return paginate({
      ref: endpoint.ref,
      firstHref: endpoint.firstHref,
      cursor: o.cursor === undefined || o.cursor === null ? null : this.checkedCursor(endpoint.ref, o.cursor),
      keyOf: endpoint.keyOf,
      fetchPage: (href) => this.fetchPage(endpoint, href, signal),
    });
  }

  private async firstPage<T>(endpoint: ListEndpoint<T>, signal: AbortSignal | undefined): Promise<T[]> {
    return (await this.fetchPage(endpoint, endpoint.firstHref, signal)).items;
  }

  /** A saved cursor must be one of our hrefs: root-relative, or on this client's own host. */
  private checkedCursor(ref: EndpointRef, cursor: string): string {
    try {
      return hrefOf(this.base, cursor);
    } catch (err) {
      throw new TypeError(`${ref.label}: the cursor is not a LaunchDarkly href of this connection`, { cause: err });
    }
  }

  private async fetchPage<T>(
    endpoint: ListEndpoint<T>,
    href: string,
    signal: AbortSignal | undefined,
  ): Promise<FetchedPage<T>> {
    const { ref } = endpoint;
    const body = await this.getJson(href, endpoint.route, ref, signal);
    const envelope = CollectionSchema.safeParse(body);
    if (!envelope.success) {
      throw this.scrubbed(schemaMismatchError(ref, `the response: ${describeIssue(envelope.error.issues[0]!, body)}`));
    }
    const items = envelope.data.items.map((item, index) => {
      const result = endpoint.parseItem(item);
      if (result.success) return result.data;
      const key = itemKeyOf(item);
      const which =
        key === undefined
          ? `item #${index + (Number(new URL(href, this.base).searchParams.get('offset')) || 0)}`
          : `item "${key}"`;
      throw this.scrubbed(schemaMismatchError(ref, `${which}: ${describeIssue(result.error.issues[0]!, item)}`));
    });
    let nextHref: string | null = null;
    const next = envelope.data._links?.next?.href;
    if (next) {
      try {
        nextHref = hrefOf(this.base, next);
      } catch (err) {
        throw this.scrubbed(unavailableError(ref, `the next-page link is unusable (${(err as Error).message})`, err));
      }
    }
    return { items, nextHref, totalCount: envelope.data.totalCount };
  }

  // ---------------------------------------------------------------- flag statuses

  private async *flagStatusesListWithFallback(
    endpoint: ListEndpoint<FlagStatus>,
    projectKey: string,
    environmentKey: string,
    o: PageOptions & { flagKeys?: string[] },
  ): AsyncGenerator<Page<FlagStatus>> {
    let yielded = false;
    try {
      for await (const page of this.list(endpoint, o)) {
        yielded = true;
        yield page;
      }
    } catch (err) {
      // Only a list endpoint that is missing from the start means "read flag by flag".
      const listMissing = err instanceof LaunchDarklyError && (err.status === 404 || err.status === 405);
      if (yielded || !listMissing || !o.flagKeys || o.cursor) throw err;
      yield* this.flagStatusesPerFlag(endpoint.ref, projectKey, environmentKey, o.flagKeys, { ...o, listError: err });
    }
  }

  private async *flagStatusesPerFlag(
    listRef: EndpointRef,
    projectKey: string,
    environmentKey: string,
    flagKeys: string[],
    o: PageOptions & { listError?: LaunchDarklyError },
  ): AsyncGenerator<Page<FlagStatus>> {
    const hrefFor = (flagKey: string) => `${listRef.path}/${enc(flagKey)}`;
    let start = 0;
    if (o.cursor) {
      const cursorPath = o.cursor.split('?')[0];
      // A flag that vanished since the cursor was saved: start over; writes are idempotent.
      start = Math.max(
        0,
        flagKeys.findIndex((k) => hrefFor(k) === cursorPath),
      );
    }
    for (let i = start; i < flagKeys.length; i += PER_FLAG_PAGE_SIZE) {
      const keys = flagKeys.slice(i, i + PER_FLAG_PAGE_SIZE);
      const statuses = await mapLimit(keys, PER_FLAG_CONCURRENCY, (k) =>
        this.flagStatusOf(projectKey, environmentKey, k, o.signal),
      );
      if (i === 0 && o.listError && statuses[0] === null) {
        // The first flag is unknown too: the project or environment is what is missing, not the list endpoint.
        throw o.listError;
      }
      const nextKey = flagKeys[i + PER_FLAG_PAGE_SIZE];
      yield {
        items: statuses.filter((s): s is FlagStatus => s !== null),
        next: nextKey === undefined ? null : hrefFor(nextKey),
      };
    }
  }

  /** One flag's status, or null when the flag no longer exists. */
  private async flagStatusOf(
    projectKey: string,
    environmentKey: string,
    flagKey: string,
    signal: AbortSignal | undefined,
  ): Promise<FlagStatus | null> {
    const path = `/api/v2/flag-statuses/${enc(projectKey)}/${enc(environmentKey)}/${enc(flagKey)}`;
    const ref: EndpointRef = {
      path,
      label: `status of flag "${flagKey}" in project "${projectKey}" environment "${environmentKey}"`,
    };
    let body: unknown;
    try {
      body = await this.getJson(
        path,
        'GET /api/v2/flag-statuses/{projectKey}/{environmentKey}/{featureFlagKey}',
        ref,
        signal,
      );
    } catch (err) {
      if (err instanceof LaunchDarklyError && err.type === 'not_found') return null;
      throw err;
    }
    // The request names the flag, so an item without links still has a key.
    const withLinks =
      body !== null && typeof body === 'object' && !('_links' in body)
        ? { ...body, _links: { self: { href: path } } }
        : body;
    const result = FlagStatusSchema.safeParse(withLinks);
    if (!result.success) throw this.scrubbed(schemaMismatchError(ref, describeIssue(result.error.issues[0]!, body)));
    return result.data;
  }

  // ---------------------------------------------------------------- requests

  /**
   * GET one href as JSON: waits for the rate limiter, retries 429s (up to maxRateLimitRetries) and
   * 5xx / network failures / malformed bodies (up to maxRetries, with backoff), and throws a typed
   * LaunchDarklyError for everything else. Aborts rethrow the signal's reason.
   */
  private async getJson(
    href: string,
    route: string,
    ref: EndpointRef,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const url = resolveHref(this.base, href);
    let rateLimitedTimes = 0;
    let failures = 0;
    let resentAfterReset = false;
    for (let attempt = 1; ; attempt++) {
      const permit = await this.limiter.acquire(route, { signal, onWait: this.onWait });
      this.counters.waitedMs += permit.waitedMs;
      try {
        await this.beforeRequest?.({ endpoint: ref.path, attempt });
      } catch (err) {
        this.limiter.release(permit);
        throw err;
      }
      this.counters.requests += 1;
      let res: HttpResponse;
      try {
        res = await httpGet(url, { headers: this.headers, timeoutMs: this.timeoutMs, signal });
      } catch (err) {
        this.limiter.release(permit);
        if (isAbortError(err, signal) || !(err instanceof TransportError)) throw err;
        if (err.kind === 'reset' && !resentAfterReset) {
          // Most often a keep-alive socket the server closed as we reused it: resend at once, once.
          resentAfterReset = true;
          this.noteRetry({
            endpoint: ref.path,
            cause: 'reset',
            errorType: 'upstream_unavailable',
            attempt,
            delayMs: 0,
            message: `${ref.label}: the connection was reset (${err.message}); resent at once`,
          });
          continue;
        }
        const problem =
          err.kind === 'timeout' ? `no answer within ${this.timeoutMs} ms` : `the connection failed (${err.message})`;
        await this.backoffOrThrow(
          failures++,
          problem,
          signal,
          (n) => unavailableError(ref, `${problem} (${n} requests in this activity attempt)`, err),
          { endpoint: ref.path, cause: err.kind, errorType: 'upstream_unavailable', attempt },
        );
        continue;
      }
      if (res.status === 429) {
        this.counters.rateLimited += 1;
        const wait = this.limiter.rateLimited(permit, res.headers);
        if (rateLimitedTimes >= this.maxRateLimitRetries) {
          throw this.scrubbed(rateLimitedError(ref, Math.max(0, wait.waitMs), rateLimitedTimes + 1));
        }
        rateLimitedTimes += 1;
        this.noteRetry({
          endpoint: ref.path,
          cause: 'rate_limited',
          errorType: 'rate_limited',
          status: 429,
          attempt,
          delayMs: Math.max(0, wait.waitMs),
          message: `${ref.label}: rate limited (429); retried after ${Math.ceil(Math.max(0, wait.waitMs) / 1000)} s`,
        });
        continue; // acquire() holds this request (and every other) until the limiter's pause ends
      }
      this.limiter.observe(permit, res.headers);
      if (res.status < 200 || res.status >= 300) {
        const upstream = this.upstreamError(res.body);
        const failure = errorForStatus(ref, res.status, upstream, res.headers['x-request-id'] ?? upstream?.id);
        if (res.status < 500) throw this.scrubbed(failure);
        await this.backoffOrThrow(failures++, `LaunchDarkly answered ${res.status}`, signal, () => failure, {
          endpoint: ref.path,
          cause: 'status',
          errorType: failure.type,
          status: res.status,
          attempt,
        });
        continue;
      }
      try {
        const body: unknown = JSON.parse(res.body);
        // Defence in depth: LaunchDarkly never echoes the token, but nothing we return may carry it.
        return res.body.includes(this.token) ? redactSecrets(body, { secrets: [this.token] }) : body;
      } catch (err) {
        const problem = `the response body is not valid JSON (status ${res.status})`;
        await this.backoffOrThrow(
          failures++,
          problem,
          signal,
          (n) => unavailableError(ref, `${problem} (${n} requests in this activity attempt)`, err),
          {
            endpoint: ref.path,
            cause: 'malformed_body',
            errorType: 'upstream_unavailable',
            status: res.status,
            attempt,
          },
        );
      }
    }
  }

  /** Waits before retry number `failuresSoFar + 1`, or throws `finalError()` when retries are spent. */
  private async backoffOrThrow(
    failuresSoFar: number,
    problem: string,
    signal: AbortSignal | undefined,
    finalError: (attempts: number) => LaunchDarklyError,
    retry: Omit<RetryInfo, 'delayMs' | 'message'>,
  ): Promise<void> {
    if (failuresSoFar >= this.maxRetries) throw this.scrubbed(finalError(failuresSoFar + 1));
    const delay = this.retryBaseDelayMs * 2 ** failuresSoFar * (1 + Math.random() * 0.5);
    const reason = `${problem}; retry ${failuresSoFar + 1} of ${this.maxRetries}`;
    this.noteRetry({ ...retry, delayMs: Math.round(delay), message: scrubText(reason, [this.token]) });
    const waited = await waitUntil(Date.now() + delay, reason, {
      signal,
      onWait: this.onWait,
      kind: 'retry',
      errorType: retry.errorType,
    });
    this.counters.waitedMs += waited;
    this.limiter.recordWait(waited);
  }

  private upstreamError(body: string): UpstreamErrorBody | undefined {
    try {
      const parsed = UpstreamErrorSchema.safeParse(JSON.parse(body));
      if (!parsed.success) return undefined;
      const { code, message, id } = parsed.data;
      const out: UpstreamErrorBody = {};
      if (code !== undefined) out.code = scrubText(code, [this.token]);
      if (message !== undefined) out.message = scrubText(message, [this.token]);
      if (id !== undefined) out.id = id;
      return out;
    } catch {
      return undefined;
    }
  }

  private scrubbed(err: LaunchDarklyError): LaunchDarklyError {
    err.message = scrubText(err.message, [this.token]);
    return err;
  }

  private noteRetry(info: RetryInfo): void {
    this.counters.retries += 1;
    this.limiter.recordRetry();
    try {
      this.onRetry?.(info);
    } catch {
      // A logging callback never changes what the request does.
    }
  }
}

/** Maps `items` with at most `limit` calls in flight, keeping order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let nextIndex = 0;
  const worker = async () => {
    for (let i = nextIndex++; i < items.length; i = nextIndex++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
