// Live progress of one stream activity, by heartbeat only: it is what the Web UI shows under Pending
// Activities, what keeps cancellation flowing during long waits, and where a retry resumes. Nothing is
// signalled to the workflow, so no page lands in its history; the committed counters are in
// `ldsync.sync_run_streams`.
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { StreamName } from '../src/shared';

/** What the activity is waiting for, named as it is: LaunchDarkly's rate limit, or a retry after an error. */
export type StreamWait =
  | { kind: 'rate_limit'; until: string; reason: string }
  | { kind: 'retry'; until: string; reason: string; errorType?: string };

/** What an operator reads on the pending activity in the Web UI. */
export interface StreamHeartbeat {
  stream: StreamName;
  scope: string;
  /** where a retry resumes (also committed in `ldsync.sync_run_streams`) */
  cursor: string | null;
  pages: number;
  rows: number;
  requests: number;
  /** null while requests flow */
  waiting: StreamWait | null;
}

/** A wait as the LaunchDarkly client or the database retry loop reports it. */
export interface WaitReport {
  until: number | null;
  kind?: 'rate_limit' | 'retry';
  reason?: string;
  errorType?: string;
}

export class ProgressReporter {
  private readonly state: StreamHeartbeat;
  private readonly timer: NodeJS.Timeout;

  constructor(
    stream: StreamName,
    scope: string,
    start: { cursor: string | null; pages: number; rows: number; requests: number },
    options: { tickMs?: number } = {},
  ) {
    this.state = { stream, scope, waiting: null, ...start };
    // Re-sent while nothing else happens: the heartbeat timeout must not fire during a long wait.
    const tick = options.tickMs ?? Math.max(1000, Math.min(5000, (activityInfo().heartbeatTimeoutMs ?? 15000) / 3));
    this.timer = setInterval(() => this.beat(), tick);
    this.timer.unref();
    this.beat();
  }

  get snapshot(): Readonly<StreamHeartbeat> {
    return this.state;
  }

  /** Call only after the page is durably written (invariant 3). */
  pageWritten(page: { cursor: string | null; rows: number; requests: number }): void {
    this.state.cursor = page.cursor;
    this.state.pages += 1;
    this.state.rows += page.rows;
    this.state.requests = page.requests;
    this.state.waiting = null;
    this.beat();
  }

  waiting(report: WaitReport): void {
    if (report.until === null) {
      this.state.waiting = null;
    } else {
      const until = new Date(report.until).toISOString();
      const reason = report.reason ?? '';
      this.state.waiting =
        (report.kind ?? 'rate_limit') === 'rate_limit'
          ? { kind: 'rate_limit', until, reason }
          : { kind: 'retry', until, reason, ...(report.errorType ? { errorType: report.errorType } : {}) };
    }
    this.beat();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    heartbeat({ ...this.state });
  }
}
