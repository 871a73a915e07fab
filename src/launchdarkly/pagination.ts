// Offset pagination as LaunchDarkly serves it: follow `_links.next.href` (a root-relative path
// that already includes /api/v2 and every query parameter), fall back to `offset += items` when a
// full page comes without a `next` link although `totalCount` says more remain, and drop items a
// shifting offset window shows twice. Cursors are those root-relative hrefs, so a retried activity
// resumes exactly after the last page it stored.
import { type EndpointRef, unavailableError } from './errors';

export interface Page<T> {
  items: T[];
  /** cursor to resume AFTER this page; null when this was the last page */
  next: string | null;
  totalCount?: number;
}

export interface PageOptions {
  cursor?: string | null;
  signal?: AbortSignal;
}

/** One fetched page before de-duplication, as the client parsed it. */
export interface FetchedPage<T> {
  items: T[];
  nextHref?: string | null | undefined;
  totalCount?: number | undefined;
}

/**
 * The client's base URL without a trailing slash or `/api/v2` suffix: hrefs are joined to it, and
 * they carry `/api/v2` themselves. A path prefix (a proxy) is kept.
 */
export function normalizeBaseUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`base URL must be http(s), got ${url.protocol}`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/api\/v2$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

/**
 * Joins a root-relative href (`/api/v2/...`) to the base URL's origin and path prefix. Absolute hrefs
 * are accepted only on the base URL's own origin: following a link elsewhere would send the token there.
 */
export function resolveHref(base: URL, href: string): URL {
  if (href.startsWith('/') && !href.startsWith('//')) {
    const prefix = base.pathname === '/' ? '' : base.pathname;
    return new URL(prefix + href, base.origin);
  }
  const absolute = new URL(href, base.origin); // protocol-relative `//host/...` lands on its own host
  if (absolute.origin !== base.origin) {
    throw new Error(`link points to ${absolute.origin}, not to the connection's host ${base.origin}`);
  }
  return absolute;
}

/** The cursor form of an href: root-relative path and query, as LaunchDarkly writes links. */
export function hrefOf(base: URL, href: string): string {
  const url = resolveHref(base, href);
  const prefix = base.pathname === '/' ? '' : base.pathname;
  const path = prefix && url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
  return path + url.search;
}

/** `path?k=v&k=v…` with the given parameters, in order; arrays become repeated parameters. */
export function buildHref(
  path: string,
  params: Record<string, string | number | readonly string[] | undefined>,
): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) search.append(name, v);
    else search.append(name, String(value));
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

function intParam(search: URLSearchParams, name: string): number | undefined {
  const raw = search.get(name);
  if (raw === null || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * Where to read after a page: its `next` link when present; otherwise, when the page was full
 * (items === limit) and `totalCount` says more remain, the same href at `offset + items`; else null.
 */
export function nextHrefAfter(page: {
  href: string;
  nextHref?: string | null | undefined;
  itemCount: number;
  totalCount?: number | undefined;
}): string | null {
  if (page.nextHref) return page.nextHref;
  const url = new URL(page.href, 'http://cursor.invalid');
  const limit = intParam(url.searchParams, 'limit');
  const offset = intParam(url.searchParams, 'offset') ?? 0;
  if (limit === undefined || page.itemCount !== limit || page.totalCount === undefined) return null;
  if (offset + page.itemCount >= page.totalCount) return null;
  url.searchParams.set('offset', String(offset + page.itemCount));
  return url.pathname + url.search;
}

export interface PaginateOptions<T> {
  ref: EndpointRef;
  /** Href of the first page, used when there is no cursor. */
  firstHref: string;
  cursor?: string | null | undefined;
  fetchPage: (href: string) => Promise<FetchedPage<T>>;
  /** Identity for de-duplication within one pass. */
  keyOf: (item: T) => string;
}

/** Yields one de-duplicated page at a time, each with the cursor that resumes after it. */
export async function* paginate<T>(options: PaginateOptions<T>): AsyncGenerator<Page<T>> {
  const seenKeys = new Set<string>();
  const visited = new Set<string>();
  let href: string | null = options.cursor ?? options.firstHref;
  while (href !== null) {
    if (visited.has(href)) {
      // A pass that stopped here would look complete and mark every unread row deleted.
      throw unavailableError(options.ref, `pagination loops back to ${href}`);
    }
    visited.add(href);
    const fetched: FetchedPage<T> = await options.fetchPage(href);
    const next = nextHrefAfter({
      href,
      nextHref: fetched.nextHref,
      itemCount: fetched.items.length,
      totalCount: fetched.totalCount,
    });
    const items = fetched.items.filter((item) => {
      const key = options.keyOf(item);
      if (seenKeys.has(key)) return false;
      seenKeys.add(key);
      return true;
    });
    const page: Page<T> = { items, next };
    if (fetched.totalCount !== undefined) page.totalCount = fetched.totalCount;
    yield page;
    href = next;
  }
}
