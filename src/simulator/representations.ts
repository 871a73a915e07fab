// Renders the account model as LaunchDarkly's JSON representations (API.md §4): links,
// `_summary`, `_environmentName`, `_site` and the secret-bearing environment fields included.
// Every call returns fresh objects, so callers may alter the result without touching the model.
import {
  type Account,
  type EnvironmentModel,
  type FlagEnvironmentModel,
  type FlagModel,
  type FlagStatusModel,
  type JsonValue,
  type MemberModel,
  type ProjectModel,
  type TeamModel,
} from './model';
import { type Link, link } from './paging';
import { Rng } from './prng';

type Json = Record<string, unknown>;

const API = '/api/v2';
const seg = encodeURIComponent;
const clone = <T>(value: T): T => structuredClone(value);

export const hrefs = {
  projects: () => `${API}/projects`,
  project: (p: string) => `${API}/projects/${seg(p)}`,
  environments: (p: string) => `${API}/projects/${seg(p)}/environments`,
  environment: (p: string, e: string) => `${API}/projects/${seg(p)}/environments/${seg(e)}`,
  flags: (p: string) => `${API}/flags/${seg(p)}`,
  flag: (p: string, f: string) => `${API}/flags/${seg(p)}/${seg(f)}`,
  flagStatuses: (p: string, e: string) => `${API}/flag-statuses/${seg(p)}/${seg(e)}`,
  flagStatus: (p: string, e: string, f: string) => `${API}/flag-statuses/${seg(p)}/${seg(e)}/${seg(f)}`,
  flagStatusAcross: (p: string, f: string) => `${API}/flag-status/${seg(p)}/${seg(f)}`,
  teams: () => `${API}/teams`,
  team: (t: string) => `${API}/teams/${seg(t)}`,
  teamMaintainers: (t: string) => `${API}/teams/${seg(t)}/maintainers`,
  members: () => `${API}/members`,
  member: (id: string) => `${API}/members/${seg(id)}`,
};

export function renderProject(project: ProjectModel): Json {
  return {
    _links: {
      environments: link(hrefs.environments(project.key)),
      flagDefaults: link(`${hrefs.project(project.key)}/flag-defaults`),
      self: link(hrefs.project(project.key)),
    },
    _id: project._id,
    key: project.key,
    includeInSnippetByDefault: project.includeInSnippetByDefault,
    defaultClientSideAvailability: clone(project.defaultClientSideAvailability),
    name: project.name,
    tags: [...project.tags],
  };
}

export function renderEnvironment(project: ProjectModel, environment: EnvironmentModel): Json {
  const self = hrefs.environment(project.key, environment.key);
  return {
    _links: {
      analytics: link(`https://app.launchdarkly.com/snippet/events/v1/${environment._id}.js`, 'text/html'),
      apiKey: link(`${self}/apiKey`),
      mobileKey: link(`${self}/mobileKey`),
      self: link(self),
      snippet: link(`https://app.launchdarkly.com/snippet/features/${environment._id}.js`, 'text/html'),
    },
    _id: environment._id,
    _pubnub: { channel: environment.pubnub.channel, cipherKey: environment.pubnub.cipherKey },
    key: environment.key,
    name: environment.name,
    apiKey: environment.apiKey,
    mobileKey: environment.mobileKey,
    color: environment.color,
    defaultTtl: environment.defaultTtl,
    secureMode: environment.secureMode,
    defaultTrackEvents: environment.defaultTrackEvents,
    requireComments: environment.requireComments,
    confirmChanges: environment.confirmChanges,
    tags: [...environment.tags],
    approvalSettings: clone(environment.approvalSettings),
    critical: environment.critical,
  };
}

export function renderMemberSummary(member: MemberModel): Json {
  return {
    _id: member._id,
    _links: { self: link(hrefs.member(member._id)) },
    email: member.email,
    firstName: member.firstName,
    lastName: member.lastName,
    role: member.role,
  };
}

export function renderMember(account: Account, member: MemberModel): Json {
  return {
    _links: { self: link(hrefs.member(member._id)) },
    _id: member._id,
    firstName: member.firstName,
    lastName: member.lastName,
    role: member.role,
    email: member.email,
    _pendingInvite: false,
    _verified: true,
    customRoles: [],
    mfa: member.mfa,
    excludedDashboards: [],
    _lastSeen: member.lastSeen,
    creationDate: member.creationDate,
    teams: account.teams
      .filter((t) => t.memberIds.includes(member._id))
      .map((t) => ({ customRoleKeys: [], key: t.key, _links: { self: link(hrefs.team(t.key)) }, name: t.name })),
  };
}

function teamLinks(team: TeamModel): Record<string, Link> {
  return {
    maintainers: link(hrefs.teamMaintainers(team.key)),
    parent: link(hrefs.teams()),
    roles: link(`${hrefs.team(team.key)}/roles`),
    self: link(hrefs.team(team.key)),
  };
}

export function renderTeam(team: TeamModel): Json {
  return {
    _creationDate: team.creationDate,
    _idpSynced: team.idpSynced,
    _lastModified: team.lastModified,
    _links: teamLinks(team),
    _version: team.version,
    description: team.description,
    key: team.key,
    name: team.name,
  };
}

/** Salt and `sel` are opaque per (flag, environment) hex strings; derive them instead of storing them. */
function opaqueHex(account: Account, ...parts: string[]): string {
  return Rng.derive(account.seed, 'opaque', ...parts).hex(32);
}

interface VariationSummary {
  contextTargets: number;
  nullRules: number;
  rules: number;
  targets: number;
  isFallthrough?: boolean;
  isOff?: boolean;
  rollout?: number;
  bucketBy?: string;
}

function summarize(config: FlagEnvironmentModel): Json {
  const variations: Record<string, VariationSummary> = {};
  const entry = (index: number): VariationSummary =>
    (variations[String(index)] ??= { contextTargets: 0, nullRules: 0, rules: 0, targets: 0 });
  for (const rule of config.rules) {
    if (rule.variation !== undefined) entry(rule.variation).rules += 1;
    else
      for (const weighted of rule.rollout?.variations ?? [])
        if (weighted.weight > 0) entry(weighted.variation).rules += 1;
  }
  for (const target of config.targets) entry(target.variation).targets += target.values.length;
  for (const target of config.contextTargets) entry(target.variation).contextTargets += target.values.length;
  if (config.fallthrough.variation !== undefined) entry(config.fallthrough.variation).isFallthrough = true;
  for (const weighted of config.fallthrough.rollout?.variations ?? []) {
    const summary = entry(weighted.variation);
    summary.rollout = weighted.weight;
    if (config.fallthrough.rollout?.bucketBy !== undefined) summary.bucketBy = config.fallthrough.rollout.bucketBy;
  }
  entry(config.offVariation).isOff = true;
  return { prerequisites: config.prerequisites.length, variations };
}

export function renderFlagConfig(
  account: Account,
  project: ProjectModel,
  flag: FlagModel,
  environment: EnvironmentModel,
  mode: { summary: boolean; full: boolean },
): Json | undefined {
  const config = flag.environments[environment.key];
  if (config === undefined) return undefined;
  const out: Json = {
    _environmentName: environment.name,
    _site: link(`/${seg(project.key)}/${seg(environment.key)}/features/${seg(flag.key)}`, 'text/html'),
  };
  if (mode.summary) out._summary = summarize(config);
  out.archived = flag.archived;
  if (mode.full) {
    out.contextTargets = clone(config.contextTargets);
    out.fallthrough = clone(config.fallthrough);
  }
  out.lastModified = config.lastModified;
  if (mode.full) out.offVariation = config.offVariation;
  out.on = config.on;
  if (mode.full) {
    out.prerequisites = clone(config.prerequisites);
    out.rules = clone(config.rules);
  }
  out.salt = opaqueHex(account, project.key, flag.key, environment.key, 'salt');
  out.sel = opaqueHex(account, project.key, flag.key, environment.key, 'sel');
  if (mode.full) out.targets = clone(config.targets);
  out.trackEvents = config.trackEvents;
  out.trackEventsFallthrough = config.trackEventsFallthrough;
  out.version = config.version;
  return out;
}

export interface FlagRenderOptions {
  /** Environments to embed, in the project's order; none omits the `environments` field. */
  environments: EnvironmentModel[] | 'none';
  /** `_summary` on each environment (list endpoint) and/or full targeting. */
  summary: boolean;
  full: boolean;
}

export function renderFlag(account: Account, project: ProjectModel, flag: FlagModel, options: FlagRenderOptions): Json {
  const out: Json = {
    _links: { parent: link(hrefs.flags(project.key)), self: link(hrefs.flag(project.key, flag.key)) },
  };
  const member = flag.maintainerId === undefined ? undefined : account.members.find((m) => m._id === flag.maintainerId);
  if (member !== undefined) out._maintainer = renderMemberSummary(member);
  const team =
    flag.maintainerTeamKey === undefined ? undefined : account.teams.find((t) => t.key === flag.maintainerTeamKey);
  if (team !== undefined) {
    out._maintainerTeam = {
      key: team.key,
      name: team.name,
      _links: {
        parent: link(hrefs.teams()),
        roles: link(`${hrefs.team(team.key)}/roles`),
        self: link(hrefs.team(team.key)),
      },
    };
  }
  out._version = flag.version;
  out.archived = flag.archived;
  if (flag.archivedDate !== undefined) out.archivedDate = flag.archivedDate;
  out.clientSideAvailability = clone(flag.clientSideAvailability);
  out.creationDate = flag.creationDate;
  out.customProperties = clone(flag.customProperties);
  out.defaults = clone(flag.defaults);
  out.deprecated = flag.deprecated;
  if (flag.deprecatedDate !== undefined) out.deprecatedDate = flag.deprecatedDate;
  out.description = flag.description;
  if (options.environments !== 'none') {
    const environments: Json = {};
    for (const environment of options.environments) {
      const config = renderFlagConfig(account, project, flag, environment, options);
      if (config !== undefined) environments[environment.key] = config;
    }
    out.environments = environments;
  }
  out.experiments = { baselineIdx: 0, items: [] };
  out.goalIds = [];
  out.includeInSnippet = flag.includeInSnippet;
  out.key = flag.key;
  out.kind = flag.kind;
  if (flag.maintainerId !== undefined) out.maintainerId = flag.maintainerId;
  if (flag.maintainerTeamKey !== undefined) out.maintainerTeamKey = flag.maintainerTeamKey;
  out.name = flag.name;
  out.tags = [...flag.tags];
  out.temporary = flag.temporary;
  out.variationJsonSchema = null;
  out.variations = clone(flag.variations);
  return out;
}

function statusFields(status: FlagStatusModel): Json {
  const out: Json = { name: status.name, lastRequested: status.lastRequested };
  if ('default' in status) out.default = clone(status.default as JsonValue);
  return out;
}

export function renderFlagStatus(
  project: ProjectModel,
  environment: EnvironmentModel,
  flag: FlagModel,
): Json | undefined {
  const config = flag.environments[environment.key];
  if (config === undefined) return undefined;
  return {
    _links: {
      parent: link(hrefs.flag(project.key, flag.key)),
      self: link(hrefs.flagStatus(project.key, environment.key, flag.key)),
    },
    ...statusFields(config.status),
  };
}

export function renderFlagStatusAcrossEnvironments(
  project: ProjectModel,
  flag: FlagModel,
  environments: EnvironmentModel[],
): Json {
  const byEnvironment: Json = {};
  for (const environment of environments) {
    const config = flag.environments[environment.key];
    if (config !== undefined) byEnvironment[environment.key] = statusFields(config.status);
  }
  return {
    _links: {
      parent: link(hrefs.flag(project.key, flag.key)),
      self: link(hrefs.flagStatusAcross(project.key, flag.key)),
    },
    environments: byEnvironment,
    key: flag.key,
  };
}
