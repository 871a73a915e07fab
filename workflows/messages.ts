// Messages of `syncConnection` (names are contracts: the CLI and operators use them).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StreamProgressUpdate, SyncProgress } from '../src/shared';

/** Live progress of a run, per stream (contract name `progress`). */
export const progressQuery = defineQuery<SyncProgress>('progress');

/** Throttled progress reports from running stream activities, so `progress` shows pages in flight. */
export const streamProgressSignal = defineSignal<[StreamProgressUpdate]>('streamProgress');
