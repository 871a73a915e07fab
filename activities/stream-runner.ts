// The one loop every stream activity runs: read a page, write it (rows + counters + cursor in one
// transaction), heartbeat, repeat; then detect deletions. A retry resumes from the committed cursor, so
// a page is fetched again at most once and counted once.
import { CancelledFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { completeStream, failStream, openStream, writePage, type StreamKey, type TableWrite } from '../src/db';
import type { StreamName, StreamSummary } from '../src/shared';
import { toApplicationFailure } from './failures';
import { ProgressReporter } from './progress-reporter';
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
  /** requests made so far, for the stream's counters */
  requests(): number;
}

export interface RunStreamOptions {
  pool: Pool;
  ref: RunRef;
  stream: StreamName;
  scope: string;
  /** a human label for messages: `flags of project "web"` */
  what: string;
  /** false when the pass cannot tell absence from invisibility (never for a complete pass) */
  detectDeletions?: boolean;
}

export async function runStream<T>(
  options: RunStreamOptions,
  makeSource: (reporter: ProgressReporter) => Promise<StreamSource<T>>,
): Promise<StreamSummary> {
  const { pool, ref, stream, scope } = options;
  const key: StreamKey = { runId: ref.runId, connectionId: ref.connectionId, stream, scope };
  const opened = await openStream(pool, key);
  const rowsSoFar = opened.counts.inserted + opened.counts.updated + opened.counts.unchanged;
  if (opened.completed) {
    return {
      stream,
      scope,
      status: 'succeeded',
      pages: opened.pages,
      requests: opened.requests,
      counts: opened.counts,
    };
  }

  const signal = Context.current().cancellationSignal;
  const reporter = new ProgressReporter(
    stream,
    scope,
    { cursor: opened.cursor, pages: opened.pages, rows: rowsSoFar, requests: opened.requests },
    { progressWorkflowId: ref.progressWorkflowId },
  );
  try {
    const source = await makeSource(reporter);
    let cursor = opened.cursor;
    let requestsBefore = source.requests();
    if (cursor !== END_CURSOR) {
      for await (const page of source.pages(cursor, signal)) {
        const requests = source.requests() - requestsBefore;
        requestsBefore = source.requests();
        const counts = await writePage(pool, key, {
          cursor: page.cursor,
          requests,
          writes: source.toWrites(page.items),
        });
        cursor = page.cursor;
        reporter.pageWritten({
          cursor,
          rows: counts.inserted + counts.updated + counts.unchanged,
          requests: opened.requests + source.requests(),
        });
      }
    }
    // Deletion detection needs a complete pass: never complete a stream whose reading was cut short.
    signal.throwIfAborted();
    const counts = await completeStream(pool, key, { detectDeletions: options.detectDeletions ?? true });
    const done = reporter.snapshot;
    return { stream, scope, status: 'succeeded', pages: done.pages, requests: done.requests, counts };
  } catch (err) {
    if (signal.aborted) {
      await recordEnding(pool, key, { status: 'cancelled', errorType: 'cancelled', message: 'cancelled' });
      throw new CancelledFailure(`${options.what}: cancelled`);
    }
    const failure = toApplicationFailure(err, { connectionId: ref.connectionId, what: options.what });
    const described = failure instanceof Error ? failure : new Error(String(failure));
    await recordEnding(pool, key, {
      status: 'failed',
      errorType: (failure as { type?: string }).type ?? 'upstream_unavailable',
      message: described.message,
    });
    throw failure;
  } finally {
    reporter.stop();
  }
}

/** Keeps the last error on the stream's row, so an operator sees it while Temporal retries. */
async function recordEnding(
  pool: Pool,
  key: StreamKey,
  ending: { status: 'failed' | 'cancelled'; errorType: string; message: string },
): Promise<void> {
  try {
    await failStream(pool, key, ending);
  } catch {
    // The database may be what failed; the ApplicationFailure still carries the reason to Temporal.
  }
}
