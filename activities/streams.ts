// One activity per stream of the catalog (src/streams), all run by the same read→write loop
// (stream-runner.ts): read a page through the connection's client, map its items to rows with the
// stream's own mapping, write and checkpoint; then return the counts, and the keys the workflow fans
// out over when the stream declares some. Activity names and inputs are contracts (DESIGN.md).
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { liveKeys } from '../src/db';
import type { StreamSummary } from '../src/shared';
import { CATALOG, type StreamDefinition } from '../src/streams';
import { DEFAULT_DATABASE_RETRY, retryDatabase, type DatabaseRetrySettings } from './database';
import { toApplicationFailure } from './failures';
import { clientForConnection, type ClientDeps } from './launchdarkly';
import { END_CURSOR, runStream } from './stream-runner';
import type { KeyedStreamSummary, RunRef } from './types';

type Deps = ClientDeps & { pool: Pool; databaseRetry?: DatabaseRetrySettings };

/** One scope of one stream: its parameters beside the run reference, validated by the stream's schema. */
export type StreamActivity = (input: RunRef & object) => Promise<StreamSummary | KeyedStreamSummary>;

/**
 * The catalog's activities by name, as code that calls them by name sees them: the frozen workflow
 * versions and `syncFlagStatuses`. The catalog plan calls any activity by its type, so a new stream
 * needs no entry here.
 */
export interface NamedStreamActivities {
  syncProjects(ref: RunRef): Promise<KeyedStreamSummary>;
  syncTags(ref: RunRef): Promise<StreamSummary>;
  syncTeams(ref: RunRef): Promise<KeyedStreamSummary>;
  syncTeamMaintainers(ref: RunRef & { teamKey: string }): Promise<StreamSummary>;
  syncEnvironments(ref: RunRef & { projectKey: string }): Promise<KeyedStreamSummary>;
  syncFlags(ref: RunRef & { projectKey: string; environmentKeys: string[] }): Promise<StreamSummary>;
  syncFlagStatuses(ref: RunRef & { projectKey: string; environmentKey: string }): Promise<StreamSummary>;
}

/** One activity per stream of the catalog, named by the stream's `activity`. */
export function createStreamActivities(deps: Deps): NamedStreamActivities {
  const run = streamRunner(deps);
  const activities: Record<string, StreamActivity> = {};
  for (const definition of Object.values(CATALOG)) {
    activities[definition.activity] = (input) =>
      definition.fanOut ? run.keyed(definition, input) : run.plain(definition, input).then(({ summary }) => summary);
  }
  return activities as unknown as NamedStreamActivities;
}

function streamRunner(deps: Deps) {
  const { pool } = deps;
  const databaseRetry = deps.databaseRetry ?? DEFAULT_DATABASE_RETRY;

  /** A database call outside the loop (the keys to fan out over), typed like the rest. */
  async function database<R>(ref: RunRef, what: string, fn: () => Promise<R>): Promise<R> {
    try {
      return await retryDatabase(fn, { settings: databaseRetry, what });
    } catch (err) {
      throw toApplicationFailure(err, { connectionId: ref.connectionId, what });
    }
  }

  /** Runs one scope of a stream: its summary, and the scope's key values. */
  async function plain<P, I>(
    definition: StreamDefinition<P, I>,
    input: RunRef & object,
  ): Promise<{ summary: StreamSummary; scopeValues: string[] }> {
    const parsed = definition.params.safeParse(input);
    if (!parsed.success) {
      throw ApplicationFailure.create({
        type: 'invalid_input',
        nonRetryable: true,
        message: `${definition.activity}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      });
    }
    const params = parsed.data;
    const scopeValues = definition.scopeOf(params);
    const scope = scopeValues.join('/');
    const what = definition.label(params);
    const tables = definition.tables.map((t) => t.spec);
    const summary = await runStream<I>(
      {
        pool,
        ref: input,
        stream: definition.name,
        scope,
        scopeValues,
        tables,
        what,
        databaseRetry,
        skipWhenNotEntitled: definition.skipWhenNotEntitled,
      },
      async (hooks) => {
        const client = await clientForConnection(deps, input.connectionId, hooks);
        const context = {
          client,
          liveKeys: (spec: (typeof tables)[number], column: string, values: readonly string[]) =>
            hooks.database(`reading the stored ${spec.table}`, () =>
              liveKeys(pool, input.connectionId, spec, column, values),
            ),
        };
        return {
          pages: async function* (cursor, signal) {
            for await (const page of definition.read(params, cursor, { ...context, signal })) {
              yield { items: page.items, cursor: page.next ?? END_CURSOR };
            }
          },
          toWrites: (items) =>
            definition.tables.map((table) => ({
              spec: table.spec,
              records: items.flatMap((item) => table.records(item, params)),
            })),
          requests: () => client.stats().requests,
        };
      },
    );
    return { summary, scopeValues };
  }

  /** A stream the workflow fans out over: its summary, and the live keys of its fan-out column. */
  async function keyed<P, I>(definition: StreamDefinition<P, I>, input: RunRef & object): Promise<KeyedStreamSummary> {
    const { summary, scopeValues } = await plain(definition, input);
    const fanOut = definition.fanOut;
    const [table] = definition.tables;
    if (!fanOut || !table) throw new Error(`stream ${definition.name} declares no fan-out`);
    if (summary.status === 'skipped') return { ...summary, keys: [] };
    const keys = await database(input, `reading the stored ${table.spec.table}`, () =>
      liveKeys(pool, input.connectionId, table.spec, fanOut.column, scopeValues),
    );
    return { ...summary, keys };
  }

  return { plain, keyed };
}
