// Projects and environments (API.md §4.1, §4.2).
import { type RequestContext, pagingRules, requireEnvironment, requireProject } from './context';
import { type EnvironmentModel, type ProjectModel } from './model';
import { collectionLinks, link, pageOf, parsePaging } from './paging';
import { containsIgnoringCase, parseExpand, parseFilter, parseSort, sorted } from './query';
import { hrefs, renderEnvironment, renderProject } from './representations';

function withEnvironments(project: ProjectModel, expand: Set<string>): Record<string, unknown> {
  const body = renderProject(project);
  if (expand.has('environments')) {
    body.environments = {
      _links: { parent: link(hrefs.project(project.key)), self: link(hrefs.environments(project.key)) },
      totalCount: project.environments.length,
      items: project.environments.map((e) => renderEnvironment(project, e)),
    };
  }
  return body;
}

function matchesTags(tags: string[], wanted: string | undefined): boolean {
  if (wanted === undefined) return true;
  return wanted.split('+').every((tag) => tags.includes(tag));
}

export function listProjects(context: RequestContext): unknown {
  const { query } = context;
  const filter = parseFilter(query.get('filter'), ['query', 'tags', 'keys']);
  const text = filter.get('query');
  const keys = filter.get('keys')?.split('|');
  const matching = context.account.projects.filter(
    (p) =>
      (text === undefined || containsIgnoringCase(p.key, text) || containsIgnoringCase(p.name, text)) &&
      matchesTags(p.tags, filter.get('tags')) &&
      (keys === undefined || keys.includes(p.key)),
  );
  const comparator = parseSort<ProjectModel>(
    query.get('sort'),
    { name: (p) => p.name, createdOn: (p) => p.createdOn },
    { multiple: false },
  );
  const page = parsePaging(query, pagingRules(context, 'projects'));
  const expand = parseExpand(query);
  const all = sorted(matching, comparator);
  return {
    _links: collectionLinks(context.path, query, page, all.length),
    items: pageOf(all, page).map((p) => withEnvironments(p, expand)),
    totalCount: all.length,
  };
}

export function getProject(context: RequestContext): unknown {
  return withEnvironments(requireProject(context), parseExpand(context.query));
}

export function listEnvironments(context: RequestContext): unknown {
  const { query } = context;
  const project = requireProject(context);
  const filter = parseFilter(query.get('filter'), ['query', 'tags']);
  const text = filter.get('query');
  const matching = project.environments.filter(
    (e) =>
      (text === undefined || containsIgnoringCase(e.key, text) || containsIgnoringCase(e.name, text)) &&
      matchesTags(e.tags, filter.get('tags')),
  );
  const comparator = parseSort<EnvironmentModel>(
    query.get('sort'),
    { createdOn: (e) => e.createdOn, critical: (e) => e.critical, name: (e) => e.name },
    { multiple: false },
  );
  const page = parsePaging(query, pagingRules(context, 'environments'));
  const all = sorted(matching, comparator);
  return {
    _links: collectionLinks(context.path, query, page, all.length, {
      extra: { parent: link(hrefs.project(project.key)) },
    }),
    totalCount: all.length,
    items: pageOf(all, page).map((e) => renderEnvironment(project, e)),
  };
}

export function getEnvironment(context: RequestContext): unknown {
  const project = requireProject(context);
  return renderEnvironment(project, requireEnvironment(context, project));
}
