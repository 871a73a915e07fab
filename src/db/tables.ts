// How each data table of schema `launchdarkly` is keyed, which stream and scope own its rows, and
// how a row type maps to its columns. The stream writer builds its SQL from these specs; all
// identifiers here are constants, never input.
import type { StreamName } from '../shared';
import type {
  EnvironmentRow,
  FlagEnvironmentRow,
  FlagRow,
  FlagStatusRow,
  ProjectRow,
  TagRow,
  TeamMaintainerRow,
  TeamRow,
} from './rows';

export interface RowsByTable {
  projects: ProjectRow;
  environments: EnvironmentRow;
  flags: FlagRow;
  flag_environments: FlagEnvironmentRow;
  flag_statuses: FlagStatusRow;
  tags: TagRow;
  teams: TeamRow;
  team_maintainers: TeamMaintainerRow;
}
export type TableName = keyof RowsByTable;

/** Column values keyed by column name, ready for `jsonb_to_record`. */
export type ColumnRecord = Record<string, unknown>;

export interface TableSpec<T extends TableName = TableName> {
  table: T;
  stream: StreamName;
  /** Natural key after connection_id, in primary-key order. */
  key: readonly string[];
  /** The leading key columns whose values the stream's scope fixes (`<project>/<environment>` → 2). */
  scope: readonly string[];
  /** Non-key columns with their SQL types; `raw jsonb` included. */
  columns: readonly { name: string; type: string }[];
  toRecord(row: RowsByTable[T]): ColumnRecord;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

// JSON null and an absent value both become SQL NULL in jsonb_to_record; keep `raw` non-null.
const json = (value: unknown): unknown => (value === undefined ? null : value);

export const TABLES: { [T in TableName]: TableSpec<T> } = {
  projects: {
    table: 'projects',
    stream: 'projects',
    key: ['project_key'],
    scope: [],
    columns: [
      { name: 'name', type: 'text' },
      { name: 'tags', type: 'text[]' },
      { name: 'raw', type: 'jsonb' },
    ],
    toRecord: (r) => ({ project_key: r.projectKey, name: r.name, tags: r.tags, raw: json(r.raw) }),
  },
  environments: {
    table: 'environments',
    stream: 'environments',
    key: ['project_key', 'environment_key'],
    scope: ['project_key'],
    columns: [
      { name: 'name', type: 'text' },
      { name: 'color', type: 'text' },
      { name: 'critical', type: 'boolean' },
      { name: 'tags', type: 'text[]' },
      { name: 'raw', type: 'jsonb' },
    ],
    toRecord: (r) => ({
      project_key: r.projectKey,
      environment_key: r.environmentKey,
      name: r.name,
      color: r.color,
      critical: r.critical,
      tags: r.tags,
      raw: json(r.raw),
    }),
  },
  flags: {
    table: 'flags',
    stream: 'flags',
    key: ['project_key', 'flag_key'],
    scope: ['project_key'],
    columns: [
      { name: 'name', type: 'text' },
      { name: 'description', type: 'text' },
      { name: 'kind', type: 'text' },
      { name: 'temporary', type: 'boolean' },
      { name: 'archived', type: 'boolean' },
      { name: 'deprecated', type: 'boolean' },
      { name: 'created_at', type: 'timestamptz' },
      { name: 'archived_at', type: 'timestamptz' },
      { name: 'deprecated_at', type: 'timestamptz' },
      { name: 'maintainer_id', type: 'text' },
      { name: 'maintainer_team_key', type: 'text' },
      { name: 'tags', type: 'text[]' },
      { name: 'raw', type: 'jsonb' },
    ],
    toRecord: (r) => ({
      project_key: r.projectKey,
      flag_key: r.flagKey,
      name: r.name,
      description: r.description,
      kind: r.kind,
      temporary: r.temporary,
      archived: r.archived,
      deprecated: r.deprecated,
      created_at: iso(r.createdAt),
      archived_at: iso(r.archivedAt),
      deprecated_at: iso(r.deprecatedAt),
      maintainer_id: r.maintainerId,
      maintainer_team_key: r.maintainerTeamKey,
      tags: r.tags,
      raw: json(r.raw),
    }),
  },
  flag_environments: {
    table: 'flag_environments',
    stream: 'flags',
    key: ['project_key', 'flag_key', 'environment_key'],
    scope: ['project_key'],
    columns: [
      { name: 'on', type: 'boolean' },
      { name: 'archived', type: 'boolean' },
      { name: 'last_modified', type: 'timestamptz' },
      { name: 'version', type: 'integer' },
      { name: 'raw', type: 'jsonb' },
    ],
    toRecord: (r) => ({
      project_key: r.projectKey,
      flag_key: r.flagKey,
      environment_key: r.environmentKey,
      on: r.on,
      archived: r.archived,
      last_modified: iso(r.lastModified),
      version: r.version,
      raw: json(r.raw),
    }),
  },
  flag_statuses: {
    table: 'flag_statuses',
    stream: 'flag_statuses',
    key: ['project_key', 'environment_key', 'flag_key'],
    scope: ['project_key', 'environment_key'],
    columns: [
      { name: 'status', type: 'text' },
      { name: 'last_requested', type: 'timestamptz' },
      { name: 'default_value', type: 'jsonb' },
      { name: 'raw', type: 'jsonb' },
    ],
    toRecord: (r) => ({
      project_key: r.projectKey,
      environment_key: r.environmentKey,
      flag_key: r.flagKey,
      status: r.status,
      last_requested: iso(r.lastRequested),
      default_value: json(r.defaultValue),
      raw: json(r.raw),
    }),
  },
  tags: {
    table: 'tags',
    stream: 'tags',
    key: ['tag'],
    scope: [],
    columns: [{ name: 'raw', type: 'jsonb' }],
    toRecord: (r) => ({ tag: r.tag, raw: r.tag }),
  },
  teams: {
    table: 'teams',
    stream: 'teams',
    key: ['team_key'],
    scope: [],
    columns: [
      { name: 'name', type: 'text' },
      { name: 'description', type: 'text' },
      { name: 'created_at', type: 'timestamptz' },
      { name: 'ld_updated_at', type: 'timestamptz' },
      { name: 'raw', type: 'jsonb' },
    ],
    toRecord: (r) => ({
      team_key: r.teamKey,
      name: r.name,
      description: r.description,
      created_at: iso(r.createdAt),
      ld_updated_at: iso(r.updatedAt),
      raw: json(r.raw),
    }),
  },
  team_maintainers: {
    table: 'team_maintainers',
    stream: 'team_maintainers',
    key: ['team_key', 'member_id'],
    scope: ['team_key'],
    columns: [
      { name: 'email', type: 'text' },
      { name: 'first_name', type: 'text' },
      { name: 'last_name', type: 'text' },
      { name: 'role', type: 'text' },
      { name: 'raw', type: 'jsonb' },
    ],
    toRecord: (r) => ({
      team_key: r.teamKey,
      member_id: r.memberId,
      email: r.email,
      first_name: r.firstName,
      last_name: r.lastName,
      role: r.role,
      raw: json(r.raw),
    }),
  },
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** The tables a stream writes, in the order its deletions are detected (parents first). */
export function tablesOfStream(stream: StreamName): TableSpec[] {
  return TABLE_NAMES.map((name) => TABLES[name] as TableSpec).filter((spec) => spec.stream === stream);
}

/** Splits a stream's scope into the values of its scope columns; throws on a malformed scope. */
export function parseScope(stream: StreamName, scope: string): string[] {
  const spec = tablesOfStream(stream)[0];
  const width = spec ? spec.scope.length : 0;
  if (width === 0) {
    if (scope !== '') throw new Error(`stream ${stream} takes the scope '' (got "${scope}")`);
    return [];
  }
  const parts = width === 1 ? [scope] : scope.split('/');
  if (parts.length !== width || parts.some((p) => p === '')) {
    const shape = width === 1 ? 'a key' : '<projectKey>/<environmentKey>';
    throw new Error(`stream ${stream} takes a scope of the form ${shape} (got "${scope}")`);
  }
  return parts;
}
