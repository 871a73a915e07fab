// The database layer's public surface. It knows nothing of LaunchDarkly's HTTP: activities map
// client types to the row types in rows.ts and call these functions.
export { createPool, type PoolOptions } from './pool';
export { migrate, MIGRATIONS_DIR, type MigrateOptions } from './migrate';
export { startEmbeddedPostgres, DEFAULT_EMBEDDED_PORT, type EmbeddedPostgresHandle } from './embedded';
export { withTransaction } from './transaction';
export type * from './rows';
export { TABLE_NAMES, type TableName } from './tables';
export {
  openStream,
  writePage,
  completeStream,
  failStream,
  addStreamRequests,
  setStreamWaiting,
  StreamStateError,
  type StreamKey,
  type StreamResume,
  type TableWrite,
  type TableCounts,
  type DeletionCheck,
} from './stream-writer';
export {
  DatabaseUnavailableError,
  DEFAULT_DATABASE_RETRY_BUDGET_MS,
  describeDatabaseError,
  isDatabaseUnavailable,
  isDataException,
  withDatabaseRetry,
  type DatabaseRetryOptions,
} from './errors';
export {
  beginRun,
  finishRun,
  abandonRun,
  listRuns,
  getRunWithStreams,
  type BeginRunInput,
  type BeginRunResult,
  type FinishedRunStatus,
  type RunRecord,
  type RunTotals,
  type StreamRecord,
} from './runs';
export {
  addConnection,
  getConnection,
  getConnectionToken,
  listConnections,
  removeConnection,
  ConnectionNotFoundError,
  ConnectionIdSchema,
  CONNECTION_ID_PATTERN,
  API_VERSIONS,
  DEFAULT_API_VERSION,
  DEFAULT_BASE_URL,
  type ConnectionListItem,
  type ConnectionRecord,
  type NewConnection,
  type RemoveConnectionResult,
} from './connections';
export { activeKeys, activeFlagKeys } from './live-keys';
