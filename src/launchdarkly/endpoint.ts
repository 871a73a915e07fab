// What the client needs to read one LaunchDarkly endpoint, as data: where it is, how it is named to
// operators and to the rate limiter, and how one item is parsed and keyed. The stream modules
// (src/streams) declare their endpoints with these builders; the client does the requests.
import type { z } from 'zod';
import type { EndpointRef } from './errors';
import { buildHref } from './pagination';

/** A paged list endpoint: `{items, _links.next, totalCount}`. */
export interface ListEndpoint<T> {
  ref: EndpointRef;
  /** Route for per-route rate limits: verb and URL pattern. */
  route: string;
  firstHref: string;
  parseItem(item: unknown): z.ZodSafeParseResult<T>;
  keyOf(item: T): string;
  /** A readable key of an item that failed to parse, for the error message. */
  describeKey(item: unknown): string | undefined;
}

/** A single-resource endpoint: one JSON object. */
export interface ItemEndpoint<T> {
  ref: EndpointRef;
  route: string;
  href: string;
  parse(body: unknown): z.ZodSafeParseResult<T>;
}

export type QueryValue = string | number | string[] | undefined;

/** `encodeURIComponent`, for path segments. */
export const enc = encodeURIComponent;

/** `key`, else `_id`: what most LaunchDarkly items are known by. */
export function keyOrId(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  const o = item as Record<string, unknown>;
  if (typeof o.key === 'string') return o.key;
  if (typeof o._id === 'string') return o._id;
  return undefined;
}

export function listEndpoint<T>(o: {
  path: string;
  /** the path with `{placeholders}`, e.g. `/api/v2/flags/{projectKey}` */
  pattern: string;
  label: string;
  query?: Record<string, QueryValue>;
  schema: z.ZodType<T>;
  keyOf(item: T): string;
  describeKey?(item: unknown): string | undefined;
  teams?: EndpointRef['teams'];
}): ListEndpoint<T> {
  const ref: EndpointRef = { path: o.path, label: o.label };
  if (o.teams) ref.teams = o.teams;
  return {
    ref,
    route: `GET ${o.pattern}`,
    firstHref: o.query ? buildHref(o.path, o.query) : o.path,
    parseItem: (item) => o.schema.safeParse(item),
    keyOf: o.keyOf,
    describeKey: o.describeKey ?? keyOrId,
  };
}

export function itemEndpoint<T>(o: {
  path: string;
  pattern: string;
  label: string;
  parse(body: unknown): z.ZodSafeParseResult<T>;
}): ItemEndpoint<T> {
  return { ref: { path: o.path, label: o.label }, route: `GET ${o.pattern}`, href: o.path, parse: o.parse };
}
