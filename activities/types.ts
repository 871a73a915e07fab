// Inputs and outputs of the activities: ids, keys and counts only (invariants 1 and 2).
import type { BegunRun } from '../src/db';
import type { PlannedStream, RunStatus, RunTrigger, StreamName, StreamSummary } from '../src/shared';

/** Identifies the run a stream activity works for, and where it reports live progress. */
export interface RunRef {
  runId: string;
  connectionId: string;
  /** sent by version-1 workflows, which received progress signals; unused since heartbeats carry progress */
  progressWorkflowId?: string;
}

export interface BeginRunInput {
  connectionId: string;
  workflowId: string;
  workflowRunId: string;
  /** sent since version 2 of the workflow; earlier runs are recorded as `workflow` */
  trigger?: RunTrigger;
}

/** The run (`resumed`: this workflow run had begun it already, a retried activity), and what the namespace allows. */
export interface BeginRunResult extends BegunRun {
  /** the project's search attributes this namespace has registered (the workflow upserts only those) */
  searchAttributes?: string[];
  /** what the run syncs, from the catalog (absent from workers before the catalog plan: the fixed fan-out runs) */
  plan?: PlannedStream[];
}

/** A stream summary that also names the keys the workflow fans out over (projects, teams, environments). */
export interface KeyedStreamSummary extends StreamSummary {
  keys: string[];
}

export interface ScopeFailure {
  stream: StreamName;
  scope: string;
  type: string;
  message: string;
}

export interface FinishRunInput {
  runId: string;
  connectionId: string;
  status: Exclude<RunStatus, 'running'>;
  errorType?: string;
  errorMessage?: string;
  /** scopes that failed or never ran; recorded on `ldsync.sync_run_streams` when the activity did not */
  failures: ScopeFailure[];
}
