// The state of one sync run inside `syncConnection` (as in Temporal's safe-message-handlers sample, state
// and its rules live in a class beside the workflow): which scopes ran, failed or never ran, the first
// fatal failure, and what the Web UI and the `progress` query show. It starts no activity itself.
import * as wf from '@temporalio/workflow';
import type { ScopeFailure } from '../activities/types';
import {
  searchAttributes,
  type PlannedStream,
  type RunStatus,
  type StreamName,
  type StreamProgress,
  type StreamSummary,
  type SyncProgress,
  type SyncResult,
} from '../src/shared';
import { describeFailure } from './failures';
import { ProgressTracker } from './progress-tracker';
import { renderRunDetails } from './run-details';

/** State carried across continue-as-new, so one run can cover accounts of any size. */
export interface CarriedRun {
  runId: string;
  /** keys of the carried fan-out (projects) not started yet */
  pendingProjects: string[];
  streams: Record<StreamName, StreamProgress>;
  failures: ScopeFailure[];
  /** search attributes the namespace has registered (unset when carried from version 1) */
  searchAttributes?: string[];
  /** the catalog plan the run follows (unset when carried from version 2, which runs the fixed fan-out) */
  plan?: PlannedStream[];
}

/** Failures after which no other scope can succeed either: the whole run stops at once. */
const FATAL_TYPES = new Set(['invalid_credentials', 'token_undecryptable', 'connection_not_found']);

/** Failures handed to finishRun (and carried across continue-as-new) at most; the rest are counted. */
const MAX_RECORDED_FAILURES = 500;

export class SyncRun {
  runId: string | null;
  status: RunStatus = 'running';
  phase: SyncProgress['phase'] = 'starting';
  readonly failures: ScopeFailure[];
  /** the failure that stopped the run, if one did */
  fatal: ScopeFailure | null = null;
  /** what the run syncs, from beginRun; null: the fixed fan-out of version 2 */
  plan: PlannedStream[] | null = null;
  /** why the run is stopping while its scopes wind down (a cancel request, a fatal failure) */
  private stoppingBecause: string | null = null;
  private readonly tracker: ProgressTracker;
  private registered: Set<string>;
  private failedScopes: number;

  constructor(
    readonly connectionId: string,
    carried: CarriedRun | undefined,
    /** called once, on the first fatal failure: stops every other scope */
    private readonly onFatal: () => void,
    /** attempts each stream activity gets, for messages */
    private readonly maxAttempts: number,
  ) {
    this.runId = carried?.runId ?? null;
    this.tracker = new ProgressTracker(carried?.streams);
    this.failures = [...(carried?.failures ?? [])];
    this.failedScopes = this.failures.length;
    this.registered = new Set(carried?.searchAttributes ?? []);
  }

  begun(runId: string, registeredSearchAttributes: string[], plan?: PlannedStream[]): void {
    this.runId = runId;
    this.plan = plan ?? null;
    this.registered = new Set(registeredSearchAttributes);
    this.phase = 'syncing';
    this.upsertSearchAttributes();
    this.show();
  }

  expect(stream: StreamName, scopes: number): void {
    this.tracker.expect(stream, scopes);
  }

  /** Runs one scope of a stream; a failure is recorded and isolated, unless it is fatal for the run. */
  async scope<R extends StreamSummary>(name: StreamName, scope: string, call: () => Promise<R>): Promise<R | null> {
    this.tracker.started(name, scope);
    this.show();
    try {
      const summary = await call();
      this.tracker.succeeded(summary);
      return summary;
    } catch (err) {
      if (wf.isCancellation(err)) {
        // Stopped by a fatal failure elsewhere, this scope did not sync for the same reason: say so.
        if (this.fatal !== null) this.recordFailure({ stream: name, scope, ...this.stoppedBy(this.fatal) });
        else this.tracker.stopped(name, scope);
        throw err;
      }
      const failure = { stream: name, scope, ...describeFailure(err, { maxAttempts: this.maxAttempts }) };
      this.recordFailure(failure);
      if (FATAL_TYPES.has(failure.type) && this.fatal === null) {
        this.fatal = failure;
        this.stopping(`\`${failure.type}\` in ${name}${scope ? ` ${scope}` : ''}`);
        this.onFatal();
      }
      return null;
    } finally {
      this.show();
    }
  }

  /** The run is winding down: running scopes were asked to stop and are being waited for. */
  stopping(because: string): void {
    this.stoppingBecause ??= because;
    this.show();
  }

  private stoppedBy(fatal: ScopeFailure): { type: string; message: string } {
    const where = fatal.scope ? `${fatal.stream} ${fatal.scope}` : fatal.stream;
    return { type: fatal.type, message: `not finished: the run stopped at \`${fatal.type}\` in ${where}` };
  }

  /** A scope that cannot run because the scope it depends on failed (e.g. one project's flags). */
  scopeNotRun(name: StreamName, scope: string, because: string): void {
    const cause = this.failures.find((f) => f.stream === because && f.scope === scope);
    this.recordFailure({
      stream: name,
      scope,
      type: cause?.type ?? 'upstream_unavailable',
      message: `not run: ${because} of "${scope}" failed first`,
    });
  }

  /** A whole stream that cannot run because the stream it fans out from failed. */
  streamNotRun(name: StreamName, because: StreamName): void {
    this.tracker.skipBecause(name, `${because} failed`);
  }

  /** The run's outcome once every scope has ended. */
  outcome(): Exclude<RunStatus, 'running'> {
    return this.tracker.runStatus();
  }

  firstFailure(): ScopeFailure | undefined {
    return this.fatal ?? this.failures[0];
  }

  /** Marks the run over: the query, the current details and the `LdsyncRunStatus` search attribute say so. */
  close(status: Exclude<RunStatus, 'running'>): void {
    this.status = status;
    this.phase = 'done';
    this.tracker.close(status === 'cancelled' ? 'cancelled' : status === 'failed' ? 'failed' : 'done');
    this.upsertSearchAttributes();
    this.show();
  }

  progress(): SyncProgress {
    return {
      connectionId: this.connectionId,
      runId: this.runId,
      phase: this.phase,
      status: this.status,
      streams: this.tracker.snapshot(),
    };
  }

  result(): SyncResult {
    return {
      connectionId: this.connectionId,
      runId: this.runId ?? '',
      status: this.status,
      streams: this.tracker.snapshot(),
    };
  }

  carry(pendingProjects: string[]): CarriedRun {
    return {
      runId: this.runId ?? '',
      pendingProjects,
      streams: this.tracker.saved(),
      failures: this.failures,
      searchAttributes: [...this.registered],
      ...(this.plan ? { plan: this.plan } : {}),
    };
  }

  show(): void {
    wf.setCurrentDetails(
      renderRunDetails({
        connectionId: this.connectionId,
        runId: this.runId,
        status: this.status,
        streams: this.tracker.snapshot(),
        running: this.tracker.runningScopes(),
        firstFailure: this.status === 'running' || this.status === 'succeeded' ? undefined : this.firstFailure(),
        failedScopes: this.failedScopes,
        stoppingBecause: this.stoppingBecause,
        deletionsUnchecked: this.tracker.deletionsUnchecked,
      }),
    );
  }

  private recordFailure(f: ScopeFailure): void {
    this.tracker.failed(f);
    this.failedScopes += 1;
    if (this.failures.length < MAX_RECORDED_FAILURES) this.failures.push(f);
  }

  /**
   * Upserting a key the namespace has not registered fails the workflow task over and over, so only
   * registered keys are set (beginRun reads the namespace's list).
   */
  private upsertSearchAttributes(): void {
    const pairs = [];
    if (this.registered.has(searchAttributes.connectionId.name)) {
      pairs.push({ key: searchAttributes.connectionId, value: this.connectionId });
    }
    if (this.registered.has(searchAttributes.runStatus.name)) {
      pairs.push({ key: searchAttributes.runStatus, value: this.status });
    }
    if (pairs.length > 0) wf.upsertSearchAttributes(pairs);
  }
}
