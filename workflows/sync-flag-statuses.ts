// syncFlagStatuses: the flag statuses of one (project, environment), as a child workflow (contract type
// `syncFlagStatuses`) so thousands of environments fan out without one history holding them all.
import type { RunRef } from '../activities/types';
import type { StreamSummary } from '../src/shared';
import { streamActivities } from './activity-options';

export interface SyncFlagStatusesInput extends RunRef {
  projectKey: string;
  environmentKey: string;
  /** attempts of the activity (the parent's `maxAttempts` option) */
  maxAttempts?: number;
}

export async function syncFlagStatuses(input: SyncFlagStatusesInput): Promise<StreamSummary> {
  const { maxAttempts, ...ref } = input;
  return streamActivities(`flag statuses of ${ref.projectKey}/${ref.environmentKey}`, maxAttempts).syncFlagStatuses(
    ref,
  );
}
