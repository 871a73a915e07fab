// One activity per LaunchDarkly endpoint. Each pages through the client and hands every page to the
// stream runner, which writes it and checkpoints; each returns counts (and the keys to fan out over).
import type { Pool } from 'pg';
import { activeKeys, activeFlagKeys, failStream } from '../src/db';
import { LaunchDarklyError, type Flag, type FlagPass, type LaunchDarklyClient, type Page } from '../src/launchdarkly';
import type { StreamSummary } from '../src/shared';
import { databaseRetryFromEnv, retryDatabase, type DatabaseRetrySettings } from './database';
import { toApplicationFailure } from './failures';
import { clientForConnection, type ClientDeps } from './launchdarkly';
import * as rows from './mappers';
import { END_CURSOR, runStream, type SourcePage, type StreamHooks, type StreamSource } from './stream-runner';
import type { KeyedStreamSummary, RunRef } from './types';

async function* fromPages<T>(pages: AsyncIterable<Page<T>>): AsyncIterable<SourcePage<T>> {
  for await (const page of pages) yield { items: page.items, cursor: page.next ?? END_CURSOR };
}

function startCursor(cursor: string | null): string | null {
  return cursor === END_CURSOR ? null : cursor;
}

export function createStreamActivities(deps: ClientDeps & { pool: Pool; databaseRetry?: DatabaseRetrySettings }) {
  const { pool } = deps;
  const databaseRetry = deps.databaseRetry ?? databaseRetryFromEnv();

  /** A database read after the stream completed (the keys to fan out over), typed like the rest. */
  async function afterStream<R>(ref: RunRef, what: string, fn: () => Promise<R>): Promise<R> {
    try {
      return await retryDatabase(fn, { settings: databaseRetry, what });
    } catch (err) {
      throw toApplicationFailure(err, { connectionId: ref.connectionId, what });
    }
  }

  /** Runs a single-pass stream whose pages come straight from one client iterator. */
  function simpleStream<T>(
    ref: RunRef,
    stream: Parameters<typeof runStream>[0]['stream'],
    scope: string,
    what: string,
    pages: (
      client: LaunchDarklyClient,
      cursor: string | null,
      signal: AbortSignal,
      hooks: StreamHooks,
    ) => AsyncIterable<Page<T>>,
    toWrites: StreamSource<T>['toWrites'],
  ): Promise<StreamSummary> {
    return runStream<T>({ pool, ref, stream, scope, what, databaseRetry }, async (hooks) => {
      const client = await clientForConnection(deps, ref.connectionId, hooks);
      return {
        pages: (cursor, signal) => fromPages(pages(client, startCursor(cursor), signal, hooks)),
        toWrites,
        requests: () => client.stats().requests,
      };
    });
  }

  return {
    async syncProjects(ref: RunRef): Promise<KeyedStreamSummary> {
      const summary = await simpleStream(
        ref,
        'projects',
        '',
        'projects',
        (c, cursor, signal) => c.projects({ cursor, signal }),
        (items) => [{ table: 'projects', rows: items.map(rows.projectRow) }],
      );
      return {
        ...summary,
        keys: await afterStream(ref, 'reading the stored projects', () =>
          activeKeys(pool, ref.connectionId, 'projects'),
        ),
      };
    },

    async syncTags(ref: RunRef): Promise<StreamSummary> {
      return simpleStream(
        ref,
        'tags',
        '',
        'tags',
        (c, cursor, signal) => c.tags({ cursor, signal }),
        (items) => [{ table: 'tags', rows: items.map((tag) => ({ tag })) }],
      );
    },

    /** Teams are not in every plan: `not_entitled` skips the stream instead of failing the run. */
    async syncTeams(ref: RunRef): Promise<KeyedStreamSummary> {
      try {
        const summary = await simpleStream(
          ref,
          'teams',
          '',
          'teams',
          (c, cursor, signal) => c.teams({ cursor, signal }),
          (items) => [{ table: 'teams', rows: items.map(rows.teamRow) }],
        );
        return {
          ...summary,
          keys: await afterStream(ref, 'reading the stored teams', () => activeKeys(pool, ref.connectionId, 'teams')),
        };
      } catch (err) {
        const reason = notEntitled(err);
        if (reason === null) throw err;
        await afterStream(ref, 'recording the teams stream as skipped', () =>
          failStream(
            pool,
            { runId: ref.runId, connectionId: ref.connectionId, stream: 'teams', scope: '' },
            { status: 'skipped', errorType: 'not_entitled', message: reason },
          ),
        );
        return { ...skipped('teams', '', reason), keys: [] };
      }
    },

    async syncTeamMaintainers(ref: RunRef & { teamKey: string }): Promise<StreamSummary> {
      return simpleStream(
        ref,
        'team_maintainers',
        ref.teamKey,
        `maintainers of team "${ref.teamKey}"`,
        (c, cursor, signal) => c.teamMaintainers(ref.teamKey, { cursor, signal }),
        (items) => [{ table: 'team_maintainers', rows: items.map((m) => rows.teamMaintainerRow(ref.teamKey, m)) }],
      );
    },

    async syncEnvironments(ref: RunRef & { projectKey: string }): Promise<KeyedStreamSummary> {
      const summary = await simpleStream(
        ref,
        'environments',
        ref.projectKey,
        `environments of project "${ref.projectKey}"`,
        (c, cursor, signal) => c.environments(ref.projectKey, { cursor, signal }),
        (items) => [{ table: 'environments', rows: items.map((e) => rows.environmentRow(ref.projectKey, e)) }],
      );
      return {
        ...summary,
        keys: await afterStream(ref, `reading the stored environments of project "${ref.projectKey}"`, () =>
          activeKeys(pool, ref.connectionId, 'environments', ref.projectKey),
        ),
      };
    },

    /**
     * Flags with their per-environment state: LaunchDarkly serves at most 3 environments per request, so
     * the client plans passes (env batches, then the archived ones); every pass writes the flag rows and
     * its environments' rows, and the database merges them per flag.
     */
    async syncFlags(ref: RunRef & { projectKey: string; environmentKeys: string[] }): Promise<StreamSummary> {
      const { projectKey } = ref;
      return runStream<Flag>(
        { pool, ref, stream: 'flags', scope: projectKey, what: `flags of project "${projectKey}"`, databaseRetry },
        async (hooks) => {
          const client = await clientForConnection(deps, ref.connectionId, hooks);
          const passes = client.flagPasses(ref.environmentKeys);
          return {
            pages: (cursor, signal) => flagPages(client, projectKey, passes, cursor, signal),
            toWrites: (items) => [
              { table: 'flags', rows: items.map((f) => rows.flagRow(projectKey, f)) },
              { table: 'flag_environments', rows: items.flatMap((f) => rows.flagEnvironmentRows(projectKey, f)) },
            ],
            requests: () => client.stats().requests,
          };
        },
      );
    },

    async syncFlagStatuses(ref: RunRef & { projectKey: string; environmentKey: string }): Promise<StreamSummary> {
      const { projectKey, environmentKey } = ref;
      return simpleStream(
        ref,
        'flag_statuses',
        `${projectKey}/${environmentKey}`,
        `flag statuses of "${projectKey}/${environmentKey}"`,
        (c, cursor, signal, hooks) => ({
          // The per-flag fallback (when the list endpoint is missing) needs the flag keys: read them from
          // what the flags stream stored, not from workflow history.
          async *[Symbol.asyncIterator]() {
            const flagKeys = await hooks.database('reading the stored flag keys', () =>
              activeFlagKeys(pool, ref.connectionId, projectKey),
            );
            yield* c.flagStatuses(projectKey, environmentKey, { cursor, signal, flagKeys });
          },
        }),
        (items) => [
          { table: 'flag_statuses', rows: items.map((s) => rows.flagStatusRow(projectKey, environmentKey, s)) },
        ],
      );
    },
  };
}

interface FlagCursor {
  pass: number;
  next: string | null;
}

async function* flagPages(
  client: LaunchDarklyClient,
  projectKey: string,
  passes: FlagPass[],
  cursor: string | null,
  signal: AbortSignal,
): AsyncIterable<SourcePage<Flag>> {
  const start: FlagCursor = cursor ? (JSON.parse(cursor) as FlagCursor) : { pass: 0, next: null };
  for (let i = start.pass; i < passes.length; i++) {
    const pass = passes[i] as FlagPass;
    const from = i === start.pass ? start.next : null;
    for await (const page of client.flags(projectKey, pass, { cursor: from, signal })) {
      const resume: FlagCursor | null = page.next
        ? { pass: i, next: page.next }
        : i + 1 < passes.length
          ? { pass: i + 1, next: null }
          : null;
      yield { items: page.items, cursor: resume ? JSON.stringify(resume) : END_CURSOR };
    }
  }
}

function notEntitled(err: unknown): string | null {
  let cause: unknown = err;
  while (cause instanceof Error) {
    if (cause instanceof LaunchDarklyError && cause.type === 'not_entitled') return cause.message;
    if ((cause as Error & { type?: string }).type === 'not_entitled') return (cause as Error).message;
    cause = (cause as { cause?: unknown }).cause;
  }
  return null;
}

function skipped(stream: StreamSummary['stream'], scope: string, reason: string): StreamSummary {
  return {
    stream,
    scope,
    status: 'skipped',
    pages: 0,
    requests: 0,
    counts: { inserted: 0, updated: 0, unchanged: 0, deleted: 0 },
    reason,
  };
}
