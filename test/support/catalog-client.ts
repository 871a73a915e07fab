// A LaunchDarkly client with one method per endpoint, built on the stream modules' endpoints and
// readers: what the client tests (and scripts) call, so they exercise the code the sync runs.
import { LaunchDarklyClient, type Page, type PageOptions } from '../../src/launchdarkly';
import { environments, flagStatuses, flags, projects, tags, teamMaintainers, teams } from '../../src/streams';
import type { StreamPage } from '../../src/streams';
import { checkConnection } from '../../src/streams';

type Flag = flags.Flag;

async function* asPages<T>(pages: AsyncIterable<StreamPage<T>>): AsyncIterable<Page<T>> {
  for await (const page of pages) yield { items: page.items, next: page.next };
}

export class CatalogClient extends LaunchDarklyClient {
  projects(o: PageOptions = {}) {
    return this.list(projects.projectsEndpoint(), o);
  }

  environments(projectKey: string, o: PageOptions = {}) {
    return this.list(environments.environmentsEndpoint(projectKey), o);
  }

  tags(o: PageOptions = {}) {
    return this.list(tags.tagsEndpoint(), o);
  }

  teams(o: PageOptions = {}) {
    return this.list(teams.teamsEndpoint(), o);
  }

  teamMaintainers(teamKey: string, o: PageOptions = {}) {
    return this.list(teamMaintainers.teamMaintainersEndpoint(teamKey), o);
  }

  flagPasses(environmentKeys: string[]): flags.FlagPass[] {
    return flags.flagPasses(environmentKeys);
  }

  flags(projectKey: string, pass: flags.FlagPass, o: PageOptions = {}) {
    return this.list(flags.flagsEndpoint(projectKey, pass, flags.FLAGS_PAGE_SIZE[this.apiVersion]), o);
  }

  /** Every flag of a project (live and archived) with the state of every given environment, merged per flag key. */
  async allFlags(projectKey: string, environmentKeys: string[], o: { signal?: AbortSignal } = {}): Promise<Flag[]> {
    const byKey = new Map<string, Flag>();
    for (const pass of flags.flagPasses(environmentKeys)) {
      for await (const page of this.flags(projectKey, pass, o)) {
        for (const flag of page.items) {
          const known = byKey.get(flag.key);
          if (known) Object.assign(known.environments, flag.environments);
          else byKey.set(flag.key, flag);
        }
      }
    }
    return [...byKey.values()];
  }

  /** The flag-statuses stream's reader; `mode: 'per-flag'` reads flag by flag from the start. */
  flagStatuses(
    projectKey: string,
    environmentKey: string,
    o: PageOptions & { mode?: 'list' | 'per-flag'; flagKeys?: string[] } = {},
  ): AsyncIterable<Page<flagStatuses.FlagStatus>> {
    const params = { projectKey, environmentKey };
    const signal = o.signal ?? new AbortController().signal;
    const flagKeys = o.flagKeys ?? [];
    if (o.mode === 'per-flag') {
      return asPages(flagStatuses.perFlagPages(params, flagKeys, o.cursor ?? null, { client: this, signal }));
    }
    return asPages(
      flagStatuses.flagStatusesStream.read(params, o.cursor ?? null, {
        client: this,
        signal,
        liveKeys: async () => flagKeys,
      }),
    );
  }

  validate(o: { signal?: AbortSignal } = {}) {
    return checkConnection(this, o);
  }
}
