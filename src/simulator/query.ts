// Parsing of LaunchDarkly's query conventions: `filter=field:value,...` (commas inside `{}` or
// `[]` belong to the value), `sort=field,-field`, `expand=a,b` and boolean params. Malformed
// input is a 400 invalid_request, as on the live API.
import { invalidRequest } from './errors';

export function parseBoolean(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw invalidRequest(`${name} must be a boolean`);
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '{' || char === '[') depth += 1;
    if (char === '}' || char === ']') depth = Math.max(0, depth - 1);
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.filter((part) => part.length > 0);
}

/** `field:value` pairs of a `filter` param; fields outside `allowed` are rejected. */
export function parseFilter(raw: string | null, allowed: readonly string[]): Map<string, string> {
  const filters = new Map<string, string>();
  if (raw === null || raw === '') return filters;
  for (const clause of splitTopLevel(raw)) {
    const colon = clause.indexOf(':');
    if (colon <= 0) throw invalidRequest(`invalid filter clause "${clause}": expected field:value`);
    const field = clause.slice(0, colon).trim();
    if (!allowed.includes(field)) throw invalidRequest(`unsupported filter field "${field}"`);
    filters.set(field, clause.slice(colon + 1));
  }
  return filters;
}

export type SortKey<T> = (item: T) => string | number | boolean | undefined;

/** A comparator from `sort=a,-b`; undefined when no sort is asked for. */
export function parseSort<T>(
  raw: string | null,
  fields: Record<string, SortKey<T>>,
  options: { multiple: boolean },
): ((a: T, b: T) => number) | undefined {
  if (raw === null || raw === '') return undefined;
  const names = raw.split(',').filter((name) => name.length > 0);
  if (names.length > 1 && !options.multiple) throw invalidRequest('only one sort field is supported');
  const keys = names.map((name) => {
    const descending = name.startsWith('-');
    const field = descending ? name.slice(1) : name;
    const key = fields[field];
    if (key === undefined) throw invalidRequest(`unsupported sort field "${field}"`);
    return { key, sign: descending ? -1 : 1 };
  });
  return (a, b) => {
    for (const { key, sign } of keys) {
      const order = compareValues(key(a), key(b));
      if (order !== 0) return order * sign;
    }
    return 0;
  };
}

function compareValues(a: string | number | boolean | undefined, b: string | number | boolean | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const left = typeof a === 'boolean' ? Number(a) : a;
  const right = typeof b === 'boolean' ? Number(b) : b;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A stable sort on a copy (Array.prototype.sort is stable since ES2019). */
export function sorted<T>(items: readonly T[], comparator: ((a: T, b: T) => number) | undefined): T[] {
  return comparator === undefined ? [...items] : [...items].sort(comparator);
}

export function parseExpand(query: URLSearchParams): Set<string> {
  const values = query
    .getAll('expand')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
  return new Set(values);
}

export function containsIgnoringCase(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle.toLowerCase());
}
