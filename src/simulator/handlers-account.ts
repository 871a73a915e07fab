// Account-wide collections: tags, teams with their maintainers, and members (API.md §4.3-§4.5).
import { type RequestContext, pagingRules, requireTeam } from './context';
import { ApiError, invalidRequest } from './errors';
import { type Account, type MemberModel, type TeamModel } from './model';
import { collectionLinks, link, pageOf, parsePaging } from './paging';
import { containsIgnoringCase, parseBoolean, parseExpand, parseFilter } from './query';
import { hrefs, renderMember, renderMemberSummary, renderTeam } from './representations';

const TAG_KINDS = ['flag', 'project', 'environment', 'segment', 'metric', 'metric-data-source', 'aiconfig', 'view'];

/** The distinct tags `/tags` lists, sorted; tags only archived flags carry need `archived=true`. */
export function accountTags(account: Account, kinds?: ReadonlySet<string>, includeArchived = false): string[] {
  const wants = (kind: string): boolean => kinds === undefined || kinds.size === 0 || kinds.has(kind);
  const tags = new Set<string>();
  for (const project of account.projects) {
    if (wants('project')) project.tags.forEach((t) => tags.add(t));
    if (wants('environment')) project.environments.forEach((e) => e.tags.forEach((t) => tags.add(t)));
    if (wants('flag')) {
      for (const flag of project.flags) if (includeArchived || !flag.archived) flag.tags.forEach((t) => tags.add(t));
    }
  }
  return [...tags].sort();
}

export function listTags(context: RequestContext): unknown {
  const { query } = context;
  const kinds = new Set(query.getAll('kind').flatMap((k) => k.split(',')));
  for (const kind of kinds) if (!TAG_KINDS.includes(kind)) throw invalidRequest(`invalid kind "${kind}"`);
  const prefix = query.get('pre') ?? '';
  const all = accountTags(context.account, kinds, parseBoolean(query, 'archived') ?? false).filter((t) =>
    t.startsWith(prefix),
  );
  const page = parsePaging(query, pagingRules(context, 'tags'));
  return {
    items: pageOf(all, page),
    _links: collectionLinks(context.path, query, page, all.length),
    totalCount: all.length,
  };
}

/** An account whose plan lacks Teams answers every teams endpoint with the configured status. */
function requireTeamsEntitlement(context: RequestContext): void {
  const entitlement = context.options.teamsEntitlement;
  if (entitlement !== 'entitled') throw new ApiError(entitlement);
}

function maintainersCollection(
  context: RequestContext,
  team: TeamModel,
  path: string,
  query: URLSearchParams,
): Record<string, unknown> {
  const members = team.maintainerIds
    .map((id) => context.account.members.find((m) => m._id === id))
    .filter((m): m is MemberModel => m !== undefined);
  const page = parsePaging(query, pagingRules(context, 'teamMaintainers'));
  return {
    totalCount: members.length,
    items: pageOf(members, page).map(renderMemberSummary),
    _links: collectionLinks(path, query, page, members.length),
  };
}

function expandedTeam(context: RequestContext, team: TeamModel, expand: Set<string>): Record<string, unknown> {
  const body = renderTeam(team);
  if (expand.has('members')) body.members = { totalCount: team.memberIds.length };
  if (expand.has('maintainers')) {
    body.maintainers = maintainersCollection(context, team, hrefs.teamMaintainers(team.key), new URLSearchParams());
  }
  if (expand.has('roles')) {
    body.roles = { totalCount: 0, items: [], _links: { self: link(`${hrefs.team(team.key)}/roles?limit=25`) } };
  }
  if (expand.has('projects')) body.projects = { totalCount: 0, items: [] };
  if (expand.has('roleAttributes')) body.roleAttributes = {};
  return body;
}

export function listTeams(context: RequestContext): unknown {
  requireTeamsEntitlement(context);
  const { query } = context;
  const expand = parseExpand(query);
  if (context.apiVersion === '20240415' && (expand.has('roles') || expand.has('projects'))) {
    throw invalidRequest('expand roles and projects are not supported on the teams list; use the get team endpoint');
  }
  const filter = parseFilter(query.get('filter'), ['query', 'nomembers']);
  const text = filter.get('query');
  const noMembers = filter.get('nomembers');
  const matching = context.account.teams.filter(
    (t) =>
      (text === undefined || containsIgnoringCase(t.key, text) || containsIgnoringCase(t.name, text)) &&
      (noMembers !== 'true' || t.memberIds.length === 0),
  );
  const page = parsePaging(query, pagingRules(context, 'teams'));
  return {
    items: pageOf(matching, page).map((t) => expandedTeam(context, t, expand)),
    _links: collectionLinks(context.path, query, page, matching.length),
    totalCount: matching.length,
  };
}

export function getTeam(context: RequestContext): unknown {
  requireTeamsEntitlement(context);
  return expandedTeam(context, requireTeam(context), parseExpand(context.query));
}

export function listTeamMaintainers(context: RequestContext): unknown {
  requireTeamsEntitlement(context);
  return maintainersCollection(context, requireTeam(context), context.path, context.query);
}

export function listMembers(context: RequestContext): unknown {
  const { query, account } = context;
  const filter = parseFilter(query.get('filter'), ['query', 'role', 'team', 'lastSeen', 'accessCheck', 'noteam']);
  const text = filter.get('query');
  const teamKey = filter.get('team')?.toLowerCase();
  const team = teamKey === undefined ? undefined : account.teams.find((t) => t.key.toLowerCase() === teamKey);
  const roles = filter.get('role')?.split('|');
  const matching = account.members.filter(
    (m) =>
      (text === undefined ||
        containsIgnoringCase(m.email, text) ||
        containsIgnoringCase(`${m.firstName} ${m.lastName}`, text)) &&
      (teamKey === undefined || (team !== undefined && team.memberIds.includes(m._id))) &&
      (roles === undefined || roles.includes(m.role)),
  );
  const page = parsePaging(query, pagingRules(context, 'members'));
  return {
    items: pageOf(matching, page).map((m) => renderMember(account, m)),
    _links: collectionLinks(context.path, query, page, matching.length),
    totalCount: matching.length,
  };
}
