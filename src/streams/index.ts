// The catalog: every stream the sync runs, each declared once in its own module. Activities run them
// through one generic loop, the workflow follows the plan built from it, and the CLI's data counts
// read it; the connection check (connection-check.ts) probes the streams' endpoints in its own order.
import type { TableSpec } from '../db/table-spec';
import type { PlannedStream, StreamName } from '../shared';
import { environmentsStream } from './environments';
import { flagStatusesStream } from './flag-statuses';
import { flagsStream } from './flags';
import { planOf } from './plan';
import { projectsStream } from './projects';
import type { StreamDefinition } from './stream';
import { tagsStream } from './tags';
import { teamMaintainersStream } from './team-maintainers';
import { teamsStream } from './teams';

/** Every stream, keyed by its name (contract: `ldsync.sync_run_streams.stream`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each stream has its own parameter and item types
export const CATALOG: { [S in StreamName]: StreamDefinition<any, any> } = {
  projects: projectsStream,
  environments: environmentsStream,
  flags: flagsStream,
  flag_statuses: flagStatusesStream,
  tags: tagsStream,
  teams: teamsStream,
  team_maintainers: teamMaintainersStream,
};

/** Every data table of schema `launchdarkly`, in the order analysts meet them (the catalog's). */
export const DATA_TABLE_SPECS: readonly TableSpec[] = Object.values(CATALOG).flatMap((s) =>
  s.tables.map((t) => t.spec),
);
export const DATA_TABLES: readonly string[] = DATA_TABLE_SPECS.map((spec) => spec.table);

/** What `syncConnection` runs, handed to it by beginRun. */
export const SYNC_PLAN: readonly PlannedStream[] = planOf(CATALOG);

export { type ReadContext, type StreamDefinition, type StreamPage, type StreamTable } from './stream';
export { checkConnection, type EndpointCheck } from './connection-check';
export * as environments from './environments';
export * as flagStatuses from './flag-statuses';
export * as flags from './flags';
export * as projects from './projects';
export * as tags from './tags';
export * as teamMaintainers from './team-maintainers';
export * as teams from './teams';
