// The LaunchDarkly REST API v2 client: reads any list endpoint as an async iterator of pages that
// can resume from a cursor, and any single resource. What to read (paths, page sizes, item schemas)
// is declared by the stream modules (src/streams); every request goes through one loop
// (request-loop.ts) that applies the shared rate limiter and retries. Knows nothing of Temporal or
// Postgres.
import { type ApiVersion } from '../shared';
import { BASE_URLS, ClientOptionsSchema, type LaunchDarklyClientOptions, USER_AGENT } from './client-options';
import type { ItemEndpoint, ListEndpoint } from './endpoint';
import { ClientOptionsError, type EndpointRef, schemaMismatchError, unavailableError } from './errors';
import {
  type FetchedPage,
  type Page,
  type PageOptions,
  hrefOf,
  normalizeBaseUrl,
  paginate,
  resolveHref,
} from './pagination';
import { RateLimiter, type RequestStats } from './rate-limiter';
import { RequestLoop } from './request-loop';
import { CollectionSchema, describeIssue } from './schemas';

export class LaunchDarklyClient {
  readonly apiVersion: ApiVersion;
  private readonly base: URL;
  private readonly requests: RequestLoop;

  constructor(options: LaunchDarklyClientOptions) {
    const parsed = ClientOptionsSchema.safeParse(options);
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
    this.apiVersion = o.apiVersion;
    this.requests = new RequestLoop({
      token: o.token,
      headers: {
        authorization: o.token,
        'ld-api-version': o.apiVersion,
        accept: 'application/json',
        'user-agent': USER_AGENT,
      },
      timeoutMs: o.timeoutMs,
      maxRateLimitRetries: o.maxRateLimitRetries,
      maxRetries: o.maxRetries,
      retryBaseDelayMs: o.retryBaseDelayMs,
      limiter: options.limiter ?? new RateLimiter(),
      onWait: options.onWait,
      beforeRequest: options.beforeRequest,
      onRetry: options.onRetry,
    });
  }

  /** The normalized base URL requests go to (no trailing slash, no /api/v2). */
  get baseUrl(): string {
    return this.base.href.replace(/\/$/, '');
  }

  stats(): RequestStats {
    return { ...this.requests.counters };
  }

  /** Every page of a list endpoint, from its first page or after `cursor` (a `next` href it returned). */
  list<T>(endpoint: ListEndpoint<T>, o: PageOptions = {}): AsyncIterable<Page<T>> {
    const { signal } = o;
    return paginate({
      ref: endpoint.ref,
      firstHref: endpoint.firstHref,
      cursor: o.cursor === undefined || o.cursor === null ? null : this.checkedCursor(endpoint.ref, o.cursor),
      keyOf: endpoint.keyOf,
      fetchPage: (href) => this.fetchPage(endpoint, href, signal),
    });
  }

  /** The first page of a list endpoint, alone. */
  async firstPage<T>(endpoint: ListEndpoint<T>, o: { signal?: AbortSignal } = {}): Promise<T[]> {
    return (await this.fetchPage(endpoint, endpoint.firstHref, o.signal)).items;
  }

  /** One resource. A missing one throws a LaunchDarklyError of type `not_found`. */
  async get<T>(endpoint: ItemEndpoint<T>, o: { signal?: AbortSignal } = {}): Promise<T> {
    const body = await this.requests.getJson(
      resolveHref(this.base, endpoint.href),
      endpoint.route,
      endpoint.ref,
      o.signal,
    );
    const result = endpoint.parse(body);
    if (!result.success) {
      throw this.requests.scrubbed(schemaMismatchError(endpoint.ref, describeIssue(result.error.issues[0]!, body)));
    }
    return result.data;
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
    const body = await this.requests.getJson(resolveHref(this.base, href), endpoint.route, ref, signal);
    const envelope = CollectionSchema.safeParse(body);
    if (!envelope.success) {
      throw this.requests.scrubbed(
        schemaMismatchError(ref, `the response: ${describeIssue(envelope.error.issues[0]!, body)}`),
      );
    }
    const items = envelope.data.items.map((item, index) => {
      const result = endpoint.parseItem(item);
      if (result.success) return result.data;
      const key = endpoint.describeKey(item);
      const which =
        key === undefined
          ? `item #${index + (Number(new URL(href, this.base).searchParams.get('offset')) || 0)}`
          : `item "${key}"`;
      throw this.requests.scrubbed(
        schemaMismatchError(ref, `${which}: ${describeIssue(result.error.issues[0]!, item)}`),
      );
    });
    let nextHref: string | null = null;
    const next = envelope.data._links?.next?.href;
    if (next) {
      try {
        nextHref = hrefOf(this.base, next);
      } catch (err) {
        throw this.requests.scrubbed(
          unavailableError(ref, `the next-page link is unusable (${(err as Error).message})`, err),
        );
      }
    }
    return { items, nextHref, totalCount: envelope.data.totalCount };
  }
}
