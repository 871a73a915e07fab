// Flag statuses of one (project, environment): GET /api/v2/flag-statuses/{projectKey}/{environmentKey},
// one list per environment (the minimum; DX reads one request per flag). Where the list endpoint is
// missing (404/405 from the start), the stream reads flag by flag from the per-flag endpoint, with the
// flag keys the flags stream stored; a per-flag cursor resumes in that mode.
import { z } from 'zod';
import { enc, itemEndpoint, LaunchDarklyError, Link, listEndpoint, mapLimit, rawOf } from '../launchdarkly';
import { flagsTable } from './flags';
import { defineTable, listPages, type ReadContext, type StreamDefinition, type StreamPage } from './stream';

/** Per-flag mode: statuses per page (one checkpoint each), and requests in flight. */
const PER_FLAG_PAGE_SIZE = 50;
const PER_FLAG_CONCURRENCY = 4;

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

function describeStatusKey(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  return flagKeyFromLinks((item as { _links?: Parameters<typeof flagKeyFromLinks>[0] })._links);
}

export function flagStatusesEndpoint(projectKey: string, environmentKey: string) {
  return listEndpoint({
    path: `/api/v2/flag-statuses/${enc(projectKey)}/${enc(environmentKey)}`,
    pattern: '/api/v2/flag-statuses/{projectKey}/{environmentKey}',
    label: `flag statuses of project "${projectKey}" environment "${environmentKey}"`,
    schema: FlagStatusSchema,
    keyOf: (s) => s.flagKey,
    describeKey: describeStatusKey,
  });
}

/** One flag's status: the per-flag endpoint, for the fallback (and for DX-style comparisons). */
export function flagStatusEndpoint(projectKey: string, environmentKey: string, flagKey: string) {
  const path = `/api/v2/flag-statuses/${enc(projectKey)}/${enc(environmentKey)}/${enc(flagKey)}`;
  return itemEndpoint({
    path,
    pattern: '/api/v2/flag-statuses/{projectKey}/{environmentKey}/{featureFlagKey}',
    label: `status of flag "${flagKey}" in project "${projectKey}" environment "${environmentKey}"`,
    // The request names the flag, so a body without links still has a key.
    parse: (body) =>
      FlagStatusSchema.safeParse(
        body !== null && typeof body === 'object' && !('_links' in body)
          ? { ...body, _links: { self: { href: path } } }
          : body,
      ),
  });
}

const Params = z.object({ projectKey: z.string().min(1), environmentKey: z.string().min(1) });
type Params = z.output<typeof Params>;

export const flagStatusesTable = defineTable<FlagStatus, Params>(['project_key', 'environment_key'], {
  table: 'flag_statuses',
  key: {
    project_key: (_s, p) => p.projectKey,
    environment_key: (_s, p) => p.environmentKey,
    flag_key: (s) => s.flagKey,
  },
  columns: {
    status: ['text', (s) => s.name],
    last_requested: ['timestamptz', (s) => (s.lastRequested === null ? null : new Date(s.lastRequested).toISOString())],
    default_value: ['jsonb', (s) => s.default],
    raw: ['jsonb', (s) => s.raw],
  },
});

async function* statusPages(
  p: Params,
  cursor: string | null,
  context: ReadContext,
): AsyncIterable<StreamPage<FlagStatus>> {
  const list = flagStatusesEndpoint(p.projectKey, p.environmentKey);
  const flagKeys = () => context.liveKeys(flagsTable.spec, 'flag_key', [p.projectKey]);
  // A per-flag cursor is the path of the next flag's status: one segment longer than the list's.
  const perFlagCursor = cursor !== null && cursor.split('?')[0]!.split('/').length > list.ref.path.split('/').length;
  if (perFlagCursor) {
    yield* perFlagPages(p, await flagKeys(), cursor, context);
    return;
  }
  let yielded = false;
  try {
    for await (const page of listPages(context.client, list, cursor, context.signal)) {
      yielded = true;
      yield page;
    }
  } catch (err) {
    // Only a list endpoint that is missing from the start means "read flag by flag".
    const listMissing = err instanceof LaunchDarklyError && (err.status === 404 || err.status === 405);
    if (yielded || !listMissing || cursor) throw err;
    yield* perFlagPages(p, await flagKeys(), null, context, { listError: err });
  }
}

/** Statuses read one flag at a time (the DX approach), in pages of 50; a flag that is gone is left out. */
export async function* perFlagPages(
  p: Params,
  flagKeys: string[],
  cursor: string | null,
  { client, signal }: Pick<ReadContext, 'client' | 'signal'>,
  fallback?: { listError: LaunchDarklyError },
): AsyncIterable<StreamPage<FlagStatus>> {
  const hrefOf = (flagKey: string) => flagStatusEndpoint(p.projectKey, p.environmentKey, flagKey).href;
  // A flag that vanished since the cursor was saved: start over; writes are idempotent.
  const start = cursor
    ? Math.max(
        0,
        flagKeys.findIndex((k) => hrefOf(k) === cursor.split('?')[0]),
      )
    : 0;
  for (let i = start; i < flagKeys.length; i += PER_FLAG_PAGE_SIZE) {
    const statuses = await mapLimit(flagKeys.slice(i, i + PER_FLAG_PAGE_SIZE), PER_FLAG_CONCURRENCY, async (k) => {
      try {
        return await client.get(flagStatusEndpoint(p.projectKey, p.environmentKey, k), { signal });
      } catch (err) {
        if (err instanceof LaunchDarklyError && err.type === 'not_found') return null; // the flag is gone
        throw err;
      }
    });
    if (i === 0 && fallback && statuses[0] === null) {
      // The first flag is unknown too: the project or environment is what is missing, not the list endpoint.
      throw fallback.listError;
    }
    const nextKey = flagKeys[i + PER_FLAG_PAGE_SIZE];
    yield {
      items: statuses.filter((s): s is FlagStatus => s !== null),
      next: nextKey === undefined ? null : hrefOf(nextKey),
    };
  }
}

export const flagStatusesStream: StreamDefinition<Params, FlagStatus> = {
  name: 'flag_statuses',
  activity: 'syncFlagStatuses',
  params: Params,
  scopeColumns: ['project_key', 'environment_key'],
  scopeOf: (p) => [p.projectKey, p.environmentKey],
  label: (p) => `flag statuses of "${p.projectKey}/${p.environmentKey}"`,
  read: statusPages,
  tables: [flagStatusesTable],
  // Thousands of environments per account: each list runs in a child workflow, so no history holds them all.
  schedule: {
    summary: 'flag statuses of {projectKey}/{environmentKey}',
    from: { stream: 'environments', param: 'environmentKey', each: true },
    window: { option: 'flagStatusWindow', size: 50 },
    child: { workflowType: 'syncFlagStatuses', idSegment: 'flag-statuses' },
  },
};
