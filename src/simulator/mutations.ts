// Changes to the simulated account between (or during) syncs. Every mutation advances a logical
// clock from the account's fixed base time, so timestamps stay deterministic, and draws from its
// own derived PRNG stream, so a scripted sequence of mutations is reproducible for a seed.
import {
  BASE_TIME,
  buildEnvironment,
  buildFlag,
  buildFlagEnvironment,
  buildMember,
  buildProject,
  buildTeam,
  type GeneratorSizes,
} from './generator';
import {
  type Account,
  type EnvironmentModel,
  type FlagModel,
  type FlagStatusName,
  type MemberModel,
  type ProjectModel,
  type TeamModel,
  FLAG_STATUS_NAMES,
  findEnvironment,
  findFlag,
  findProject,
  findTeam,
} from './model';
import { Rng } from './prng';

export type FlagOverrides = Partial<Omit<FlagModel, 'environments'>>;
export type FlagPatch = Partial<
  Pick<
    FlagModel,
    | 'name'
    | 'description'
    | 'tags'
    | 'temporary'
    | 'deprecated'
    | 'maintainerId'
    | 'maintainerTeamKey'
    | 'variations'
    | 'customProperties'
    | 'clientSideAvailability'
    | 'includeInSnippet'
  >
>;
export type ProjectOverrides = Partial<Omit<ProjectModel, 'environments' | 'flags'>> & {
  /** Environments and flags of the new project; default to the account's generation sizes. */
  environmentCount?: number;
  flagCount?: number;
};
export type EnvironmentOverrides = Partial<EnvironmentModel>;
export type TeamOverrides = Partial<TeamModel>;
export type MemberOverrides = Partial<MemberModel>;

export interface Mutations {
  addFlag(projectKey: string, overrides?: FlagOverrides): FlagModel;
  updateFlag(projectKey: string, flagKey: string, patch: FlagPatch): FlagModel;
  archiveFlag(projectKey: string, flagKey: string): void;
  unarchiveFlag(projectKey: string, flagKey: string): void;
  deleteFlag(projectKey: string, flagKey: string): void;
  setFlagOn(projectKey: string, flagKey: string, environmentKey: string, on: boolean): void;
  setFlagStatus(
    projectKey: string,
    environmentKey: string,
    flagKey: string,
    name: FlagStatusName,
    lastRequested?: string | null,
  ): void;
  addProject(overrides?: ProjectOverrides): ProjectModel;
  removeProject(projectKey: string): void;
  addEnvironment(projectKey: string, overrides?: EnvironmentOverrides): EnvironmentModel;
  removeEnvironment(projectKey: string, environmentKey: string): void;
  addTeam(overrides?: TeamOverrides): TeamModel;
  removeTeam(teamKey: string): void;
  /** Makes an existing member (by `_id`) or a new one (from overrides) a maintainer of the team. */
  addMaintainer(teamKey: string, member?: string | MemberOverrides): MemberModel;
  removeMaintainer(teamKey: string, memberId: string): void;
}

export class MutationError extends Error {
  override name = 'MutationError';
}

const MINUTE_MS = 60_000;

/** A flag created just now: live, version 1, never evaluated anywhere (status `new`). */
function makeFresh(flag: FlagModel, at: number): void {
  flag.creationDate = at;
  flag.version = 1;
  flag.archived = false;
  flag.deprecated = false;
  delete flag.archivedDate;
  delete flag.deprecatedDate;
  for (const config of Object.values(flag.environments)) {
    config.lastModified = at;
    config.version = 1;
    config.status = { name: 'new', lastRequested: null };
  }
}

export function createMutations(account: Account, sizes: GeneratorSizes): Mutations {
  let tick = 0;
  let nextProjectIndex = account.projects.length;
  let nextTeamIndex = account.teams.length;
  let nextMemberIndex = account.members.length;
  const nextFlagIndex = new Map<string, number>();

  const now = (): number => BASE_TIME + ++tick * MINUTE_MS;
  const rngFor = (...parts: Array<string | number>): Rng => Rng.derive(account.seed, 'mutation', tick, ...parts);

  const project = (projectKey: string): ProjectModel => {
    const found = findProject(account, projectKey);
    if (found === undefined) throw new MutationError(`no project ${projectKey}`);
    return found;
  };
  const flag = (projectKey: string, flagKey: string): FlagModel => {
    const found = findFlag(project(projectKey), flagKey);
    if (found === undefined) throw new MutationError(`no flag ${flagKey} in project ${projectKey}`);
    return found;
  };
  const environment = (p: ProjectModel, environmentKey: string): EnvironmentModel => {
    const found = findEnvironment(p, environmentKey);
    if (found === undefined) throw new MutationError(`no environment ${environmentKey} in project ${p.key}`);
    return found;
  };
  const team = (teamKey: string): TeamModel => {
    const found = findTeam(account, teamKey);
    if (found === undefined) throw new MutationError(`no team ${teamKey}`);
    return found;
  };
  const touchTeam = (t: TeamModel, at: number): void => {
    t.version += 1;
    t.lastModified = at;
  };

  return {
    addFlag(projectKey, overrides = {}) {
      const p = project(projectKey);
      const at = now();
      let index = nextFlagIndex.get(p.key) ?? p.flags.length;
      let created: FlagModel;
      do {
        created = buildFlag(rngFor('flag', p.key, index), account, p, index);
        index += 1;
      } while (overrides.key === undefined && findFlag(p, created.key) !== undefined);
      nextFlagIndex.set(p.key, index);
      makeFresh(created, at);
      Object.assign(created, overrides);
      if (findFlag(p, created.key) !== undefined) throw new MutationError(`flag ${created.key} already exists`);
      if (overrides.archived === true && created.archivedDate === undefined)
        created.archivedDate = BASE_TIME + tick * MINUTE_MS;
      p.flags.push(created);
      return created;
    },

    updateFlag(projectKey, flagKey, patch) {
      const f = flag(projectKey, flagKey);
      const at = now();
      if (patch.maintainerId !== undefined && patch.maintainerTeamKey === undefined) delete f.maintainerTeamKey;
      if (patch.maintainerTeamKey !== undefined && patch.maintainerId === undefined) delete f.maintainerId;
      if (patch.deprecated === true && !f.deprecated) f.deprecatedDate = at;
      if (patch.deprecated === false) delete f.deprecatedDate;
      Object.assign(f, patch);
      f.version += 1;
      return f;
    },

    archiveFlag(projectKey, flagKey) {
      const f = flag(projectKey, flagKey);
      f.archived = true;
      f.archivedDate = now();
      f.version += 1;
    },

    unarchiveFlag(projectKey, flagKey) {
      const f = flag(projectKey, flagKey);
      now();
      f.archived = false;
      delete f.archivedDate;
      f.version += 1;
    },

    deleteFlag(projectKey, flagKey) {
      const p = project(projectKey);
      flag(projectKey, flagKey);
      now();
      p.flags = p.flags.filter((f) => f.key !== flagKey);
    },

    setFlagOn(projectKey, flagKey, environmentKey, on) {
      const f = flag(projectKey, flagKey);
      environment(project(projectKey), environmentKey);
      const config = f.environments[environmentKey];
      if (config === undefined) throw new MutationError(`flag ${flagKey} has no config in ${environmentKey}`);
      const at = now();
      config.on = on;
      config.version += 1;
      config.lastModified = at;
      f.version += 1;
    },

    setFlagStatus(projectKey, environmentKey, flagKey, name, lastRequested) {
      if (!FLAG_STATUS_NAMES.includes(name)) throw new MutationError(`unknown flag status ${String(name)}`);
      const f = flag(projectKey, flagKey);
      environment(project(projectKey), environmentKey);
      const config = f.environments[environmentKey];
      if (config === undefined) throw new MutationError(`flag ${flagKey} has no config in ${environmentKey}`);
      const at = now();
      const status = config.status;
      status.name = name;
      if (lastRequested !== undefined) status.lastRequested = lastRequested;
      else if (name === 'new') status.lastRequested = null;
      else if (name === 'active' || name === 'launched') status.lastRequested = new Date(at).toISOString();
      if (status.lastRequested === null) delete status.default;
    },

    addProject(overrides = {}) {
      const { environmentCount, flagCount, ...fields } = overrides;
      now();
      let created: ProjectModel;
      do {
        created = buildProject(
          rngFor('project', nextProjectIndex),
          { ...account, seed: account.seed + tick },
          nextProjectIndex,
          environmentCount ?? sizes.environments,
          flagCount ?? sizes.flags,
        );
        nextProjectIndex += 1;
      } while (fields.key === undefined && findProject(account, created.key) !== undefined);
      Object.assign(created, fields);
      if (findProject(account, created.key) !== undefined)
        throw new MutationError(`project ${created.key} already exists`);
      account.projects.push(created);
      return created;
    },

    removeProject(projectKey) {
      project(projectKey);
      now();
      account.projects = account.projects.filter((p) => p.key !== projectKey);
    },

    addEnvironment(projectKey, overrides = {}) {
      const p = project(projectKey);
      now();
      let index = p.environments.length;
      let created: EnvironmentModel;
      do {
        created = buildEnvironment(rngFor('environment', p.key, index), p, index);
        index += 1;
      } while (overrides.key === undefined && findEnvironment(p, created.key) !== undefined);
      Object.assign(created, overrides);
      if (findEnvironment(p, created.key) !== undefined) {
        throw new MutationError(`environment ${created.key} already exists in project ${p.key}`);
      }
      p.environments.push(created);
      const rng = rngFor('environment-flags', p.key, created.key);
      for (const f of p.flags) f.environments[created.key] = buildFlagEnvironment(rng, f, created, []);
      return created;
    },

    removeEnvironment(projectKey, environmentKey) {
      const p = project(projectKey);
      environment(p, environmentKey);
      now();
      p.environments = p.environments.filter((e) => e.key !== environmentKey);
      for (const f of p.flags) delete f.environments[environmentKey];
    },

    addTeam(overrides = {}) {
      now();
      let created: TeamModel;
      do {
        created = buildTeam(rngFor('team', nextTeamIndex), account, nextTeamIndex, sizes.membersPerTeam);
        nextTeamIndex += 1;
      } while (overrides.key === undefined && findTeam(account, created.key) !== undefined);
      Object.assign(created, overrides);
      if (findTeam(account, created.key) !== undefined) throw new MutationError(`team ${created.key} already exists`);
      account.teams.push(created);
      return created;
    },

    removeTeam(teamKey) {
      team(teamKey);
      now();
      account.teams = account.teams.filter((t) => t.key !== teamKey);
      // A deleted team no longer maintains anything (the flags keep existing, unmaintained).
      for (const p of account.projects) {
        for (const f of p.flags) {
          if (f.maintainerTeamKey === teamKey) {
            delete f.maintainerTeamKey;
            f.version += 1;
          }
        }
      }
    },

    addMaintainer(teamKey, member) {
      const t = team(teamKey);
      const at = now();
      let chosen: MemberModel;
      if (typeof member === 'string') {
        const found = account.members.find((m) => m._id === member);
        if (found === undefined) throw new MutationError(`no member ${member}`);
        chosen = found;
      } else {
        chosen = { ...buildMember(rngFor('member', nextMemberIndex), nextMemberIndex), ...member };
        nextMemberIndex += 1;
        if (account.members.some((m) => m._id === chosen._id)) throw new MutationError(`member ${chosen._id} exists`);
        account.members.push(chosen);
      }
      if (t.maintainerIds.includes(chosen._id)) throw new MutationError(`${chosen._id} already maintains ${teamKey}`);
      t.maintainerIds.push(chosen._id);
      if (!t.memberIds.includes(chosen._id)) t.memberIds.push(chosen._id);
      touchTeam(t, at);
      return chosen;
    },

    removeMaintainer(teamKey, memberId) {
      const t = team(teamKey);
      if (!t.maintainerIds.includes(memberId)) throw new MutationError(`${memberId} does not maintain ${teamKey}`);
      touchTeam(t, now());
      t.maintainerIds = t.maintainerIds.filter((id) => id !== memberId);
    },
  };
}
