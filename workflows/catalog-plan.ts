// The catalog plan's fan-out: runs the streams beginRun listed (src/streams/plan.ts) as a tree. Streams
// of the whole account start at once; a stream that takes another's keys starts when that scope has
// them, one scope per key or one scope with all of them. Every fan-out waits for all of its branches
// (never only the first to fail), so a cancel ends only when they have stopped.
import * as wf from '@temporalio/workflow';
import type { KeyedStreamSummary } from '../activities/types';
import type { PlannedStream, StreamName, StreamSummary, WindowOption } from '../src/shared';
import { streamActivities } from './activity-options';
import { settleAll, type FanOut } from './fan-out';
import type { SyncOptions } from './input';
import type { SyncRun } from './sync-run';
import { Window } from './window';

/** A scope's parameters besides the run reference: keys taken from the streams above it. */
type ScopeParams = Record<string, string | string[]>;

export class CatalogPlan implements FanOut {
  continueAsNew = false;
  pending: string[] = [];
  private readonly fed = new Map<StreamName, PlannedStream[]>();
  private readonly windows = new Map<WindowOption, Window>();

  constructor(
    private readonly run: SyncRun,
    private readonly options: SyncOptions,
    private readonly plan: readonly PlannedStream[],
  ) {
    for (const step of plan) {
      if (step.from) this.fed.set(step.from.stream, [...(this.fed.get(step.from.stream) ?? []), step]);
    }
  }

  async everything(): Promise<void> {
    const roots = this.plan.filter((step) => !step.from);
    for (const root of roots) this.expect(root, 1);
    await settleAll(roots.map((root) => this.scope(root, {})));
  }

  /** The carried fan-out's remaining keys (its parent covers the whole account, so it has no parameters). */
  async resume(keys: string[]): Promise<void> {
    const carrying = this.plan.find((step) => step.carriesOver);
    if (!carrying) throw wf.ApplicationFailure.nonRetryable('the plan has no fan-out to resume', 'invalid_input');
    await this.eachKey(carrying, {}, keys);
  }

  /** One scope, then what it feeds; a failed scope marks what depended on it as not run. */
  private async scope(step: PlannedStream, params: ScopeParams): Promise<void> {
    const scope = scopeOf(params);
    const summary = await this.run.scope(step.stream, scope, () => this.call(step, params));
    const fed = this.fed.get(step.stream) ?? [];
    if (summary === null) {
      if (step.from) this.scopeNotRun(step, scope);
      else this.streamNotRun(step, step.stream);
      return;
    }
    if (summary.status === 'skipped' || fed.length === 0) return;
    const keys = (summary as KeyedStreamSummary).keys ?? [];
    for (const next of fed) if (next.from?.each) this.expect(next, keys.length);
    await settleAll(
      fed.map((next) =>
        next.from?.each
          ? this.eachKey(next, params, keys)
          : this.scope(next, { ...params, [next.from?.param ?? 'keys']: keys }),
      ),
    );
  }

  /** One scope per key, through the step's window; the carried fan-out stops early when history is long. */
  private async eachKey(step: PlannedStream, params: ScopeParams, keys: string[]): Promise<void> {
    const param = step.from?.param ?? 'key';
    const window = step.window ? this.window(step.window) : null;
    if (!step.carriesOver) {
      const one = (key: string) => this.scope(step, { ...params, [param]: key });
      await settleAll(keys.map((key) => (window ? window.run(() => one(key)) : one(key))));
      return;
    }
    this.pending = [...keys];
    const running: Promise<void>[] = [];
    let stopped: unknown = null;
    try {
      while (this.pending.length > 0) {
        const leave = window ? await window.enter() : () => undefined;
        // At least one scope per run, so a tight limit still makes progress.
        if (running.length > 0 && this.historyIsLong()) {
          leave();
          this.continueAsNew = true;
          break;
        }
        const key = this.pending.shift() as string;
        running.push(this.scope(step, { ...params, [param]: key }).finally(leave));
      }
    } catch (err) {
      // A cancel while waiting for the window: the scopes already started still have to stop.
      stopped = err;
    }
    await settleAll(running);
    if (stopped !== null) throw stopped;
  }

  private call(step: PlannedStream, params: ScopeParams): Promise<StreamSummary> {
    const input = { runId: this.run.runId as string, connectionId: this.run.connectionId, ...params };
    if (step.child) {
      const info = wf.workflowInfo();
      return wf.executeChild<(arg: typeof input) => Promise<StreamSummary>>(step.child.workflowType, {
        workflowId: `${info.workflowId}/${step.child.idSegment}/${scopeOf(params)}`,
        args: [{ ...input, maxAttempts: this.options.maxAttempts } as typeof input],
      });
    }
    const activities = streamActivities(summaryOf(step, params), this.options.maxAttempts) as unknown as Record<
      string,
      (arg: typeof input) => Promise<StreamSummary>
    >;
    return activities[step.activity]!(input);
  }

  /** Announces scopes of a stream, and of the streams that take all of its keys (one scope per scope of it). */
  private expect(step: PlannedStream, scopes: number): void {
    this.run.expect(step.stream, scopes);
    for (const next of this.fed.get(step.stream) ?? []) if (!next.from?.each) this.expect(next, scopes);
  }

  /** An account-wide stream failed: nothing below it can run. */
  private streamNotRun(step: PlannedStream, because: StreamName): void {
    for (const next of this.fed.get(step.stream) ?? []) {
      this.run.streamNotRun(next.stream, because);
      this.streamNotRun(next, because);
    }
  }

  /** A scope failed: the scopes that would have taken all of its keys did not run (their count was announced). */
  private scopeNotRun(step: PlannedStream, scope: string): void {
    for (const next of this.fed.get(step.stream) ?? []) {
      if (next.from?.each) continue;
      this.run.scopeNotRun(next.stream, scope, step.stream);
      this.scopeNotRun(next, scope);
    }
  }

  private window({ option, size }: { option: WindowOption; size: number }): Window {
    let window = this.windows.get(option);
    if (!window) {
      window = new Window(this.options[option] ?? size);
      this.windows.set(option, window);
    }
    return window;
  }

  private historyIsLong(): boolean {
    const { continueAsNewSuggested, historyLength } = wf.workflowInfo();
    return continueAsNewSuggested || historyLength > (this.options.historyEventLimit ?? Infinity);
  }
}

/** A scope's name: its single keys joined by `/` (`web/production`); '' for the whole account. */
function scopeOf(params: ScopeParams): string {
  return Object.values(params)
    .filter((v): v is string => typeof v === 'string')
    .join('/');
}

/** The step's summary with `{param}` replaced by the scope's values. */
function summaryOf(step: PlannedStream, params: ScopeParams): string {
  return step.summary.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return typeof value === 'string' ? value : whole;
  });
}
