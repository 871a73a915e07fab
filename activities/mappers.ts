// LaunchDarkly client types → database rows. Pure functions: the only place the two vocabularies meet.
import type {
  EnvironmentRow,
  FlagEnvironmentRow,
  FlagRow,
  FlagStatusRow,
  ProjectRow,
  TeamMaintainerRow,
  TeamRow,
} from '../src/db/rows';
import type { Environment, Flag, FlagStatus, Project, Team, TeamMaintainer } from '../src/launchdarkly';

const msToDate = (ms: number | null | undefined): Date | null =>
  typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms) : null;

function rawNumber(raw: Record<string, unknown>, field: string): number | null {
  const v = raw[field];
  return typeof v === 'number' ? v : null;
}

export function projectRow(p: Project): ProjectRow {
  return { projectKey: p.key, name: p.name, tags: p.tags, raw: p.raw };
}

export function environmentRow(projectKey: string, e: Environment): EnvironmentRow {
  return {
    projectKey,
    environmentKey: e.key,
    name: e.name,
    color: e.color,
    critical: e.critical,
    tags: e.tags,
    raw: e.raw,
  };
}

export function flagRow(projectKey: string, f: Flag): FlagRow {
  const raw = f.raw as Record<string, unknown>;
  return {
    projectKey,
    flagKey: f.key,
    name: f.name,
    description: f.description,
    kind: f.kind,
    temporary: f.temporary,
    archived: f.archived,
    deprecated: f.deprecated,
    createdAt: msToDate(f.creationDate),
    archivedAt: msToDate(rawNumber(raw, 'archivedDate')),
    deprecatedAt: msToDate(rawNumber(raw, 'deprecatedDate')),
    maintainerId: f.maintainerId,
    maintainerTeamKey: f.maintainerTeamKey,
    tags: f.tags,
    raw: f.raw,
  };
}

export function flagEnvironmentRows(projectKey: string, f: Flag): FlagEnvironmentRow[] {
  return Object.entries(f.environments).map(([environmentKey, env]) => ({
    projectKey,
    flagKey: f.key,
    environmentKey,
    on: env.on,
    archived: env.archived,
    lastModified: msToDate(env.lastModified),
    version: env.version,
    raw: env.raw,
  }));
}

export function flagStatusRow(projectKey: string, environmentKey: string, s: FlagStatus): FlagStatusRow {
  return {
    projectKey,
    environmentKey,
    flagKey: s.flagKey,
    status: s.name,
    lastRequested: s.lastRequested === null ? null : new Date(s.lastRequested),
    defaultValue: s.default,
    raw: s.raw,
  };
}

export function teamRow(t: Team): TeamRow {
  return {
    teamKey: t.key,
    name: t.name,
    description: t.description,
    createdAt: msToDate(t.creationDate),
    updatedAt: msToDate(t.lastModified),
    raw: t.raw,
  };
}

export function teamMaintainerRow(teamKey: string, m: TeamMaintainer): TeamMaintainerRow {
  return {
    teamKey,
    memberId: m.id,
    email: m.email,
    firstName: m.firstName,
    lastName: m.lastName,
    role: m.role,
    raw: m.raw,
  };
}
