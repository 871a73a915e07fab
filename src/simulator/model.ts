// The simulated account: plain data the generator builds, mutations change, and routes render.
// Field names follow LaunchDarkly's representations where a field is sent as-is; derived fields
// (links, `_summary`, `_environmentName`, salts) are computed at render time instead of stored.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type FlagStatusName = 'new' | 'inactive' | 'active' | 'launched';
export const FLAG_STATUS_NAMES: readonly FlagStatusName[] = ['new', 'inactive', 'active', 'launched'];

export interface MemberModel {
  _id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: 'reader' | 'writer' | 'admin' | 'owner';
  creationDate: number;
  lastSeen: number;
  mfa: 'enabled' | 'disabled';
}

export interface TeamModel {
  key: string;
  name: string;
  description: string;
  creationDate: number;
  lastModified: number;
  version: number;
  idpSynced: boolean;
  /** Member `_id`s, in the order they were added. */
  maintainerIds: string[];
  /** Member `_id`s of every member (a superset of the maintainers). */
  memberIds: string[];
}

export interface ApprovalSettingsModel {
  required: boolean;
  bypassApprovalsForPendingChanges: boolean;
  minNumApprovals: number;
  canReviewOwnRequest: boolean;
  canApplyDeclinedChanges: boolean;
  serviceKind: string;
  serviceConfig: Record<string, JsonValue>;
  requiredApprovalTags: string[];
}

export interface EnvironmentModel {
  _id: string;
  key: string;
  name: string;
  color: string;
  tags: string[];
  critical: boolean;
  defaultTtl: number;
  secureMode: boolean;
  defaultTrackEvents: boolean;
  requireComments: boolean;
  confirmChanges: boolean;
  /** Secrets a live account sends; the connector must drop them before storing anything. */
  apiKey: string;
  mobileKey: string;
  pubnub: { channel: string; cipherKey: string };
  approvalSettings: ApprovalSettingsModel;
  /** Not sent (environments carry no timestamp); used for `sort=createdOn`. */
  createdOn: number;
}

export interface VariationModel {
  _id: string;
  value: JsonValue;
  name?: string;
  description?: string;
}

export interface TargetModel {
  values: string[];
  variation: number;
  contextKind?: string;
}

export interface ClauseModel {
  _id: string;
  attribute: string;
  op: string;
  values: JsonValue[];
  contextKind: string;
  negate: boolean;
}

export interface RolloutModel {
  variations: Array<{ variation: number; weight: number }>;
  bucketBy?: string;
  contextKind?: string;
  seed?: number;
}

export interface RuleModel {
  _id: string;
  variation?: number;
  rollout?: RolloutModel;
  clauses: ClauseModel[];
  trackEvents: boolean;
  description?: string;
}

export interface FlagStatusModel {
  name: FlagStatusName;
  /** RFC 3339 with milliseconds, or null for a flag never evaluated in this environment. */
  lastRequested: string | null;
  /** The fallback value SDKs reported; absent when unknown. */
  default?: JsonValue;
}

/** One flag's state in one environment, plus that environment's flag status. */
export interface FlagEnvironmentModel {
  on: boolean;
  lastModified: number;
  version: number;
  trackEvents: boolean;
  trackEventsFallthrough: boolean;
  offVariation: number;
  fallthrough: { variation?: number; rollout?: RolloutModel };
  targets: TargetModel[];
  contextTargets: TargetModel[];
  rules: RuleModel[];
  prerequisites: Array<{ key: string; variation: number }>;
  status: FlagStatusModel;
}

export interface FlagModel {
  key: string;
  name: string;
  description: string;
  kind: 'boolean' | 'multivariate';
  version: number;
  creationDate: number;
  variations: VariationModel[];
  temporary: boolean;
  tags: string[];
  archived: boolean;
  archivedDate?: number;
  deprecated: boolean;
  deprecatedDate?: number;
  /** A member maintains the flag, or a team does, or (rarely) nobody. */
  maintainerId?: string;
  maintainerTeamKey?: string;
  clientSideAvailability: { usingMobileKey: boolean; usingEnvironmentId: boolean };
  defaults: { onVariation: number; offVariation: number };
  includeInSnippet: boolean;
  customProperties: Record<string, { name: string; value: string[] }>;
  /** Keyed by environment key; every environment of the flag's project has an entry. */
  environments: Record<string, FlagEnvironmentModel>;
}

export interface ProjectModel {
  _id: string;
  key: string;
  name: string;
  tags: string[];
  includeInSnippetByDefault: boolean;
  defaultClientSideAvailability: { usingMobileKey: boolean; usingEnvironmentId: boolean };
  /** Not sent (projects carry no timestamp); used for `sort=createdOn`. */
  createdOn: number;
  environments: EnvironmentModel[];
  flags: FlagModel[];
}

export interface Account {
  seed: number;
  /** The fixed instant generated timestamps hang from (never Date.now(), so data is deterministic). */
  baseTime: number;
  projects: ProjectModel[];
  members: MemberModel[];
  teams: TeamModel[];
}

export function findProject(account: Account, projectKey: string): ProjectModel | undefined {
  return account.projects.find((p) => p.key === projectKey);
}

export function findEnvironment(project: ProjectModel, environmentKey: string): EnvironmentModel | undefined {
  return project.environments.find((e) => e.key === environmentKey);
}

export function findFlag(project: ProjectModel, flagKey: string): FlagModel | undefined {
  return project.flags.find((f) => f.key === flagKey);
}

export function findTeam(account: Account, teamKey: string): TeamModel | undefined {
  return account.teams.find((t) => t.key === teamKey);
}
