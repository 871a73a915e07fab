// The sync's own Prometheus metrics, recorded through the activity's metric meter, so they are served
// by the Temporal runtime's exporter on the same endpoint as the SDK's metrics (LDSYNC_METRICS_ADDRESS,
// src/temporal/runtime.ts). Without an exporter the meter is a no-op and these calls cost nothing.
//
// Names follow Prometheus conventions: counters end in `_total`, durations are float seconds. The
// SDK adds `namespace`, `taskQueue` and `activityType` labels to every one of them. Counters carry
// `connection_id` (bounded by the connections registered) and `stream`; histograms only `stream` or
// `status`, to keep the series count small. Counters count what this process did, so a dashboard
// sums `rate()` or `increase()` over every worker.
import { Context } from '@temporalio/activity';
import type { MetricCounter, MetricHistogram, MetricMeter } from '@temporalio/common';
import type { RowCounts, StreamName } from '../src/shared';

export const SYNC_METRICS = {
  /** rows per `result`: inserted, updated, unchanged (per committed page), deleted (when a stream completes) */
  rows: 'ldsync_rows_total',
  /** LaunchDarkly requests sent, retries included (what `ldsync.sync_run_streams.requests` counts) */
  requests: 'ldsync_requests_total',
  /** 429 responses from LaunchDarkly */
  rateLimited: 'ldsync_rate_limited_total',
  /** requests retried inside an activity attempt, per `cause` (status, reset, timeout, network, malformed_body, rate_limited) */
  requestRetries: 'ldsync_request_retries_total',
  /** stream activity attempts, per `outcome` (succeeded, failed, cancelled, skipped: teams not in the plan) */
  streamAttempts: 'ldsync_stream_attempts_total',
  /** stream activity attempts after the first (Temporal retried the activity) */
  streamRetries: 'ldsync_stream_retries_total',
  /** pages committed */
  pages: 'ldsync_pages_total',
  /** finished runs, per `status` (succeeded, partial, failed, cancelled) */
  runs: 'ldsync_runs_total',
  /** seconds from asking for a page to its commit (LaunchDarkly + Postgres) */
  pageDuration: 'ldsync_page_duration_seconds',
  /** seconds a request was held back for LaunchDarkly's rate limit (each wait once, as planned when it starts) */
  rateLimitWait: 'ldsync_rate_limit_wait_seconds',
  /** seconds from a run's start (`beginRun`) to its recorded end, across continue-as-new */
  runDuration: 'ldsync_run_duration_seconds',
} as const;

/** Bucket boundaries of the histograms above (the SDK's default ones are milliseconds up to 10 000). */
export const SYNC_HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [SYNC_METRICS.pageDuration]: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  [SYNC_METRICS.rateLimitWait]: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  [SYNC_METRICS.runDuration]: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600],
};

const DESCRIPTIONS: Record<string, string> = {
  [SYNC_METRICS.rows]: 'Rows written to Postgres per result (inserted, updated, unchanged, deleted)',
  [SYNC_METRICS.requests]: 'LaunchDarkly requests sent, retries included',
  [SYNC_METRICS.rateLimited]: 'LaunchDarkly 429 responses',
  [SYNC_METRICS.requestRetries]: 'LaunchDarkly requests retried within an activity attempt, per cause',
  [SYNC_METRICS.streamAttempts]: 'Stream activity attempts per outcome',
  [SYNC_METRICS.streamRetries]: 'Stream activity attempts after the first',
  [SYNC_METRICS.pages]: 'Pages committed',
  [SYNC_METRICS.runs]: 'Finished sync runs per status',
  [SYNC_METRICS.pageDuration]: 'Seconds from requesting a page to its commit',
  [SYNC_METRICS.rateLimitWait]: "Seconds a request waits for LaunchDarkly's rate limit",
  [SYNC_METRICS.runDuration]: 'Seconds from the start of a sync run to its recorded end',
};

type Instruments = Map<string, MetricCounter | MetricHistogram>;
const cache = new WeakMap<MetricMeter, Instruments>();

/** The current activity's meter, or null outside an activity (then nothing is recorded). */
function currentMeter(): MetricMeter | null {
  try {
    return Context.current().metricMeter;
  } catch {
    return null;
  }
}

function instruments(meter: MetricMeter): Instruments {
  let found = cache.get(meter);
  if (!found) cache.set(meter, (found = new Map()));
  return found;
}

function counter(meter: MetricMeter, name: string): MetricCounter {
  const all = instruments(meter);
  let c = all.get(name) as MetricCounter | undefined;
  if (!c) all.set(name, (c = meter.createCounter(name, undefined, DESCRIPTIONS[name])));
  return c;
}

function histogram(meter: MetricMeter, name: string): MetricHistogram {
  const all = instruments(meter);
  let h = all.get(name) as MetricHistogram | undefined;
  if (!h) all.set(name, (h = meter.createHistogram(name, 'float', 's', DESCRIPTIONS[name])));
  return h;
}

/** A metric call never changes what the sync does. */
function safely(fn: (meter: MetricMeter) => void): void {
  const meter = currentMeter();
  if (!meter) return;
  try {
    fn(meter);
  } catch {
    // e.g. a runtime shut down under a finishing activity
  }
}

const seconds = (ms: number) => Math.max(0, ms) / 1000;

/** The metrics one stream activity records; call its methods from inside the activity. */
export interface StreamMetrics {
  /** once per attempt, at its start: counts it as a retry when Temporal's attempt is > 1 */
  attemptStarted(): void;
  pageCommitted(counts: RowCounts, durationMs: number): void;
  streamCompleted(counts: RowCounts): void;
  requestSent(): void;
  requestRetried(cause: string): void;
  /** a 429 that was not retried (the one that failed the attempt as `rate_limited`) */
  rateLimitedFailure(): void;
  rateLimitWait(waitMs: number): void;
  attemptEnded(outcome: 'succeeded' | 'failed' | 'cancelled' | 'skipped'): void;
}

export function streamMetrics(connectionId: string, stream: StreamName): StreamMetrics {
  const tags = { connection_id: connectionId, stream };
  const rows = (meter: MetricMeter, result: string, n: number) => {
    if (n > 0) counter(meter, SYNC_METRICS.rows).add(n, { ...tags, result });
  };
  return {
    attemptStarted: () =>
      safely((meter) => {
        if (Context.current().info.attempt > 1) counter(meter, SYNC_METRICS.streamRetries).add(1, tags);
      }),
    pageCommitted: (counts, durationMs) =>
      safely((meter) => {
        rows(meter, 'inserted', counts.inserted);
        rows(meter, 'updated', counts.updated);
        rows(meter, 'unchanged', counts.unchanged);
        counter(meter, SYNC_METRICS.pages).add(1, tags);
        histogram(meter, SYNC_METRICS.pageDuration).record(seconds(durationMs), { stream });
      }),
    streamCompleted: (counts) => safely((meter) => rows(meter, 'deleted', counts.deleted)),
    requestSent: () => safely((meter) => counter(meter, SYNC_METRICS.requests).add(1, tags)),
    requestRetried: (cause) =>
      safely((meter) => {
        counter(meter, SYNC_METRICS.requestRetries).add(1, { ...tags, cause });
        if (cause === 'rate_limited') counter(meter, SYNC_METRICS.rateLimited).add(1, tags);
      }),
    rateLimitedFailure: () => safely((meter) => counter(meter, SYNC_METRICS.rateLimited).add(1, tags)),
    rateLimitWait: (waitMs) =>
      safely((meter) => histogram(meter, SYNC_METRICS.rateLimitWait).record(seconds(waitMs), { stream })),
    attemptEnded: (outcome) =>
      safely((meter) => counter(meter, SYNC_METRICS.streamAttempts).add(1, { ...tags, outcome })),
  };
}

/** A run's recorded end (finishRun): its status, and how long it took from its start. */
export function recordRunFinished(connectionId: string, status: string, durationMs: number | null): void {
  safely((meter) => {
    counter(meter, SYNC_METRICS.runs).add(1, { connection_id: connectionId, status });
    if (durationMs !== null) histogram(meter, SYNC_METRICS.runDuration).record(seconds(durationMs), { status });
  });
}
