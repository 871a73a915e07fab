// Puts the sync's coordinates (connection id, run id, stream, scope, and the project, environment or
// team keys of the input) on every log line an activity writes: its own lines (`log` from
// @temporalio/activity) and the SDK's lines about it (`Activity failed`, `Activity completed`), which
// all pass through the activity context logger and so through `getLogAttributes`. Only these named
// fields of the input are copied, never the input itself, so nothing else (and never a token: no
// activity input carries one, invariant 1) reaches a log line this way.
//
// The SDK's debug line `Activity started` is written before any inbound interceptor sees the input,
// so it carries the activity's Temporal fields (workflowId `ldsync-<connectionId>`, activityType, …)
// but not these.
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors, ActivityInterceptorsFactory } from '@temporalio/worker';

/** Fields of an activity's first argument (activities/types.ts RunRef and its extensions) copied to its log lines. */
export const LOGGED_INPUT_FIELDS = ['connectionId', 'runId', 'projectKey', 'environmentKey', 'teamKey'] as const;

export type ActivityLogAttributes = Record<string, string>;

const byContext = new WeakMap<Context, ActivityLogAttributes>();

/** The activity interceptor factory for WorkerOptions.interceptors.activity. */
export const activityLogInterceptors: ActivityInterceptorsFactory = (ctx: Context): ActivityInterceptors => {
  const attributes: ActivityLogAttributes = {};
  byContext.set(ctx, attributes);
  return {
    inbound: {
      async execute(input, next) {
        Object.assign(attributes, pickLoggedFields(input.args[0]));
        return next(input);
      },
    },
    outbound: {
      // The SDK's own fields (workflowId, activityType, attempt, …) first; ours after them.
      getLogAttributes: (input, next) => next({ ...input, ...attributes }),
    },
  };
};

/**
 * Adds fields to every later log line of the current activity (the stream runner sets `stream` and
 * `scope`). Does nothing outside an activity, or in one whose worker runs without the interceptor.
 */
export function setActivityLogAttributes(ctx: Context, fields: ActivityLogAttributes): void {
  const attributes = byContext.get(ctx);
  if (attributes) Object.assign(attributes, fields);
}

/** The logged fields of an activity input: strings only, by name. */
export function pickLoggedFields(input: unknown): ActivityLogAttributes {
  const out: ActivityLogAttributes = {};
  if (typeof input !== 'object' || input === null) return out;
  const record = input as Record<string, unknown>;
  for (const field of LOGGED_INPUT_FIELDS) {
    const value = record[field];
    if (typeof value === 'string') out[field] = value;
  }
  return out;
}
