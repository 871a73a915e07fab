// limit/offset paging and the `_links` LaunchDarkly puts on collections: `self` always, and
// `first`/`prev`/`next`/`last` only when the page they point to exists. Hrefs are root-relative
// (`/api/v2/...`) and keep every other query parameter, sorted by name as LaunchDarkly's Go
// encoder does (`?limit=3&offset=3&summary=true`).
import { invalidRequest } from './errors';

export interface Link {
  href: string;
  type: string;
}

export type OverLimitBehaviour = 'clamp' | 'reject';

export interface PagingRules {
  defaultLimit: number;
  maxLimit: number;
  overLimit: OverLimitBehaviour;
}

export interface Page {
  limit: number;
  offset: number;
}

export function link(href: string, type = 'application/json'): Link {
  return { href, type };
}

function parseNonNegativeInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw invalidRequest(`${name} must be a non-negative integer`);
  return Number(raw);
}

export function parsePaging(query: URLSearchParams, rules: PagingRules): Page {
  const requested = parseNonNegativeInteger(query, 'limit');
  const offset = parseNonNegativeInteger(query, 'offset') ?? 0;
  let limit = requested ?? rules.defaultLimit;
  if (limit < 1) throw invalidRequest('limit must be at least 1');
  if (limit > rules.maxLimit) {
    if (rules.overLimit === 'reject') throw invalidRequest(`limit must be at most ${rules.maxLimit}`);
    limit = rules.maxLimit;
  }
  return { limit, offset };
}

export function pageOf<T>(items: readonly T[], page: Page): T[] {
  return items.slice(page.offset, page.offset + page.limit);
}

/** A root-relative href for `path` with the request's other params plus the given limit and offset. */
function pageHref(
  path: string,
  query: URLSearchParams,
  limit: number,
  offset: number,
  addIfAbsent: Record<string, string>,
): string {
  const params = new URLSearchParams();
  for (const [name, value] of query) if (name !== 'limit' && name !== 'offset') params.append(name, value);
  for (const [name, value] of Object.entries(addIfAbsent)) if (!params.has(name)) params.append(name, value);
  params.set('limit', String(limit));
  if (offset > 0) params.set('offset', String(offset));
  params.sort();
  return `${path}?${params.toString()}`;
}

export interface CollectionLinkOptions {
  /** Params every link carries even when the request did not (flags add `summary=true`). */
  addIfAbsent?: Record<string, string>;
  /** Extra links, e.g. `parent` on sub-collections. */
  extra?: Record<string, Link>;
}

export function collectionLinks(
  path: string,
  query: URLSearchParams,
  page: Page,
  total: number,
  options: CollectionLinkOptions = {},
): Record<string, Link> {
  const add = options.addIfAbsent ?? {};
  const href = (offset: number): Link => link(pageHref(path, query, page.limit, offset, add));
  const links: Record<string, Link> = { ...options.extra };
  const lastOffset = total > 0 ? Math.floor((total - 1) / page.limit) * page.limit : 0;
  if (total > 0 && page.offset > 0) {
    links.first = href(0);
    links.prev = href(Math.min(Math.max(0, page.offset - page.limit), lastOffset));
  }
  if (page.offset + page.limit < total) {
    links.next = href(page.offset + page.limit);
    links.last = href(lastOffset);
  }
  links.self = href(page.offset);
  return links;
}
