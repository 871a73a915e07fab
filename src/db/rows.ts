// Row types the database layer accepts: plain data in camelCase, one type per table of schema
// `launchdarkly`. Activities map LaunchDarkly client types to these; the db layer maps them to
// columns (see tables.ts). `raw` is the upstream JSON with secrets already removed by the client.

export interface ProjectRow {
  projectKey: string;
  name: string;
  tags: string[];
  raw: unknown;
}

export interface EnvironmentRow {
  projectKey: string;
  environmentKey: string;
  name: string;
  /** Hex colour without `#`, as LaunchDarkly sends it. */
  color: string | null;
  /** Absent in older API responses, hence nullable. */
  critical: boolean | null;
  tags: string[];
  raw: unknown;
}

export interface FlagRow {
  projectKey: string;
  flagKey: string;
  name: string;
  description: string | null;
  kind: string;
  temporary: boolean;
  archived: boolean;
  deprecated: boolean;
  /** LaunchDarkly's `creationDate`. */
  createdAt: Date | null;
  archivedAt: Date | null;
  deprecatedAt: Date | null;
  maintainerId: string | null;
  maintainerTeamKey: string | null;
  tags: string[];
  raw: unknown;
}

export interface FlagEnvironmentRow {
  projectKey: string;
  flagKey: string;
  environmentKey: string;
  on: boolean;
  archived: boolean;
  lastModified: Date | null;
  version: number | null;
  raw: unknown;
}

export interface FlagStatusRow {
  projectKey: string;
  environmentKey: string;
  flagKey: string;
  /** `new`, `inactive`, `active` or `launched`. */
  status: string;
  lastRequested: Date | null;
  /** The fallback value SDKs reported; null when unknown. */
  defaultValue: unknown;
  raw: unknown;
}

/** Tags are bare strings upstream; the `raw` column holds the string itself. */
export interface TagRow {
  tag: string;
}

export interface TeamRow {
  teamKey: string;
  name: string | null;
  description: string | null;
  /** LaunchDarkly's `_creationDate`. */
  createdAt: Date | null;
  /** LaunchDarkly's `_lastModified`, stored as `ld_updated_at` (our `updated_at` is when our copy changed). */
  updatedAt: Date | null;
  raw: unknown;
}

export interface TeamMaintainerRow {
  teamKey: string;
  memberId: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  role: string | null;
  raw: unknown;
}
