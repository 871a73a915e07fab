// Builds a deterministic simulated account from a seed and sizes. Each project, environment,
// flag and team draws from its own derived PRNG stream, so growing one dimension (more flags)
// leaves everything generated before it unchanged.
import {
  type Account,
  type ApprovalSettingsModel,
  type EnvironmentModel,
  type FlagEnvironmentModel,
  type FlagModel,
  type FlagStatusModel,
  type JsonValue,
  type MemberModel,
  type ProjectModel,
  type RuleModel,
  type TargetModel,
  type TeamModel,
  type VariationModel,
} from './model';
import { Rng } from './prng';

export interface GeneratorSizes {
  seed: number;
  projects: number;
  environments: number;
  flags: number;
  teams: number;
  membersPerTeam: number;
}

/** 2024-06-01T00:00:00Z: every generated timestamp hangs from here. */
export const BASE_TIME = Date.UTC(2024, 5, 1);
export const DAY_MS = 86_400_000;

const TAG_VOCABULARY = [
  'ops',
  'frontend',
  'backend',
  'mobile',
  'checkout',
  'payments',
  'growth',
  'experiment',
  'infra',
  'beta',
  'team:core',
  'release-2024',
  'data.pipeline',
  'ünicode-tag',
];

const PROJECT_KEYS = [
  'default',
  'mobile-app',
  'web.checkout',
  'platform_core',
  'data-pipeline',
  'marketing.site',
  'internal_tools',
  'payments-api',
];
const PROJECT_NAMES = [
  'Default',
  'Mobile App',
  'Web Checkout',
  'Plateforme cœur',
  'Data Pipeline',
  'Marketing ✨ Site',
  'Internal Tools',
  'Payments API',
];
const ENVIRONMENT_KEYS = ['production', 'staging', 'test', 'development', 'qa', 'shadow', 'sandbox', 'perf'];
const ENVIRONMENT_NAMES = ['Production', 'Staging', 'Test', 'Development', 'QA', 'Shadow', 'Sandbox', 'Perf'];
const FLAG_WORDS_A = ['new', 'enable', 'beta', 'legacy', 'dark', 'fast', 'smart', 'global', 'instant', 'express'];
const FLAG_WORDS_B = [
  'checkout',
  'search',
  'onboarding',
  'pricing',
  'banner',
  'dashboard',
  'billing',
  'recommendations',
  'sync',
  'export',
  'login',
  'cart',
];
const UNICODE_FLAG_NAMES = [
  'Nouveau paiement',
  'Überarbeitete Suche',
  '新しいチェックアウト',
  'Рекомендации v2',
  'Café menu 🚀',
  'Zoë’s experiment',
  'Búsqueda rápida',
  '결제 흐름',
];
const FIRST_NAMES = ['Ariel', 'José', 'Zoë', 'Mei', 'Olu', 'Anaïs', 'Kenji', 'Priya', 'Søren', 'Fatima', 'Liam', 'Noa'];
const LAST_NAMES = [
  'Flores',
  'García',
  'Müller',
  'Chen',
  'Okafor',
  'Dubois',
  'Tanaka',
  'Sharma',
  'Nørgaard',
  'Haddad',
  'Smith',
  'Levi',
];
const TEAM_KEYS = [
  'platform',
  'checkout-team',
  'growth.squad',
  'data_eng',
  'mobile',
  'sre',
  'design-system',
  'security',
];
const TEAM_NAMES = [
  'Platform',
  'Checkout Team',
  'Growth Squad 🚀',
  'Data Engineering',
  'Mobile',
  'SRE',
  'Design System',
  'Sécurité',
];

export function generateAccount(sizes: GeneratorSizes): Account {
  const account: Account = { seed: sizes.seed, baseTime: BASE_TIME, projects: [], members: [], teams: [] };
  const memberCount = Math.max(6, sizes.teams * sizes.membersPerTeam + 3);
  for (let i = 0; i < memberCount; i++) account.members.push(buildMember(Rng.derive(sizes.seed, 'member', i), i));
  for (let i = 0; i < sizes.teams; i++) {
    account.teams.push(buildTeam(Rng.derive(sizes.seed, 'team', i), account, i, sizes.membersPerTeam));
  }
  for (let i = 0; i < sizes.projects; i++) {
    account.projects.push(
      buildProject(Rng.derive(sizes.seed, 'project', i), account, i, sizes.environments, sizes.flags),
    );
  }
  keepArchivedTagsShared(account);
  return account;
}

/** An ASCII-only rendering of a name, for email addresses. */
function asciiFold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

export function buildMember(rng: Rng, index: number): MemberModel {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const creationDate = BASE_TIME - rng.int(30, 900) * DAY_MS - rng.int(0, DAY_MS);
  return {
    _id: rng.objectId(),
    email: `${asciiFold(firstName)}.${asciiFold(lastName)}${index}@example.com`,
    firstName,
    lastName,
    role: index === 0 ? 'owner' : rng.pick(['reader', 'writer', 'writer', 'admin'] as const),
    creationDate,
    lastSeen: BASE_TIME - rng.int(0, 20) * DAY_MS - rng.int(0, DAY_MS),
    mfa: rng.bool(0.6) ? 'enabled' : 'disabled',
  };
}

export function buildTeam(rng: Rng, account: Account, index: number, maintainerCount: number): TeamModel {
  const creationDate = BASE_TIME - rng.int(60, 700) * DAY_MS - rng.int(0, DAY_MS);
  const memberIds = account.members.map((m) => m._id);
  const maintainerIds = rng.sample(memberIds, maintainerCount);
  const others = rng.sample(
    memberIds.filter((id) => !maintainerIds.includes(id)),
    rng.int(0, 3),
  );
  return {
    key: TEAM_KEYS[index] ?? `team-${index}`,
    name: TEAM_NAMES[index] ?? `Team ${index}`,
    description: rng.bool(0.3) ? '' : `Owns ${rng.pick(FLAG_WORDS_B)} and friends.`,
    creationDate,
    lastModified: creationDate + rng.int(0, 50) * DAY_MS,
    version: rng.int(1, 9),
    idpSynced: rng.bool(0.25),
    maintainerIds,
    memberIds: [...maintainerIds, ...others],
  };
}

export function buildProject(
  rng: Rng,
  account: Account,
  index: number,
  environmentCount: number,
  flagCount: number,
): ProjectModel {
  const separator = rng.pick(['-', '.', '_']);
  const project: ProjectModel = {
    _id: rng.objectId(),
    key: PROJECT_KEYS[index] ?? `project${separator}${index}`,
    name: PROJECT_NAMES[index] ?? `Project ${index}`,
    tags: rng.sample(TAG_VOCABULARY, rng.int(0, 2)),
    includeInSnippetByDefault: rng.bool(0.3),
    defaultClientSideAvailability: { usingMobileKey: rng.bool(0.3), usingEnvironmentId: rng.bool(0.5) },
    createdOn: BASE_TIME - 400 * DAY_MS + index * 3_600_000,
    environments: [],
    flags: [],
  };
  for (let j = 0; j < environmentCount; j++) {
    project.environments.push(buildEnvironment(Rng.derive(account.seed, 'environment', project.key, j), project, j));
  }
  for (let f = 0; f < flagCount; f++) {
    project.flags.push(buildFlag(Rng.derive(account.seed, 'flag', project.key, f), account, project, f));
  }
  return project;
}

function approvalSettings(required: boolean): ApprovalSettingsModel {
  return {
    required,
    bypassApprovalsForPendingChanges: false,
    minNumApprovals: 1,
    canReviewOwnRequest: false,
    canApplyDeclinedChanges: true,
    serviceKind: 'launchdarkly',
    serviceConfig: {},
    requiredApprovalTags: [],
  };
}

export function buildEnvironment(rng: Rng, project: ProjectModel, index: number): EnvironmentModel {
  const key = ENVIRONMENT_KEYS[index] ?? `env-${index}`;
  const baseName = ENVIRONMENT_NAMES[index] ?? `Environment ${index}`;
  const critical = key === 'production' ? true : rng.bool(0.15);
  const color = rng.hex(6);
  return {
    _id: rng.objectId(),
    key,
    name: rng.bool(0.15) ? `${baseName} (Europe ☁)` : baseName,
    color: rng.bool(0.5) ? color.toUpperCase() : color,
    tags: rng.sample(TAG_VOCABULARY, rng.int(0, 2)),
    critical,
    defaultTtl: rng.pick([0, 0, 5, 60]),
    secureMode: rng.bool(0.2),
    defaultTrackEvents: rng.bool(0.1),
    requireComments: rng.bool(critical ? 0.7 : 0.1),
    confirmChanges: rng.bool(critical ? 0.7 : 0.1),
    apiKey: `sdk-${rng.uuid()}`,
    mobileKey: `mob-${rng.uuid()}`,
    pubnub: { channel: rng.hex(64), cipherKey: rng.hex(64) },
    approvalSettings: approvalSettings(critical && rng.bool(0.5)),
    createdOn: project.createdOn + (index + 1) * 60_000,
  };
}

function buildVariations(rng: Rng, kind: 'boolean' | 'string' | 'number' | 'json'): VariationModel[] {
  const named = rng.bool(0.4);
  const make = (value: JsonValue, name: string, description?: string): VariationModel => {
    const variation: VariationModel = { _id: rng.uuid(), value };
    if (named) variation.name = name;
    if (named && description !== undefined) variation.description = description;
    return variation;
  };
  switch (kind) {
    case 'boolean':
      return [make(true, 'On', 'Serve the new behaviour'), make(false, 'Off')];
    case 'string':
      return rng.bool(0.5)
        ? [make('control', 'Control'), make('treatment-a', 'Treatment A', 'Shorter copy'), make('treatment-b', 'B')]
        : [
            make('', 'none', 'No messaging hides the banner'),
            make("<p>Now on Android! <a href='#'>here</a></p>", 'ad'),
          ];
    case 'number':
      return [make(0, 'zero'), make(10, 'ten'), make(25.5, 'quarter-ish'), make(100, 'all')];
    case 'json':
      return [
        make({ theme: 'light', size: 1, features: ['a'] }, 'light'),
        make({ theme: 'dark', size: 2, features: [] }, 'dark', 'Night mode'),
        make(['x', 1, null], 'list'),
      ];
  }
}

function pickMaintainer(
  rng: Rng,
  account: Account,
  index: number,
): Pick<FlagModel, 'maintainerId' | 'maintainerTeamKey'> {
  if (index % 5 === 2 && account.teams.length > 0) return { maintainerTeamKey: rng.pick(account.teams).key };
  if (rng.bool(0.04) || account.members.length === 0) return {};
  return { maintainerId: rng.pick(account.members)._id };
}

export function buildFlag(rng: Rng, account: Account, project: ProjectModel, index: number): FlagModel {
  const separators = rng.sample(['-', '.', '_'], 2);
  const wordA = rng.pick(FLAG_WORDS_A);
  const wordB = rng.pick(FLAG_WORDS_B);
  const key = `${wordA}${separators[0]}${wordB}${separators[1]}${index}`;
  const valueKind =
    index % 4 === 2
      ? rng.pick(['string', 'number', 'json'] as const)
      : index % 4 === 3
        ? rng.pick(['boolean', 'string', 'json'] as const)
        : 'boolean';
  const variations = buildVariations(rng, valueKind);
  const creationDate = BASE_TIME - rng.int(1, 600) * DAY_MS - rng.int(0, DAY_MS);
  const archived = index % 7 === 6 || rng.bool(0.03);
  const deprecated = index % 9 === 4 || rng.bool(0.03);
  const name = rng.bool(0.2)
    ? `${rng.pick(UNICODE_FLAG_NAMES)} #${index}`
    : `${wordA[0]?.toUpperCase() ?? ''}${wordA.slice(1)} ${wordB}`;
  const flag: FlagModel = {
    key,
    name,
    description: rng.bool(0.5) ? '' : `Controls ${wordB} (${valueKind}).`,
    kind: valueKind === 'boolean' ? 'boolean' : 'multivariate',
    version: rng.int(1, 10),
    creationDate,
    variations,
    temporary: rng.bool(0.6),
    tags: rng.sample(TAG_VOCABULARY, rng.int(0, 3)),
    archived,
    deprecated,
    ...pickMaintainer(rng, account, index),
    clientSideAvailability: { usingMobileKey: rng.bool(0.2), usingEnvironmentId: rng.bool(0.4) },
    defaults: { onVariation: 0, offVariation: variations.length - 1 },
    includeInSnippet: rng.bool(0.2),
    customProperties: rng.bool(0.15) ? { 'jira.issues': { name: 'Jira issues', value: [`LD-${index + 100}`] } } : {},
    environments: {},
  };
  if (deprecated) flag.deprecatedDate = creationDate + rng.int(1, 30) * DAY_MS;
  if (archived) flag.archivedDate = creationDate + rng.int(31, 60) * DAY_MS;
  // Prerequisites point at a few recent live flags (not all earlier ones: that is quadratic in big projects).
  const earlier = project.flags
    .slice(-10)
    .filter((f) => !f.archived)
    .map((f) => f.key);
  for (const environment of project.environments) {
    flag.environments[environment.key] = buildFlagEnvironment(rng, flag, environment, earlier);
  }
  return flag;
}

function buildTargets(rng: Rng, contextKind: string, variationCount: number): TargetModel[] {
  const values = Array.from({ length: rng.int(1, 3) }, () => `${contextKind}-${rng.hex(8)}`);
  return [{ values, variation: rng.int(0, variationCount - 1), contextKind }];
}

function buildRules(rng: Rng, variationCount: number): RuleModel[] {
  return Array.from({ length: rng.int(1, 2) }, (_, i) => {
    const rule: RuleModel = {
      _id: rng.uuid(),
      clauses: [
        {
          _id: rng.uuid(),
          attribute: rng.pick(['email', 'country', 'plan']),
          op: rng.pick(['endsWith', 'in', 'contains']),
          values: [rng.pick(['@example.com', 'FR', 'enterprise'])],
          contextKind: 'user',
          negate: rng.bool(0.1),
        },
      ],
      trackEvents: false,
    };
    if (i === 0 && rng.bool(0.5)) rule.description = 'Internal users first';
    if (rng.bool(0.25)) {
      rule.rollout = {
        variations: [
          { variation: 0, weight: 50000 },
          { variation: variationCount - 1, weight: 50000 },
        ],
      };
    } else {
      rule.variation = rng.int(0, variationCount - 1);
    }
    return rule;
  });
}

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

export function buildFlagStatus(rng: Rng, flag: FlagModel, environment: FlagEnvironmentModel): FlagStatusModel {
  const servedValue = (): JsonValue =>
    flag.variations[environment.on ? (environment.fallthrough.variation ?? 0) : environment.offVariation]?.value ??
    null;
  const roll = rng.next();
  const name = flag.archived
    ? 'inactive'
    : roll < 0.2
      ? 'new'
      : roll < 0.45
        ? 'inactive'
        : roll < 0.8
          ? 'active'
          : 'launched';
  if (name === 'new') return { name, lastRequested: null };
  if (name === 'inactive') {
    if (rng.bool(0.4)) return { name, lastRequested: null };
    const status: FlagStatusModel = {
      name,
      lastRequested: isoAt(BASE_TIME - rng.int(8, 200) * DAY_MS - rng.int(0, DAY_MS)),
    };
    if (rng.bool(0.7)) status.default = servedValue();
    return status;
  }
  const status: FlagStatusModel = { name, lastRequested: isoAt(BASE_TIME - rng.int(0, 6 * DAY_MS)) };
  if (rng.bool(0.75)) status.default = servedValue();
  return status;
}

export function buildFlagEnvironment(
  rng: Rng,
  flag: FlagModel,
  environment: EnvironmentModel,
  prerequisiteCandidates: string[],
): FlagEnvironmentModel {
  const variationCount = flag.variations.length;
  const config: FlagEnvironmentModel = {
    on: !flag.archived && rng.bool(environment.critical ? 0.5 : 0.7),
    lastModified: flag.creationDate + rng.int(0, Math.max(0, BASE_TIME - flag.creationDate)),
    version: rng.int(1, 12),
    trackEvents: rng.bool(0.1),
    trackEventsFallthrough: rng.bool(0.05),
    offVariation: flag.defaults.offVariation,
    fallthrough: rng.bool(0.2)
      ? {
          rollout: {
            variations: [
              { variation: 0, weight: 25000 },
              { variation: variationCount - 1, weight: 75000 },
            ],
            bucketBy: 'key',
            contextKind: 'user',
          },
        }
      : { variation: flag.defaults.onVariation },
    targets: rng.bool(0.25) ? buildTargets(rng, 'user', variationCount) : [],
    contextTargets: rng.bool(0.15) ? buildTargets(rng, 'device', variationCount) : [],
    rules: rng.bool(0.3) ? buildRules(rng, variationCount) : [],
    prerequisites:
      prerequisiteCandidates.length > 0 && rng.bool(0.05)
        ? [{ key: rng.pick(prerequisiteCandidates), variation: 0 }]
        : [],
    status: { name: 'new', lastRequested: null },
  };
  config.status = buildFlagStatus(rng, flag, config);
  return config;
}

/** Tags only archived flags carry are hidden from `/tags` by default; keep the generated data clear of that case. */
function keepArchivedTagsShared(account: Account): void {
  const live = new Set<string>();
  for (const project of account.projects) {
    project.tags.forEach((t) => live.add(t));
    project.environments.forEach((e) => e.tags.forEach((t) => live.add(t)));
    project.flags.filter((f) => !f.archived).forEach((f) => f.tags.forEach((t) => live.add(t)));
  }
  for (const project of account.projects) {
    for (const flag of project.flags) if (flag.archived) flag.tags = flag.tags.filter((t) => live.has(t));
  }
}
