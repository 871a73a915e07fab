// Flags with their per-environment state: GET /api/v2/flags/{projectKey}?env=..., one pass per
// project. LaunchDarkly serves at most 3 environments per request, so the stream reads in passes
// (environment batches, then the same batches of archived flags); each pass writes the flag rows and
// its environments' rows, and the upserts merge them per flag. The cursor names the pass and the page.
import { z } from 'zod';
import { enc, epochMs, listEndpoint, optionalText, rawOf, tags, type ListEndpoint } from '../launchdarkly';
import type { ApiVersion } from '../shared';
import { defineTable, isoFromEpochMs, type StreamDefinition, type StreamPage } from './stream';

/** Flags: 100 under 20240415, 1000 under 20220603 (documented or observed maxima, API.md §2, §4). */
export const FLAGS_PAGE_SIZE: Record<ApiVersion, number> = { '20240415': 100, '20220603': 1000 };

/** LaunchDarkly answers at most 3 `env` values per flags request (API.md §2, FS-6603). */
export const ENVIRONMENTS_PER_FLAG_REQUEST = 3;

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
    archivedDate: epochMs.nullish(),
    // Optional since ld-openapi 17 and missing in older data (API.md §7.13): absent means not deprecated.
    deprecated: z.boolean().optional(),
    deprecatedDate: epochMs.nullish(),
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
    archivedDate: f.archivedDate ?? null,
    deprecated: f.deprecated ?? false,
    deprecatedDate: f.deprecatedDate ?? null,
    creationDate: f.creationDate,
    maintainerId: f.maintainerId ?? null,
    maintainerTeamKey: f.maintainerTeamKey ?? null,
    tags: f.tags ?? [],
    /** Only the environments of the pass that read the flag (see flagPasses). */
    environments: environments ?? {},
    // The per-environment state lives in `environments`; raw is the flag alone.
    raw: rawOf(f),
  }));
export type Flag = z.output<typeof FlagSchema>;

/** One read of a project's flags: up to 3 environments' state, live or archived flags. */
export interface FlagPass {
  environmentKeys: string[];
  archived: boolean;
}

/**
 * The passes needed to read every flag with its per-environment state: env keys in batches of 3
 * (one pass with no env when there are none), then the same batches again with filter=state:archived.
 */
export function flagPasses(environmentKeys: readonly string[]): FlagPass[] {
  const batches: string[][] = [];
  for (let i = 0; i < environmentKeys.length; i += ENVIRONMENTS_PER_FLAG_REQUEST) {
    batches.push(environmentKeys.slice(i, i + ENVIRONMENTS_PER_FLAG_REQUEST));
  }
  if (batches.length === 0) batches.push([]);
  return [false, true].flatMap((archived) => batches.map((keys) => ({ environmentKeys: keys, archived })));
}

/** One pass over a project's flags; `Flag.environments` holds only the pass's environments. */
export function flagsEndpoint(projectKey: string, pass: FlagPass, limit: number): ListEndpoint<Flag> {
  const wanted = new Set(pass.environmentKeys);
  // 20220603 serves every environment; a pass promises only its own.
  const schema = FlagSchema.transform((flag) => {
    for (const key of Object.keys(flag.environments)) if (!wanted.has(key)) delete flag.environments[key];
    return flag;
  });
  return listEndpoint({
    path: `/api/v2/flags/${enc(projectKey)}`,
    pattern: '/api/v2/flags/{projectKey}',
    label: `${pass.archived ? 'archived ' : ''}flags of project "${projectKey}"`,
    query: {
      limit,
      // creationDate: new flags land at the end, so offset pages do not shift under a running read.
      sort: 'creationDate',
      env: pass.environmentKeys,
      filter: pass.archived ? 'state:archived' : undefined,
    },
    schema,
    keyOf: (f) => f.key,
  });
}

const Params = z.object({ projectKey: z.string().min(1), environmentKeys: z.array(z.string().min(1)) });
type Params = z.output<typeof Params>;

export const flagsTable = defineTable<Flag, Params>(['project_key'], {
  table: 'flags',
  key: { project_key: (_f, p) => p.projectKey, flag_key: (f) => f.key },
  columns: {
    name: ['text', (f) => f.name],
    description: ['text', (f) => f.description],
    kind: ['text', (f) => f.kind],
    temporary: ['boolean', (f) => f.temporary],
    archived: ['boolean', (f) => f.archived],
    deprecated: ['boolean', (f) => f.deprecated],
    created_at: ['timestamptz', (f) => isoFromEpochMs(f.creationDate)],
    archived_at: ['timestamptz', (f) => isoFromEpochMs(f.archivedDate)],
    deprecated_at: ['timestamptz', (f) => isoFromEpochMs(f.deprecatedDate)],
    maintainer_id: ['text', (f) => f.maintainerId],
    maintainer_team_key: ['text', (f) => f.maintainerTeamKey],
    tags: ['text[]', (f) => f.tags],
    raw: ['jsonb', (f) => f.raw],
  },
  cascades: [
    { child: 'flag_environments', match: ['project_key', 'flag_key'] },
    { child: 'flag_statuses', match: ['project_key', 'flag_key'] },
  ],
});

type FlagInEnvironment = FlagEnvironment & { flagKey: string; environmentKey: string };

export const flagEnvironmentsTable = defineTable<Flag, Params, FlagInEnvironment>(['project_key'], {
  table: 'flag_environments',
  rowsOf: (f) =>
    Object.entries(f.environments).map(([environmentKey, state]) => ({ ...state, flagKey: f.key, environmentKey })),
  key: {
    project_key: (_r, p) => p.projectKey,
    flag_key: (r) => r.flagKey,
    environment_key: (r) => r.environmentKey,
  },
  columns: {
    on: ['boolean', (r) => r.on],
    archived: ['boolean', (r) => r.archived],
    last_modified: ['timestamptz', (r) => isoFromEpochMs(r.lastModified)],
    version: ['integer', (r) => r.version],
    raw: ['jsonb', (r) => r.raw],
  },
});

interface FlagCursor {
  pass: number;
  next: string | null;
}

async function* flagPages(
  p: Params,
  cursor: string | null,
  { client, signal }: Parameters<StreamDefinition<Params, Flag>['read']>[2],
): AsyncIterable<StreamPage<Flag>> {
  const passes = flagPasses(p.environmentKeys);
  const limit = FLAGS_PAGE_SIZE[client.apiVersion];
  const start: FlagCursor = cursor ? (JSON.parse(cursor) as FlagCursor) : { pass: 0, next: null };
  for (let i = start.pass; i < passes.length; i++) {
    const pass = passes[i] as FlagPass;
    const from = i === start.pass ? start.next : null;
    for await (const page of client.list(flagsEndpoint(p.projectKey, pass, limit), { cursor: from, signal })) {
      const resume: FlagCursor | null = page.next
        ? { pass: i, next: page.next }
        : i + 1 < passes.length
          ? { pass: i + 1, next: null }
          : null;
      yield { items: page.items, next: resume ? JSON.stringify(resume) : null };
    }
  }
}

export const flagsStream: StreamDefinition<Params, Flag> = {
  name: 'flags',
  activity: 'syncFlags',
  params: Params,
  scopeColumns: ['project_key'],
  scopeOf: (p) => [p.projectKey],
  label: (p) => `flags of project "${p.projectKey}"`,
  read: flagPages,
  tables: [flagsTable, flagEnvironmentsTable],
  // One pass per project with all of its environments: their per-environment state rides on each flag.
  schedule: {
    summary: 'flags of project {projectKey}',
    from: { stream: 'environments', param: 'environmentKeys', each: false },
  },
};
