// Pure bookkeeping of a run's progress, from what the workflow itself sees: scopes started, finished,
// failed or never run. Per-page progress is not here: it travels by heartbeat (Pending Activities in the
// Web UI) and by `ldsync.sync_run_streams`, so no page lands in the workflow's history.
// No Temporal APIs here, so it is trivially deterministic and unit-testable.
import {
  addRowCounts,
  emptyRowCounts,
  STREAMS,
  type RunStatus,
  type StreamName,
  type StreamProgress,
  type StreamSummary,
} from '../src/shared';

export interface StreamFailure {
  stream: StreamName;
  scope: string;
  type: string;
  message: string;
}

function emptyStream(): StreamProgress {
  return {
    state: 'pending',
    scopesTotal: 0,
    scopesDone: 0,
    scopesFailed: 0,
    pages: 0,
    rows: 0,
    requests: 0,
    counts: emptyRowCounts(),
    errors: [],
  };
}

/** Errors kept per stream in the query answer; the full list lives in `ldsync.sync_run_streams`. */
const MAX_ERRORS_PER_STREAM = 20;

/** How a run ended, as far as its streams are concerned. */
export type Closing = 'done' | 'cancelled' | 'failed';

export class ProgressTracker {
  private readonly streams: Record<StreamName, StreamProgress>;
  /** scopes started and not yet finished, by `${stream}\u0000${scope}` */
  private readonly running = new Set<string>();
  /** streams that will not run because what they depend on failed */
  private readonly notRun = new Map<StreamName, string>();
  private closedAs: Closing | null = null;
  /** `stream/scope` of passes that could not check deletions */
  readonly deletionsUnchecked: string[] = [];

  /**
   * Carried state may lack a stream this code knows (added by a deploy since), and a plan may name one it
   * does not (handed over by a newer worker's beginRun): both get an entry of their own, never a crash.
   */
  constructor(saved?: Partial<Record<StreamName, StreamProgress>>) {
    this.streams = Object.fromEntries(STREAMS.map((s) => [s, emptyStream()])) as Record<StreamName, StreamProgress>;
    for (const [name, progress] of Object.entries(saved ?? {}) as [StreamName, StreamProgress][]) {
      this.streams[name] = progress;
      if (progress.state === 'not_run') this.notRun.set(name, 'carried');
    }
  }

  private entry(stream: StreamName): StreamProgress {
    return (this.streams[stream] ??= emptyStream());
  }

  private names(): StreamName[] {
    return Object.keys(this.streams) as StreamName[];
  }

  /** Announces scopes of a stream that will run (so `scopesTotal` is known early). */
  expect(stream: StreamName, scopes: number): void {
    this.entry(stream).scopesTotal += scopes;
  }

  started(stream: StreamName, scope: string): void {
    this.running.add(`${stream}\u0000${scope}`);
  }

  succeeded(summary: StreamSummary): void {
    this.running.delete(`${summary.stream}\u0000${summary.scope}`);
    const s = this.entry(summary.stream);
    s.scopesDone += 1;
    s.pages += summary.pages;
    s.requests += summary.requests;
    s.counts = addRowCounts(s.counts, summary.counts);
    s.rows += summary.counts.inserted + summary.counts.updated + summary.counts.unchanged;
    if (summary.status === 'skipped') s.state = 'skipped';
    if (summary.deletionCheck === 'seen_keys_lost') {
      this.deletionsUnchecked.push(summary.scope ? `${summary.stream}/${summary.scope}` : summary.stream);
    }
  }

  failed(failure: StreamFailure): void {
    this.running.delete(`${failure.stream}\u0000${failure.scope}`);
    const s = this.entry(failure.stream);
    s.scopesDone += 1;
    s.scopesFailed += 1;
    if (s.errors.length < MAX_ERRORS_PER_STREAM) {
      s.errors.push({ scope: failure.scope, type: failure.type, message: failure.message });
    }
  }

  /** A scope that was started but stopped by a cancel: neither done nor failed. */
  stopped(stream: StreamName, scope: string): void {
    this.running.delete(`${stream}\u0000${scope}`);
  }

  /** A stream that cannot run at all in this run (its scopes depend on a stream that failed). */
  skipBecause(stream: StreamName, reason: string): void {
    this.entry(stream);
    if (!this.notRun.has(stream)) this.notRun.set(stream, reason);
  }

  /** Scopes running now, as `stream scope` labels, in start order. */
  runningScopes(): Array<{ stream: StreamName; scope: string }> {
    return [...this.running].map((k) => {
      const [stream, scope] = k.split('\u0000') as [StreamName, string];
      return { stream, scope };
    });
  }

  /** The per-stream view. */
  snapshot(): Record<StreamName, StreamProgress> {
    const out = {} as Record<StreamName, StreamProgress>;
    for (const name of this.names()) {
      const s = this.streams[name];
      out[name] = { ...s, state: this.stateOf(name), counts: { ...s.counts }, errors: [...s.errors] };
    }
    return out;
  }

  /** Streams as they should be carried across continue-as-new. */
  saved(): Record<StreamName, StreamProgress> {
    return this.snapshot();
  }

  /** `succeeded` when every scope succeeded, `failed` when nothing did, `partial` otherwise. */
  runStatus(): Exclude<RunStatus, 'running'> {
    const all = this.names().map((n) => this.streams[n]);
    const failed = all.reduce((n, s) => n + s.scopesFailed, 0);
    if (failed === 0 && this.notRun.size === 0) return 'succeeded';
    const succeeded = all.reduce((n, s) => n + s.scopesDone - s.scopesFailed, 0);
    // A skipped stream (teams not in the plan) read nothing: it does not make a failed run partial.
    const read = succeeded - all.filter((s) => s.state === 'skipped').length;
    return read <= 0 ? 'failed' : 'partial';
  }

  /** Ends the run: unfinished streams become `cancelled` or `failed`. */
  close(how: Closing): void {
    this.closedAs = how;
    this.running.clear();
  }

  private stateOf(name: StreamName): StreamProgress['state'] {
    const s = this.streams[name];
    const untouched = s.scopesTotal === 0 && s.scopesDone === 0;
    if (this.notRun.has(name) && s.scopesDone === 0) return 'not_run';
    if (s.state === 'skipped' && s.scopesFailed === 0) return 'skipped';
    const unfinished = s.scopesDone < s.scopesTotal;
    if (this.closedAs === 'done' && untouched) return 'succeeded';
    if (this.closedAs !== null && this.closedAs !== 'done' && untouched) return 'not_run';
    if (this.closedAs !== null && this.closedAs !== 'done' && unfinished) return this.closedAs;
    const runningNow = [...this.running].some((k) => k.startsWith(`${name}\u0000`));
    if (untouched) return runningNow ? 'running' : 'pending';
    if (runningNow || unfinished) return 'running';
    if (s.scopesFailed === 0) return 'succeeded';
    return s.scopesFailed === s.scopesDone ? 'failed' : 'partial';
  }
}
