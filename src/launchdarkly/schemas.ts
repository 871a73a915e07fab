// What we read from LaunchDarkly, validated at the edge. Objects are loose (unknown fields pass
// through into `raw`), but every field we store is type-checked, so a shape change fails loudly as
// `schema_mismatch` naming the item and the field instead of writing nonsense. Field facts: API.md §4
// and openapi-subset.json. Outputs are plain data with camel-case names; `raw` is the item's JSON with
// secrets removed (redact.ts).
import { z } from 'zod';
import { redactSecrets } from './redact';

/** A JSON object as received, minus secrets. */
export type Raw = Record<string, unknown>;

const epochMs = z.number().int().nonnegative();
const tags = z.array(z.string()).optional();
const optionalText = z.string().nullish();

const Link = z.looseObject({ href: z.string() });

/** The collection envelope shared by every list endpoint: `{items, _links, totalCount?}`. */
export const CollectionSchema = z.looseObject({
  items: z.array(z.unknown()),
  totalCount: z.number().int().nonnegative().optional(),
  _links: z.looseObject({ next: Link.nullish() }).nullish(),
});
export type Collection = z.output<typeof CollectionSchema>;

function rawOf(item: object): Raw {
  return redactSecrets(item) as Raw;
}

export const ProjectSchema = z
  .looseObject({ key: z.string().min(1), name: z.string(), tags })
  .transform((p) => ({ key: p.key, name: p.name, tags: p.tags ?? [], raw: rawOf(p) }));
export type Project = z.output<typeof ProjectSchema>;

export const EnvironmentSchema = z
  .looseObject({ key: z.string().min(1), name: z.string(), color: z.string(), critical: z.boolean().optional(), tags })
  .transform((e) => ({
    key: e.key,
    name: e.name,
    color: e.color,
    // Absent in pre-2024 responses (API.md §4.2): such environments were not marked critical.
    critical: e.critical ?? false,
    tags: e.tags ?? [],
    raw: rawOf(e),
  }));
export type Environment = z.output<typeof EnvironmentSchema>;

export const TeamSchema = z
  .looseObject({
    key: z.string().min(1),
    name: z.string(),
    description: optionalText,
    _creationDate: epochMs.nullish(),
    _lastModified: epochMs.nullish(),
  })
  .transform((t) => ({
    key: t.key,
    name: t.name,
    description: t.description ?? null,
    creationDate: t._creationDate ?? null,
    lastModified: t._lastModified ?? null,
    raw: rawOf(t),
  }));
export type Team = z.output<typeof TeamSchema>;

export const TeamMaintainerSchema = z
  .looseObject({
    _id: z.string().min(1),
    email: z.string(),
    firstName: optionalText,
    lastName: optionalText,
    role: z.string(),
  })
  .transform((m) => ({
    id: m._id,
    email: m.email,
    firstName: m.firstName ?? null,
    lastName: m.lastName ?? null,
    role: m.role,
    raw: rawOf(m),
  }));
export type TeamMaintainer = z.output<typeof TeamMaintainerSchema>;

export const FlagEnvironmentSchema = z
  .looseObject({ on: z.boolean(), archived: z.boolean(), lastModified: epochMs, version: z.number().int() })
  .transform((c) => ({
    on: c.on,
    archived: c.archived,
    lastModified: c.lastModified,
    version: c.version,
    raw: rawOf(c),
  }));
export type FlagEnvironment = z.output<typeof FlagEnvironmentSchema>;

export const FlagSchema = z
  .looseObject({
    key: z.string().min(1),
    name: z.string(),
    description: optionalText,
    kind: z.enum(['boolean', 'multivariate']),
    temporary: z.boolean(),
    archived: z.boolean(),
    // Optional since ld-openapi 17 and missing in older data (API.md §7.13): absent means not deprecated.
    deprecated: z.boolean().optional(),
    creationDate: epochMs,
    maintainerId: optionalText,
    maintainerTeamKey: optionalText,
    tags,
    environments: z.record(z.string(), FlagEnvironmentSchema).nullish(),
  })
  .transform(({ environments, ...f }) => ({
    key: f.key,
    name: f.name,
    description: f.description ?? null,
    kind: f.kind,
    temporary: f.temporary,
    archived: f.archived,
    deprecated: f.deprecated ?? false,
    creationDate: f.creationDate,
    maintainerId: f.maintainerId ?? null,
    maintainerTeamKey: f.maintainerTeamKey ?? null,
    tags: f.tags ?? [],
    /** Only the environments of the pass that read the flag (see LaunchDarklyClient.flagPasses). */
    environments: environments ?? {},
    // The per-environment state lives in `environments`; raw is the flag alone.
    raw: rawOf(f),
  }));
export type Flag = z.output<typeof FlagSchema>;

/** Flag key from a status item's links: `/api/v2/flags/<proj>/<flag>` (parent) or `.../<flag>` (self). */
export function flagKeyFromLinks(
  links: { parent?: { href: string } | null; self?: { href: string } | null } | null | undefined,
): string | undefined {
  const parent = links?.parent?.href.match(/\/api\/v2\/flags\/[^/?]+\/([^/?]+)/)?.[1];
  const self = links?.self?.href.match(/\/api\/v2\/flag-statuses\/[^/?]+\/[^/?]+\/([^/?]+)/)?.[1];
  const key = parent ?? self;
  if (key === undefined) return undefined;
  try {
    return decodeURIComponent(key);
  } catch {
    return key; // not percent-encoded after all
  }
}

export const FlagStatusSchema = z
  .looseObject({
    name: z.enum(['new', 'inactive', 'active', 'launched']),
    lastRequested: z.string().nullish(),
    default: z.unknown().optional(),
    _links: z.looseObject({ parent: Link.nullish(), self: Link.nullish() }).nullish(),
  })
  .transform((s, ctx) => {
    const flagKey = flagKeyFromLinks(s._links);
    if (flagKey === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['_links'],
        message: 'no parent or self link to take the flag key from',
        input: s._links,
      });
      return z.NEVER;
    }
    return { flagKey, name: s.name, lastRequested: s.lastRequested ?? null, default: s.default, raw: rawOf(s) };
  });
export type FlagStatus = z.output<typeof FlagStatusSchema>;

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
