// Names and shapes shared by workflows, activities, the worker and the CLI.
// Workflow code imports this file, so it must stay free of Node APIs and I/O.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Task queue (contract). `LDSYNC_TASK_QUEUE` overrides it. */
export const DEFAULT_TASK_QUEUE = 'launchdarkly-sync';

/** Workflow types (contract). */
export const SYNC_WORKFLOW_TYPE = 'syncConnection';

/** Connection ids (contract; they end up in workflow ids, schedule ids and SQL): 1-63 characters, lowercase letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const CONNECTION_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The LaunchDarkly API versions a connection may pin (`LD-API-Version`); the first is the default. */
export const API_VERSIONS = ['20240415', '20220603'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];
export const DEFAULT_API_VERSION: ApiVersion = '20240415';

/** One durable workflow per connection (contract). */
export function syncWorkflowId(connectionId: string): string {
  return `ldsync-${connectionId}`;
}

/** One schedule per connection (contract). */
export function scheduleId(connectionId: string): string {
  return `ldsync-schedule-${connectionId}`;
}

/** Search attributes the project registers on the dev server and sets on every run. */
export const searchAttributes = {
  connectionId: defineSearchAttributeKey('LdsyncConnectionId', SearchAttributeType.KEYWORD),
  /** the run's outcome as `ldsync.sync_runs` records it: `running`, then `succeeded`, `partial`, ... */
  runStatus: defineSearchAttributeKey('LdsyncRunStatus', SearchAttributeType.KEYWORD),
} as const;

/** Set by Temporal on every workflow a Schedule starts: how a run tells it was scheduled. */
export const scheduledByIdAttribute = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

/** Error types (contract): the `type` of every ApplicationFailure that reaches Temporal. */
export const ERROR_TYPES = [
  'invalid_credentials',
  'invalid_permissions',
  'not_entitled',
  'rate_limited',
  'upstream_unavailable',
  'schema_mismatch',
  'not_found',
  'connection_not_found',
  'sync_already_running',
  /** Postgres could not be reached or refused the connection: retried on a time budget */
  'database_unavailable',
  /** a workflow input or option that is not of the documented shape */
  'invalid_input',
  /** the stored token cannot be decrypted with this `LDSYNC_ENCRYPTION_KEY` */
  'token_undecryptable',
  /** a stream was asked to write for a run that has already ended */
  'run_closed',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** Failures no retry can fix: the operator has to act first. */
export const NON_RETRYABLE_ERROR_TYPES: ErrorType[] = [
  'invalid_credentials',
  'invalid_permissions',
  'schema_mismatch',
  'not_found',
  'connection_not_found',
  'sync_already_running',
  'invalid_input',
  'token_undecryptable',
  'run_closed',
];

/** The one argument of `syncConnection` (contract): a single JSON object, so the UI's form can start it. */
export interface SyncConnectionInput {
  connectionId: string;
}

export const STREAMS = [
  'projects',
  'tags',
  'teams',
  'team_maintainers',
  'environments',
  'flags',
  'flag_statuses',
] as const;
export type StreamName = (typeof STREAMS)[number];

/** Sync options that bound how many scopes of a fan-out run at once (`syncConnection`'s options). */
export type WindowOption = 'projectWindow' | 'teamWindow' | 'flagStatusWindow';

/**
 * How `syncConnection` runs one stream of the catalog. The worker builds the plan from the stream
 * modules (src/streams) and hands it over in beginRun's result, so it is recorded in the run's history:
 * a deploy that adds a stream changes what new runs do, while running ones replay their own plan.
 */
export interface PlannedStream {
  stream: StreamName;
  /** the activity type that syncs one scope */
  activity: string;
  /** the pending activity's summary in the Web UI; `{param}` is replaced by that parameter's value */
  summary: string;
  /**
   * The stream whose keys it takes, as parameter `param`: one scope per key (`each`), or one scope
   * with all of them (the keys as a list). Absent: one scope for the whole account.
   */
  from?: { stream: StreamName; param: string; each: boolean };
  /**
   * Scopes of this fan-out at once: `size`, unless the run's options set `option`. Each scope holds its
   * slot with all it feeds. The size travels in the plan, so tuning it needs no workflow patch.
   */
  window?: { option: WindowOption; size: number };
  /** run each scope as a child workflow of this type, with id `<workflowId>/<idSegment>/<scope>` */
  child?: { workflowType: string; idSegment: string };
  /** keys of this fan-out not yet started are carried across continue-as-new (a fan-out from the account) */
  carriesOver?: boolean;
}

export type RunStatus = 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

/** How a run started (`ldsync.sync_runs.trigger`): by a Temporal Schedule, or by hand (CLI or Web UI). */
export type RunTrigger = 'schedule' | 'manual';
/** One scope's status (`ldsync.sync_run_streams.status`). */
export type StreamStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** Row counts of one stream pass, as written to `ldsync.sync_run_streams`. */
export interface RowCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

export function emptyRowCounts(): RowCounts {
  return { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };
}

export function addRowCounts(a: RowCounts, b: RowCounts): RowCounts {
  return {
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    deleted: a.deleted + b.deleted,
  };
}

/** What a stream activity returns for one scope: counts and keys only, never data (invariant 2). */
export interface StreamSummary {
  stream: StreamName;
  scope: string;
  status: 'succeeded' | 'skipped';
  pages: number;
  requests: number;
  counts: RowCounts;
  /** why a stream was skipped (e.g. `not_entitled`) */
  reason?: string;
  /** `seen_keys_lost`: deletions could not be checked in this scope (the run says so) */
  deletionCheck?: 'done' | 'skipped' | 'seen_keys_lost' | null;
}

/**
 * A stream's state across its scopes, as progress and results report it: a scope's status, or
 * `partial` (some scopes failed) or `not_run` (the run ended, or a stream it depends on failed, before
 * any scope of this stream started).
 */
export type StreamState = StreamStatus | 'partial' | 'not_run';

export interface StreamProgress {
  state: StreamState;
  scopesTotal: number;
  scopesDone: number;
  scopesFailed: number;
  pages: number;
  rows: number;
  requests: number;
  counts: RowCounts;
  errors: Array<{ scope: string; type: string; message: string }>;
}

/** The answer of the `progress` query (contract name) on `syncConnection`. */
export interface SyncProgress {
  connectionId: string;
  runId: string | null;
  phase: 'starting' | 'syncing' | 'finishing' | 'done';
  status: RunStatus;
  streams: Record<StreamName, StreamProgress>;
}

/** The result of `syncConnection`. */
export interface SyncResult {
  connectionId: string;
  runId: string;
  status: RunStatus;
  streams: Record<StreamName, StreamProgress>;
}
