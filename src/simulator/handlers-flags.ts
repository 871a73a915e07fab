// Flags and flag statuses (API.md §4.6-§4.8): env-filtered per-environment configs, summary
// mode, archived handling, filters and sorts, and the key-less flag-statuses list.
import { type RequestContext, pagingRules, requireEnvironment, requireFlag, requireProject } from './context';
import { invalidRequest } from './errors';
import { type EnvironmentModel, type FlagModel, type ProjectModel } from './model';
import { collectionLinks, link, pageOf, parsePaging } from './paging';
import { containsIgnoringCase, parseBoolean, parseFilter, parseSort, sorted } from './query';
import { renderFlag, renderFlagStatus, renderFlagStatusAcrossEnvironments } from './representations';

const FLAG_FILTER_FIELDS = [
  'applicationEvaluated',
  'archived',
  'codeReferences.max',
  'codeReferences.min',
  'contextKindsEvaluated',
  'creationDate',
  'evaluated',
  'filterEnv',
  'guardedRollout',
  'hasExperiment',
  'maintainerId',
  'maintainerTeamKey',
  'query',
  'releasePipeline',
  'sdkAvailability',
  'state',
  'tags',
  'type',
] as const;

const STATES = ['live', 'deprecated', 'archived'] as const;

/** The environments named by repeated `env` params, in the project's order (unknown keys are ignored). */
function requestedEnvironments(project: ProjectModel, query: URLSearchParams): EnvironmentModel[] | undefined {
  const keys = query.getAll('env').flatMap((value) => value.split(','));
  if (keys.length === 0) return undefined;
  return project.environments.filter((e) => keys.includes(e.key));
}

function stateOf(flag: FlagModel): (typeof STATES)[number] {
  return flag.archived ? 'archived' : flag.deprecated ? 'deprecated' : 'live';
}

function parseCreationDateBefore(raw: string): number {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed !== null && typeof parsed === 'object' && 'before' in parsed && typeof parsed.before === 'number') {
      return parsed.before;
    }
  } catch {
    // fall through to the error below
  }
  throw invalidRequest('filter creationDate expects {"before": <unix ms>}');
}

/** Which flags the list returns: archived ones only on request (API.md §7.4). */
function flagPredicate(context: RequestContext): (flag: FlagModel) => boolean {
  const { query } = context;
  const filter = parseFilter(query.get('filter'), FLAG_FILTER_FIELDS);
  const checks: Array<(flag: FlagModel) => boolean> = [];

  const state = filter.get('state');
  const archivedFilter = filter.get('archived');
  const archivedParam = parseBoolean(query, 'archived');
  if (state !== undefined) {
    const states = state.split('|');
    for (const s of states) if (!STATES.includes(s as never)) throw invalidRequest(`invalid state "${s}"`);
    checks.push((f) => states.includes(stateOf(f)));
  } else if (archivedFilter !== undefined) {
    if (archivedFilter !== 'true' && archivedFilter !== 'false')
      throw invalidRequest('filter archived must be a boolean');
    checks.push((f) => f.archived === (archivedFilter === 'true'));
  } else if (archivedParam === true) {
    if (context.options.archivedParam === 'only') checks.push((f) => f.archived);
  } else {
    checks.push((f) => !f.archived);
  }

  const text = filter.get('query');
  if (text !== undefined) checks.push((f) => containsIgnoringCase(f.key, text) || containsIgnoringCase(f.name, text));
  const tags = filter.get('tags');
  if (tags !== undefined) {
    const wanted = tags.split('+');
    checks.push((f) => wanted.every((t) => f.tags.includes(t)));
  }
  const tag = query.get('tag');
  if (tag !== null && tag !== '') checks.push((f) => f.tags.includes(tag));
  const type = filter.get('type');
  if (type !== undefined) {
    if (type !== 'temporary' && type !== 'permanent')
      throw invalidRequest('filter type must be temporary or permanent');
    checks.push((f) => f.temporary === (type === 'temporary'));
  }
  const maintainerId = filter.get('maintainerId');
  if (maintainerId !== undefined) checks.push((f) => f.maintainerId === maintainerId);
  const maintainerTeamKey = filter.get('maintainerTeamKey');
  if (maintainerTeamKey !== undefined) checks.push((f) => f.maintainerTeamKey === maintainerTeamKey);
  const creationDate = filter.get('creationDate');
  if (creationDate !== undefined) {
    const before = parseCreationDateBefore(creationDate);
    checks.push((f) => f.creationDate < before);
  }
  const sdk = filter.get('sdkAvailability');
  if (sdk !== undefined) {
    const predicates: Record<string, (f: FlagModel) => boolean> = {
      client: (f) => f.clientSideAvailability.usingEnvironmentId,
      mobile: (f) => f.clientSideAvailability.usingMobileKey,
      anyClient: (f) => f.clientSideAvailability.usingEnvironmentId || f.clientSideAvailability.usingMobileKey,
      server: (f) => !f.clientSideAvailability.usingEnvironmentId && !f.clientSideAvailability.usingMobileKey,
    };
    const predicate = predicates[sdk];
    if (predicate === undefined) throw invalidRequest(`invalid sdkAvailability "${sdk}"`);
    checks.push(predicate);
  }
  // The other documented fields need data the simulator does not model (code references,
  // evaluations, experiments, pipelines): accepted and ignored.
  return (flag) => checks.every((check) => check(flag));
}

function flagComparator(
  query: URLSearchParams,
  environments: EnvironmentModel[] | undefined,
): ((a: FlagModel, b: FlagModel) => number) | undefined {
  const raw = query.get('sort');
  if (raw !== null && raw.replace(/^-/, '') === 'targetingModifiedDate') {
    const first = environments?.[0];
    if (first === undefined) throw invalidRequest('sort targetingModifiedDate requires the env parameter');
    return parseSort<FlagModel>(
      raw,
      { targetingModifiedDate: (f) => f.environments[first.key]?.lastModified },
      { multiple: false },
    );
  }
  if (raw !== null && raw.includes('targetingModifiedDate')) {
    throw invalidRequest('sort targetingModifiedDate cannot be combined with other sorts');
  }
  return parseSort<FlagModel>(
    raw,
    {
      creationDate: (f) => f.creationDate,
      key: (f) => f.key,
      maintainerId: (f) => f.maintainerId,
      name: (f) => f.name,
      tags: (f) => f.tags.join(','),
      type: (f) => (f.temporary ? 'temporary' : 'permanent'),
    },
    { multiple: true },
  );
}

export function listFlags(context: RequestContext): unknown {
  const { query, options, apiVersion } = context;
  const project = requireProject(context);
  const envCount = query.getAll('env').flatMap((value) => value.split(',')).length;
  if (envCount > options.maxEnvFilter) {
    throw invalidRequest(`at most ${options.maxEnvFilter} env values are allowed per request, got ${envCount}`);
  }
  const requested = requestedEnvironments(project, query);
  // 20240415 sends per-environment configs only for the environments asked for; 20220603 sends all.
  const environments = requested ?? (apiVersion === '20220603' ? project.environments : undefined);
  const summary = parseBoolean(query, 'summary') ?? true;
  const page = parsePaging(query, pagingRules(context, apiVersion === '20220603' ? 'flags20220603' : 'flags'));
  const all = sorted(project.flags.filter(flagPredicate(context)), flagComparator(query, environments));
  return {
    _links: collectionLinks(context.path, query, page, all.length, { addIfAbsent: { summary: 'true' } }),
    items: pageOf(all, page).map((flag) =>
      renderFlag(context.account, project, flag, {
        environments: environments ?? 'none',
        summary: true,
        full: !summary,
      }),
    ),
    totalCount: all.length,
  };
}

export function getFlag(context: RequestContext): unknown {
  const project = requireProject(context);
  const flag = requireFlag(context, project);
  return renderFlag(context.account, project, flag, {
    environments: requestedEnvironments(project, context.query) ?? project.environments,
    summary: false,
    full: true,
  });
}

/**
 * Every flag of the project, archived ones included: a status exists for each flag in each
 * environment, and LaunchDarkly documents no archived filter here (API.md §10 leaves it open).
 */
export function listFlagStatuses(context: RequestContext): unknown {
  const project = requireProject(context);
  const environment = requireEnvironment(context, project);
  const render = (flag: FlagModel): unknown => renderFlagStatus(project, environment, flag);
  const pageSize = context.options.flagStatusesPageSize;
  if (pageSize === undefined) {
    return { _links: { self: link(context.path) }, items: project.flags.map(render) };
  }
  const page = parsePaging(context.query, { ...pagingRules(context, 'flagStatuses'), defaultLimit: pageSize });
  return {
    _links: collectionLinks(context.path, context.query, page, project.flags.length),
    items: pageOf(project.flags, page).map(render),
  };
}

export function getFlagStatus(context: RequestContext): unknown {
  const project = requireProject(context);
  const environment = requireEnvironment(context, project);
  return renderFlagStatus(project, environment, requireFlag(context, project));
}

export function getFlagStatusAcrossEnvironments(context: RequestContext): unknown {
  const project = requireProject(context);
  const flag = requireFlag(context, project);
  const environments = requestedEnvironments(project, context.query) ?? project.environments;
  return renderFlagStatusAcrossEnvironments(project, flag, environments);
}
