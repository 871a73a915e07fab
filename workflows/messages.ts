// Messages of `syncConnection` (names are contracts: the CLI and operators use them).
import { defineQuery } from '@temporalio/workflow';
import type { SyncProgress } from '../src/shared';

/**
 * The run as the workflow sees it (contract name `progress`): per stream, scopes started, done, failed
 * or not run, with the counts of finished scopes. Pages of running scopes are in their heartbeats and in
 * `ldsync.sync_run_streams`.
 */
export const progressQuery = defineQuery<SyncProgress>('progress');
