// Live progress of one stream activity: heartbeats (what the Web UI shows on the pending activity, and
// what keeps cancellation flowing during long rate-limit waits) and throttled signals to the run's
// workflow (what the `progress` query answers).
import { activityInfo, getClient, heartbeat, log } from '@temporalio/activity';
import { streamProgressSignal } from '../workflows/messages';
import type { StreamName, StreamProgressUpdate } from '../src/shared';

/** What an operator reads on the pending activity in the Web UI. */
export interface StreamHeartbeat {
  stream: StreamName;
  scope: string;
  /** where a retry resumes (also committed in `ldsync.sync_run_streams`) */
  cursor: string | null;
  pages: number;
  rows: number;
  requests: number;
  /** ISO time until which the activity waits for LaunchDarkly's rate limit, or null */
  waitingUntil: string | null;
}

export interface ProgressReporterOptions {
  progressWorkflowId: string;
  /** how often the latest state is re-sent while nothing else happens */
  tickMs?: number;
  /** at most one signal to the workflow per this many ms */
  signalEveryMs?: number;
}

export class ProgressReporter {
  private readonly state: StreamHeartbeat;
  private readonly timer: NodeJS.Timeout;
  private lastSignalAt = 0;
  private signalInFlight = false;

  constructor(
    stream: StreamName,
    scope: string,
    start: { cursor: string | null; pages: number; rows: number; requests: number },
    private readonly options: ProgressReporterOptions,
  ) {
    this.state = { stream, scope, waitingUntil: null, ...start };
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
    this.state.waitingUntil = null;
    this.beat();
  }

  waiting(until: number | null): void {
    this.state.waitingUntil = until === null ? null : new Date(until).toISOString();
    this.beat(true);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(forceSignal = false): void {
    heartbeat({ ...this.state });
    const now = Date.now();
    if (!this.signalInFlight && (forceSignal || now - this.lastSignalAt >= (this.options.signalEveryMs ?? 2000))) {
      this.lastSignalAt = now;
      this.signalInFlight = true;
      void this.signal().finally(() => (this.signalInFlight = false));
    }
  }

  private async signal(): Promise<void> {
    const update: StreamProgressUpdate = {
      stream: this.state.stream,
      scope: this.state.scope,
      pages: this.state.pages,
      rows: this.state.rows,
      requests: this.state.requests,
      waitingUntil: this.state.waitingUntil === null ? null : Date.parse(this.state.waitingUntil),
    };
    try {
      await getClient().workflow.getHandle(this.options.progressWorkflowId).signal(streamProgressSignal, update);
    } catch (err) {
      // Progress is best effort: the run's correctness never depends on it.
      log.debug('progress signal not delivered', { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
