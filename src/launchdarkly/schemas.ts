// The building blocks of what we read from LaunchDarkly, validated at the edge: the collection
// envelope every list shares, field types the item schemas (in the stream modules, src/streams) are
// made of, and the wording of a mismatch. Objects are loose (unknown fields pass through into `raw`),
// but every field we store is type-checked, so a shape change fails loudly as `schema_mismatch`
// naming the item and the field instead of writing nonsense. Field facts: API.md §4 and
// openapi-subset.json.
import { z } from 'zod';
import { redactSecrets } from './redact';

/** A JSON object as received, minus secrets. */
export type Raw = Record<string, unknown>;

/** Milliseconds since the epoch, as LaunchDarkly sends dates. */
export const epochMs = z.number().int().nonnegative();
/** A tag list; absent means none. */
export const tags = z.array(z.string()).optional();
export const optionalText = z.string().nullish();

export const Link = z.looseObject({ href: z.string() });

/** The collection envelope shared by every list endpoint: `{items, _links, totalCount?}`. */
export const CollectionSchema = z.looseObject({
  items: z.array(z.unknown()),
  totalCount: z.number().int().nonnegative().optional(),
  _links: z.looseObject({ next: Link.nullish() }).nullish(),
});
export type Collection = z.output<typeof CollectionSchema>;

/** The item's JSON as stored in `raw`: secrets removed (redact.ts). */
export function rawOf(item: object): Raw {
  return redactSecrets(item) as Raw;
}

/** `field kind: expected "boolean" | "multivariate", got 42` for the first problem zod found in `input`. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String).join('.') || '(item)';
  let expected: string;
  if (issue.code === 'invalid_type') expected = issue.expected;
  else if (issue.code === 'invalid_value') expected = issue.values.map((v) => JSON.stringify(v)).join(' | ');
  else if (issue.code === 'too_small' || issue.code === 'too_big')
    expected = issue.message.replace(/^Too (small|big): /, '');
  else return `field ${path}: ${issue.message}`;
  return `field ${path}: expected ${expected}, got ${show(valueAt(input, issue.path))}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
