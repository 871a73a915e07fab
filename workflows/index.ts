// The worker's workflowsPath: every workflow type the task queue serves.
export { syncConnection } from './sync-connection';
export { syncFlagStatuses } from './sync-flag-statuses';
