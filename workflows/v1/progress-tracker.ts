// Version 1's progress bookkeeping, frozen with ./sync-connection.ts.
import {
  addRowCounts,
  emptyRowCounts,
  STREAMS,
  type RunStatus,
  type StreamName,
  type StreamProgress as SharedStreamProgress,
  type StreamSummary,
} from '../../src/shared';

/** Version 1 also reported the latest rate-limit wait of running scopes. */
export type StreamProgress = SharedStreamProgress & { waitingUntil: number | null };

/** What version-1 activities signalled while running. */
export interface StreamProgressUpdate {
  stream: StreamName;
  scope: string;
  pages: number;
  rows: number;
  requests: number;
  waitingUntil: number | null;
}

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
    waitingUntil: null,
    errors: [],
  };
}

/** Errors kept per stream in the query answer; the full list lives in `ldsync.sync_run_streams`. */
const MAX_ERRORS_PER_STREAM = 20;

export class ProgressTracker {
  private readonly streams: Record<StreamName, StreamProgress>;
  /** latest live report of each running scope, by `${stream}\u0000${scope}` */
  private readonly live = new Map<string, StreamProgressUpdate>();
  private closedAs: 'done' | 'cancelled' | 'failed' | null = null;

  constructor(saved?: Record<StreamName, StreamProgress>) {
    this.streams =
      saved ?? (Object.fromEntries(STREAMS.map((s) => [s, emptyStream()])) as Record<StreamName, StreamProgress>);
  }

  /** Announces scopes of a stream that will run (so `scopesTotal` is known early). */
  expect(stream: StreamName, scopes: number): void {
    this.streams[stream].scopesTotal += scopes;
  }

  report(update: StreamProgressUpdate): void {
    this.live.set(`${update.stream}\u0000${update.scope}`, update);
  }

  succeeded(summary: StreamSummary): void {
    this.live.delete(`${summary.stream}\u0000${summary.scope}`);
    const s = this.streams[summary.stream];
    s.scopesDone += 1;
    s.pages += summary.pages;
    s.requests += summary.requests;
    s.counts = addRowCounts(s.counts, summary.counts);
    s.rows += summary.counts.inserted + summary.counts.updated + summary.counts.unchanged;
    if (summary.status === 'skipped') s.state = 'skipped';
  }

  failed(failure: StreamFailure): void {
    this.live.delete(`${failure.stream}\u0000${failure.scope}`);
    const s = this.streams[failure.stream];
    s.scopesDone += 1;
    s.scopesFailed += 1;
    if (s.errors.length < MAX_ERRORS_PER_STREAM) {
      s.errors.push({ scope: failure.scope, type: failure.type, message: failure.message });
    }
  }

  /** The per-stream view with live reports of running scopes folded in. */
  snapshot(): Record<StreamName, StreamProgress> {
    const out = {} as Record<StreamName, StreamProgress>;
    for (const name of STREAMS) {
      const s = this.streams[name];
      const running = [...this.live.values()].filter((u) => u.stream === name);
      const waits = running.map((u) => u.waitingUntil).filter((w): w is number => w !== null);
      out[name] = {
        ...s,
        state: this.stateOf(name, running.length),
        pages: s.pages + running.reduce((n, u) => n + u.pages, 0),
        rows: s.rows + running.reduce((n, u) => n + u.rows, 0),
        requests: s.requests + running.reduce((n, u) => n + u.requests, 0),
        waitingUntil: waits.length > 0 ? Math.max(...waits) : null,
        errors: [...s.errors],
      };
    }
    return out;
  }

  /** Streams as they should be carried across continue-as-new (live reports are dropped). */
  saved(): Record<StreamName, StreamProgress> {
    return JSON.parse(JSON.stringify(this.streams)) as Record<StreamName, StreamProgress>;
  }

  /** `succeeded` when every scope succeeded, `failed` when nothing did, `partial` otherwise. */
  runStatus(): Exclude<RunStatus, 'running'> {
    const all = STREAMS.map((n) => this.streams[n]);
    const failed = all.reduce((n, s) => n + s.scopesFailed, 0);
    if (failed === 0) return 'succeeded';
    const succeeded = all.reduce((n, s) => n + s.scopesDone - s.scopesFailed, 0);
    return succeeded === 0 ? 'failed' : 'partial';
  }

  /** Ends the run: unfinished streams become `cancelled` or `failed`; streams with no scope `succeeded`. */
  close(how: 'done' | 'cancelled' | 'failed'): void {
    this.closedAs = how;
    this.live.clear();
  }

  private stateOf(name: StreamName, runningScopes: number): StreamProgress['state'] {
    const s = this.streams[name];
    const unfinished = s.scopesDone < s.scopesTotal || (s.scopesTotal === 0 && s.scopesDone === 0);
    if (this.closedAs === 'done' && s.scopesTotal === 0 && s.scopesDone === 0) return 'succeeded';
    if ((this.closedAs === 'cancelled' || this.closedAs === 'failed') && unfinished) return this.closedAs;
    if (s.scopesTotal === 0 && s.scopesDone === 0) return runningScopes > 0 ? 'running' : 'pending';
    if (runningScopes > 0 || s.scopesDone < s.scopesTotal) return 'running';
    if (s.state === 'skipped' && s.scopesFailed === 0) return 'skipped';
    if (s.scopesFailed === 0) return 'succeeded';
    return s.scopesFailed === s.scopesDone ? 'failed' : 'partial';
  }
}
