// The one loop every stream activity runs: read a page, write it (rows + counters + cursor in one
// transaction), heartbeat, repeat; then detect deletions. A retry resumes from the committed cursor, so
// a page is fetched again at most once and counted once.
//
// Every database call rides out a Postgres outage (database.ts): it is retried inside the activity,
// while heartbeating, for the retry budget; and every failure, the first `openStream` included, leaves
// as a typed ApplicationFailure (failures.ts). Requests are counted in `sync_run_streams` before they
// are sent, so `requests` includes retries and requests whose page never committed: the next page's
// request rides in the transaction of the page before it (no round trip of its own), the first of an
// attempt and every retry get their own UPDATE. An attempt stopped between a page and the next
// request counts that request unsent: `requests` may exceed what was sent by one per stopped attempt.
import { CancelledFailure, Context, log } from '@temporalio/activity';
import type { Pool } from 'pg';
import {
  addStreamRequests,
  completeStream,
  failStream,
  openStream,
  StreamStateError,
  writePage,
  type DeletionCheck,
  type StreamKey,
  type StreamResume,
  type TableSpec,
  type TableWrite,
} from '../src/db';
import type { RequestInfo, RetryInfo } from '../src/launchdarkly';
import type { StreamName, StreamSummary } from '../src/shared';
import { setActivityLogAttributes } from '../src/temporal/log-interceptor';
import { retryDatabase, type DatabaseRetrySettings } from './database';
import { toApplicationFailure } from './failures';
import { ProgressReporter, type WaitReport } from './progress-reporter';
import { streamMetrics } from './sync-metrics';
import type { RunRef } from './types';

/** The cursor stored once every page of a stream is written. */
export const END_CURSOR = 'end';

export interface SourcePage<T> {
  items: T[];
  /** where to resume after this page; END_CURSOR after the last one */
  cursor: string;
}

export interface StreamSource<T> {
  /** pages after `cursor` (null: from the start) */
  pages(cursor: string | null, signal: AbortSignal): AsyncIterable<SourcePage<T>>;
  toWrites(items: T[]): TableWrite[];
  /** requests made so far, for the heartbeat's counters */
  requests(): number;
}

/** What a source's LaunchDarkly client must be given: the hooks that count, log and show its requests. */
export interface StreamHooks {
  reporter: ProgressReporter;
  /** the client's `onWait`: waits for the rate limit or before a retry, shown in the heartbeat */
  onWait(wait: WaitReport): void;
  /** the client's `beforeRequest`: counts the request in `sync_run_streams` before it is sent */
  beforeRequest(info: RequestInfo): Promise<void>;
  /** the client's `onRetry`: one log line per retried response */
  onRetry(info: RetryInfo): void;
  /** database calls of the source itself (e.g. reading stored flag keys) go through this */
  database<R>(what: string, fn: () => Promise<R>): Promise<R>;
}

export interface RunStreamOptions {
  pool: Pool;
  ref: RunRef;
  stream: StreamName;
  scope: string;
  /** a human label for messages: `flags of project "web"` */
  what: string;
  /** the values of the stream's scope columns (`['web']`), and its tables, parents first */
  scopeValues: readonly string[];
  tables: readonly TableSpec[];
  /** `not_entitled` skips the stream instead of failing it (teams are not in every plan) */
  skipWhenNotEntitled?: boolean;
  /** false when the pass cannot tell absence from invisibility (never for a complete pass) */
  detectDeletions?: boolean;
  /** retry budget for an unreachable Postgres (default: LDSYNC_DATABASE_RETRY_SECONDS or 5 min) */
  databaseRetry: DatabaseRetrySettings;
}

/** A stream's summary, with how its deletions were checked (`seen_keys_lost`: they could not be). */
export type RunStreamSummary = StreamSummary & { deletionCheck?: DeletionCheck | null };

export async function runStream<T>(
  options: RunStreamOptions,
  makeSource: (hooks: StreamHooks) => Promise<StreamSource<T>>,
): Promise<RunStreamSummary> {
  const { pool, ref, stream, scope } = options;
  const key: StreamKey = { runId: ref.runId, connectionId: ref.connectionId, stream, scope };
  const signal = Context.current().cancellationSignal;
  setActivityLogAttributes(Context.current(), { stream, scope });
  const metrics = streamMetrics(ref.connectionId, stream);
  metrics.attemptStarted();
  let outcome: 'succeeded' | 'failed' | 'cancelled' | 'skipped' = 'succeeded';
  let reporter: ProgressReporter | undefined;
  let rateLimitedUntil: number | null = null;
  const onWait = (wait: WaitReport) => {
    // Re-told every few seconds while one wait lasts: each wait is measured once, as planned.
    if (wait.until !== null && (wait.kind ?? 'rate_limit') === 'rate_limit' && wait.until !== rateLimitedUntil) {
      rateLimitedUntil = wait.until;
      metrics.rateLimitWait(wait.until - Date.now());
    }
    reporter?.waiting(wait);
  };
  const db = <R>(what: string, fn: () => Promise<R>): Promise<R> =>
    retryDatabase(fn, {
      settings: options.databaseRetry,
      what: `${what} (${options.what})`,
      onWait: reporter && onWait,
    });

  try {
    const opened = await db('opening the stream', () => openStream(pool, key));
    if (opened.completed) return completedSummary(stream, scope, opened);
    const rowsSoFar = opened.counts.inserted + opened.counts.updated + opened.counts.unchanged;
    reporter = new ProgressReporter(stream, scope, {
      cursor: opened.cursor,
      pages: opened.pages,
      rows: rowsSoFar,
      requests: opened.requests,
    });
    /** requests already counted by the last page's transaction, not sent yet */
    let prepaid = 0;
    const hooks: StreamHooks = {
      reporter,
      onWait,
      beforeRequest: async () => {
        if (prepaid > 0) prepaid -= 1;
        else await db('counting a request', () => addStreamRequests(pool, key));
        metrics.requestSent();
      },
      onRetry: (info) => {
        metrics.requestRetried(info.cause);
        logRetry(options, info);
      },
      database: db,
    };

    const source = await makeSource(hooks);
    let cursor = opened.cursor;
    if (cursor !== END_CURSOR) {
      let pageStarted = Date.now();
      for await (const page of source.pages(cursor, signal)) {
        const writes = source.toWrites(page.items);
        const after = cursor;
        const next = page.cursor === END_CURSOR ? 0 : 1;
        // `after` makes a retry after a lost COMMIT answer a no-op instead of a second page.
        const counts = await db('writing a page', () =>
          writePage(pool, key, {
            cursor: page.cursor,
            requests: next,
            writes,
            after,
            scopeValues: options.scopeValues,
          }),
        );
        prepaid = next;
        cursor = page.cursor;
        metrics.pageCommitted(counts, Date.now() - pageStarted);
        pageStarted = Date.now();
        reporter.pageWritten({
          cursor,
          rows: counts.inserted + counts.updated + counts.unchanged,
          requests: opened.requests + source.requests(),
        });
      }
    }
    // Deletion detection needs a complete pass: never complete a stream whose reading was cut short.
    signal.throwIfAborted();
    let deletionCheck: DeletionCheck | null = null;
    const counts = await db('completing the stream', () =>
      completeStream(pool, key, {
        tables: options.tables,
        scopeValues: options.scopeValues,
        detectDeletions: options.detectDeletions ?? true,
        onDeletionCheck: (check) => (deletionCheck = check),
      }),
    );
    metrics.streamCompleted(counts);
    if (deletionCheck === 'seen_keys_lost') {
      log.warn(`${options.what}: deletions could not be checked in this run (the keys seen were lost)`, {
        stream,
        scope,
      });
    }
    const done = reporter.snapshot;
    return {
      stream,
      scope,
      status: 'succeeded',
      pages: done.pages,
      requests: done.requests,
      counts,
      deletionCheck,
    };
  } catch (err) {
    if (signal.aborted) {
      outcome = 'cancelled';
      await recordEnding(pool, key, { status: 'cancelled', errorType: 'cancelled', message: 'cancelled' });
      throw new CancelledFailure(`${options.what}: cancelled`);
    }
    if (err instanceof StreamStateError && err.reason === 'stream_completed') {
      // Another attempt of this activity (one Temporal gave up on, still running) completed the stream.
      const opened = await db('reading the completed stream', () => openStream(pool, key)).catch(() => null);
      if (opened?.completed) return completedSummary(stream, scope, opened);
    }
    const failure = toApplicationFailure(err, { connectionId: ref.connectionId, what: options.what });
    if (failure.type === 'rate_limited') metrics.rateLimitedFailure(); // the 429 no retry followed
    if (failure.type === 'not_entitled' && options.skipWhenNotEntitled) {
      // Not in this plan (teams): the stream is skipped, recorded once as such, and the run goes on.
      outcome = 'skipped';
      await recordEnding(pool, key, { status: 'skipped', errorType: failure.type, message: failure.message });
      return skippedSummary(stream, scope, failure.message);
    }
    outcome = 'failed';
    await recordEnding(pool, key, { status: 'failed', errorType: failure.type, message: failure.message });
    throw failure;
  } finally {
    reporter?.stop();
    metrics.attemptEnded(outcome);
  }
}

function skippedSummary(stream: StreamName, scope: string, reason: string): RunStreamSummary {
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

function completedSummary(stream: StreamName, scope: string, opened: StreamResume): RunStreamSummary {
  return {
    stream,
    scope,
    status: 'succeeded',
    pages: opened.pages,
    requests: opened.requests,
    counts: opened.counts,
  };
}

/** One log line per retried LaunchDarkly response, with its type (`upstream_unavailable`, `rate_limited`). */
function logRetry(options: RunStreamOptions, info: RetryInfo): void {
  const fields = {
    stream: options.stream,
    scope: options.scope,
    endpoint: info.endpoint,
    cause: info.cause,
    errorType: info.errorType,
    status: info.status ?? null,
    requestAttempt: info.attempt, // `attempt` is the activity's Temporal attempt, set by the logger
    retryInMs: info.delayMs,
  };
  const line = `LaunchDarkly request retried (${info.errorType}, ${info.cause}): ${info.message}`;
  if (info.cause === 'rate_limited') log.info(line, fields);
  else log.warn(line, fields);
}

/** Keeps the last error on the stream's row, so an operator sees it while Temporal retries. */
async function recordEnding(
  pool: Pool,
  key: StreamKey,
  ending: { status: 'failed' | 'skipped' | 'cancelled'; errorType: string; message: string },
): Promise<void> {
  try {
    await failStream(pool, key, ending);
  } catch {
    // The database may be what failed; the ApplicationFailure still carries the reason to Temporal.
  }
}
