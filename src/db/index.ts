// The database layer's public surface. It knows nothing of LaunchDarkly's HTTP: the stream modules
// (src/streams) declare their tables as TableSpecs and map items to column records; activities call
// these functions with them.
export { createPool, type PoolOptions } from './pool';
export { migrate, MIGRATIONS_DIR, type MigrateOptions } from './migrate';
export { startEmbeddedPostgres, DEFAULT_EMBEDDED_PORT, type EmbeddedPostgresHandle } from './embedded';
export { withTransaction } from './transaction';
export type { Cascade, ColumnRecord, ColumnSpec, SqlType, TableSpec, TableWrite } from './table-spec';
export { writePage, completeStream, type StreamScope } from './stream-writer';
export {
  openStream,
  failStream,
  addStreamRequests,
  StreamStateError,
  type StreamKey,
  type StreamResume,
  type TableCounts,
} from './stream-rows';
export type { DeletionCheck } from './deletions';
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
  type BegunRun,
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
  DEFAULT_BASE_URL,
  type ConnectionListItem,
  type ConnectionRecord,
  type NewConnection,
  type RemoveConnectionResult,
} from './connections';
export { liveKeys } from './live-keys';
