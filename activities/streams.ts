// One activity per stream of the catalog (src/streams), all run by the same read→write loop
// (stream-runner.ts): read a page through the connection's client, map its items to rows with the
// stream's own mapping, write and checkpoint; then return the counts, and the keys the workflow fans
// out over when the stream declares some. Activity names and inputs are contracts (DESIGN.md).
import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { liveKeys } from '../src/db';
import type { StreamSummary } from '../src/shared';
import {
  environments,
  flagStatuses,
  flags,
  projects,
  tags,
  teamMaintainers,
  teams,
  type StreamDefinition,
} from '../src/streams';
import { databaseRetryFromEnv, retryDatabase, type DatabaseRetrySettings } from './database';
import { toApplicationFailure } from './failures';
import { clientForConnection, type ClientDeps } from './launchdarkly';
import { END_CURSOR, runStream } from './stream-runner';
import type { KeyedStreamSummary, RunRef } from './types';

type Deps = ClientDeps & { pool: Pool; databaseRetry?: DatabaseRetrySettings };

export function createStreamActivities(deps: Deps) {
  const run = streamRunner(deps);
  return {
    syncProjects: (ref: RunRef): Promise<KeyedStreamSummary> => run.keyed(projects.projectsStream, ref),
    syncTags: (ref: RunRef): Promise<StreamSummary> => run.plain(tags.tagsStream, ref),
    syncTeams: (ref: RunRef): Promise<KeyedStreamSummary> => run.keyed(teams.teamsStream, ref),
    syncTeamMaintainers: (ref: RunRef & { teamKey: string }): Promise<StreamSummary> =>
      run.plain(teamMaintainers.teamMaintainersStream, ref),
    syncEnvironments: (ref: RunRef & { projectKey: string }): Promise<KeyedStreamSummary> =>
      run.keyed(environments.environmentsStream, ref),
    syncFlags: (ref: RunRef & { projectKey: string; environmentKeys: string[] }): Promise<StreamSummary> =>
      run.plain(flags.flagsStream, ref),
    syncFlagStatuses: (ref: RunRef & { projectKey: string; environmentKey: string }): Promise<StreamSummary> =>
      run.plain(flagStatuses.flagStatusesStream, ref),
  };
}

function streamRunner(deps: Deps) {
  const { pool } = deps;
  const databaseRetry = deps.databaseRetry ?? databaseRetryFromEnv();

  /** A database call outside the loop (the keys to fan out over), typed like the rest. */
  async function database<R>(ref: RunRef, what: string, fn: () => Promise<R>): Promise<R> {
    try {
      return await retryDatabase(fn, { settings: databaseRetry, what });
    } catch (err) {
      throw toApplicationFailure(err, { connectionId: ref.connectionId, what });
    }
  }

  async function plain<P, I>(definition: StreamDefinition<P, I>, input: RunRef & object): Promise<StreamSummary> {
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
    return runStream<I>(
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
  }

  /** A stream the workflow fans out over: its summary, and the live keys of its fan-out column. */
  async function keyed<P, I>(definition: StreamDefinition<P, I>, input: RunRef & object): Promise<KeyedStreamSummary> {
    const summary = await plain(definition, input);
    const fanOut = definition.fanOut;
    if (!fanOut) throw new Error(`stream ${definition.name} declares no fan-out`);
    if (summary.status === 'skipped') return { ...summary, keys: [] };
    const params = definition.params.parse(input);
    const [table] = definition.tables;
    if (!table) throw new Error(`stream ${definition.name} writes no table`);
    const keys = await database(input, `reading the stored ${table.spec.table}`, () =>
      liveKeys(pool, input.connectionId, table.spec, fanOut.column, definition.scopeOf(params)),
    );
    return { ...summary, keys };
  }

  return { plain, keyed };
}
