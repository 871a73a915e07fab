// What a route handler sees: the account, the current knobs, the negotiated API version and the
// parsed request. Handlers return a JSON body for a 200 or throw an ApiError.
import { notFound } from './errors';
import {
  type Account,
  type EnvironmentModel,
  type FlagModel,
  type ProjectModel,
  type TeamModel,
  findEnvironment,
  findFlag,
  findProject,
  findTeam,
} from './model';
import { type ApiVersion, type PagedCollection, type ResolvedOptions } from './options';
import { type PagingRules } from './paging';

export interface RequestContext {
  account: Account;
  options: ResolvedOptions;
  apiVersion: ApiVersion;
  /** Decoded path parameters, by the names in the route template. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The request path without a trailing slash: links are built from it. */
  path: string;
}

export type Handler = (context: RequestContext) => unknown;

export function pagingRules(context: RequestContext, collection: PagedCollection): PagingRules {
  return {
    defaultLimit: context.options.defaultLimits[collection],
    maxLimit: context.options.maxLimits[collection],
    overLimit: context.options.overLimit,
  };
}

function param(context: RequestContext, name: string): string {
  const value = context.params[name];
  if (value === undefined) throw new Error(`route has no {${name}} parameter`);
  return value;
}

export function requireProject(context: RequestContext): ProjectModel {
  return findProject(context.account, param(context, 'projectKey')) ?? throwNotFound();
}

export function requireEnvironment(context: RequestContext, project: ProjectModel): EnvironmentModel {
  return findEnvironment(project, param(context, 'environmentKey')) ?? throwNotFound();
}

export function requireFlag(context: RequestContext, project: ProjectModel): FlagModel {
  return findFlag(project, param(context, 'featureFlagKey')) ?? throwNotFound();
}

export function requireTeam(context: RequestContext): TeamModel {
  return findTeam(context.account, param(context, 'teamKey')) ?? throwNotFound();
}

function throwNotFound(): never {
  throw notFound();
}
