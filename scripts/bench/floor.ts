// The physical floor of a full sync, measured in the same run as the sync: a bare fetch loop over
// exactly the pages the sync reads (the client's own first hrefs and page sizes, every page of
// every chain, 8 requests in flight, undici directly, JSON.parse and nothing else), then COPY of
// every row into temp tables (with the same primary keys as the real tables) on one connection.
import pg from 'pg';
import { Pool } from 'undici';
import { CopyBuffer, copyFrom } from './copy';
import { ENVIRONMENTS_PER_FLAG_REQUEST, PAGE_SIZES } from './minimum';

// The first hrefs the client builds (src/launchdarkly endpoints at the time of writing): the same
// page sizes, sorts and parameters, so the floor reads the very pages the sync reads. Kept here, not
// imported, so the bench does not break while the client's modules are being reorganised.
const enc = encodeURIComponent;
const href = (path: string, params: Array<[string, string | number]>) =>
  `${path}?${new URLSearchParams(params.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
const FIRST_HREFS = {
  projects: () =>
    href('/api/v2/projects', [
      ['limit', PAGE_SIZES.projects],
      ['sort', 'createdOn'],
    ]),
  environments: (p: string) =>
    href(`/api/v2/projects/${enc(p)}/environments`, [
      ['limit', PAGE_SIZES.environments],
      ['sort', 'createdOn'],
    ]),
  tags: () => href('/api/v2/tags', [['limit', PAGE_SIZES.tags]]),
  teams: () => href('/api/v2/teams', [['limit', PAGE_SIZES.teams]]),
  teamMaintainers: (t: string) => href(`/api/v2/teams/${enc(t)}/maintainers`, [['limit', PAGE_SIZES.teamMaintainers]]),
  flags: (p: string, envs: string[], archived: boolean) =>
    href(`/api/v2/flags/${enc(p)}`, [
      ['limit', PAGE_SIZES.flags],
      ['sort', 'creationDate'],
      ...envs.map((e): [string, string] => ['env', e]),
      ...(archived ? [['filter', 'state:archived'] as [string, string]] : []),
    ]),
  flagStatuses: (p: string, e: string) => `/api/v2/flag-statuses/${enc(p)}/${enc(e)}`,
};

/** The flag key of a flag-status item, from its links (as the client's schema takes it). */
function flagKeyOf(links: { parent?: { href: string }; self?: { href: string } } | undefined): string | undefined {
  const key =
    links?.parent?.href.match(/\/api\/v2\/flags\/[^/?]+\/([^/?]+)/)?.[1] ??
    links?.self?.href.match(/\/api\/v2\/flag-statuses\/[^/?]+\/[^/?]+\/([^/?]+)/)?.[1];
  return key === undefined ? undefined : decodeURIComponent(key);
}

export const FLOOR_CONCURRENCY = 8;

type Json = Record<string, unknown>;
interface Collection {
  items: unknown[];
  totalCount?: number;
  _links?: { next?: { href: string } | null } | null;
}

const TABLES = {
  projects: 'project_key text PRIMARY KEY, name text, raw jsonb',
  environments:
    'project_key text, environment_key text, name text, raw jsonb, PRIMARY KEY (project_key, environment_key)',
  flags:
    'project_key text, flag_key text, name text, kind text, temporary boolean, archived boolean, created_at bigint, raw jsonb, PRIMARY KEY (project_key, flag_key)',
  flag_environments:
    'project_key text, flag_key text, environment_key text, "on" boolean, archived boolean, last_modified bigint, version integer, raw jsonb, PRIMARY KEY (project_key, flag_key, environment_key)',
  flag_statuses:
    'project_key text, environment_key text, flag_key text, status text, last_requested text, raw jsonb, PRIMARY KEY (project_key, environment_key, flag_key)',
  tags: 'tag text PRIMARY KEY',
  teams: 'team_key text PRIMARY KEY, name text, raw jsonb',
  team_maintainers: 'team_key text, member_id text, email text, raw jsonb, PRIMARY KEY (team_key, member_id)',
} as const;
type Table = keyof typeof TABLES;

export interface FetchFloor {
  ms: number;
  requests: number;
  bytes: number;
  non200: number;
  byEndpoint: Record<string, number>;
  rows: Partial<Record<Table, number>>;
  /** the rows, ready for COPY */
  buffers: Partial<Record<Table, CopyBuffer>>;
}

export interface CopyFloor {
  ms: number;
  rows: number;
  bytes: number;
}

/** A pool of async tasks that may add tasks, with at most `limit` running. */
class TaskQueue {
  private readonly queue: Array<() => Promise<void>> = [];
  private running = 0;
  private failed: unknown = null;
  private resolveIdle!: () => void;
  private readonly idle = new Promise<void>((resolve) => (this.resolveIdle = resolve));

  constructor(private readonly limit: number) {}

  push(task: () => Promise<void>): void {
    this.queue.push(task);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.limit && this.queue.length > 0) {
      const task = this.queue.shift() as () => Promise<void>;
      this.running += 1;
      task()
        .catch((err: unknown) => (this.failed ??= err))
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (this.running === 0 && this.queue.length === 0) this.resolveIdle();
        });
    }
  }

  async done(): Promise<void> {
    await this.idle;
    if (this.failed !== null) throw this.failed;
  }
}

export class FloorClient {
  readonly pool: Pool;
  requests = 0;
  bytes = 0;
  non200 = 0;
  /** requests resent after a reset connection */
  resent = 0;
  readonly byEndpoint: Record<string, number> = {};
  private readonly headers: Record<string, string>;

  constructor(
    private readonly baseUrl: string,
    token: string,
    connections = FLOOR_CONCURRENCY,
  ) {
    this.pool = new Pool(baseUrl, { connections });
    this.headers = { authorization: token, 'ld-api-version': '20240415', accept: 'application/json' };
  }

  async get(href: string, endpoint: string): Promise<{ status: number; body: unknown }> {
    this.requests += 1;
    this.byEndpoint[endpoint] = (this.byEndpoint[endpoint] ?? 0) + 1;
    let text: string;
    let res: Awaited<ReturnType<Pool['request']>>;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await this.pool.request({ method: 'GET', path: href, headers: this.headers });
        text = await res.body.text();
        break;
      } catch (err) {
        // As the client does: a keep-alive socket the server closed as it was reused is resent.
        if (attempt >= 3) throw err;
        this.resent += 1;
      }
    }
    this.bytes += text.length;
    if (res.statusCode !== 200) this.non200 += 1;
    return { status: res.statusCode, body: res.statusCode === 200 ? JSON.parse(text) : null };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function withOffset(href: string, offset: number): string {
  const url = new URL(href, 'http://x.invalid');
  url.searchParams.set('offset', String(offset));
  return url.pathname + url.search;
}

/** Fetches every page the sync reads, 8 at a time, and turns every item into COPY rows. */
export async function fetchFloor(baseUrl: string, token: string): Promise<FetchFloor> {
  const client = new FloorClient(baseUrl, token);
  const queue = new TaskQueue(FLOOR_CONCURRENCY);
  const buffers = Object.fromEntries(Object.keys(TABLES).map((t) => [t, new CopyBuffer()])) as Record<
    Table,
    CopyBuffer
  >;

  /** Reads a chain: its first page, then every other page at once by offset (or by `next` links). */
  const chain = (firstHref: string, endpoint: string, onItems: (items: unknown[]) => void): void => {
    const one = async (href: string, first: boolean): Promise<void> => {
      const { status, body } = await client.get(href, endpoint);
      if (status !== 200) throw new Error(`floor: ${href} answered ${status}`);
      const page = body as Collection;
      onItems(page.items);
      const next = page._links?.next?.href;
      if (!next) return;
      if (!first) {
        if (page.totalCount === undefined) queue.push(() => one(next, false));
        return;
      }
      const limit = page.items.length;
      if (page.totalCount === undefined || limit === 0) {
        queue.push(() => one(next, false));
        return;
      }
      for (let offset = limit; offset < page.totalCount; offset += limit) {
        const href2 = withOffset(next, offset);
        queue.push(() => one(href2, false));
      }
    };
    queue.push(() => one(firstHref, true));
  };

  const started = performance.now();
  chain(FIRST_HREFS.projects(), 'projects', (items) => {
    for (const raw of items as Json[]) {
      const projectKey = raw.key as string;
      buffers.projects.add([projectKey, raw.name, raw]);
      const envKeys: string[] = [];
      let envPagesLeft = true;
      chain(FIRST_HREFS.environments(projectKey), 'environments', (envs) => {
        for (const e of envs as Json[]) {
          envKeys.push(e.key as string);
          buffers.environments.add([projectKey, e.key, e.name, e]);
        }
        // Projects have fewer than 100 environments here: one page, then the flags and statuses.
        if (!envPagesLeft) return;
        envPagesLeft = false;
        for (let i = 0; i < Math.max(1, envKeys.length); i += ENVIRONMENTS_PER_FLAG_REQUEST) {
          const batch = envKeys.slice(i, i + ENVIRONMENTS_PER_FLAG_REQUEST);
          const firstBatch = i === 0;
          for (const archived of [false, true]) {
            chain(FIRST_HREFS.flags(projectKey, batch, archived), 'flags', (flags) => {
              for (const f of flags as Json[]) {
                const { environments, ...rest } = f as Json & { environments?: Record<string, Json> };
                // Every environment batch lists every flag again: its row once, from the first batch.
                if (firstBatch)
                  buffers.flags.add([projectKey, f.key, f.name, f.kind, f.temporary, f.archived, f.creationDate, rest]);
                for (const [envKey, env] of Object.entries(environments ?? {})) {
                  if (!batch.includes(envKey)) continue;
                  buffers.flag_environments.add([
                    projectKey,
                    f.key,
                    envKey,
                    env.on,
                    env.archived,
                    env.lastModified,
                    env.version,
                    env,
                  ]);
                }
              }
            });
          }
        }
        for (const envKey of envKeys) {
          chain(FIRST_HREFS.flagStatuses(projectKey, envKey), 'flagStatuses', (statuses) => {
            for (const s of statuses as Json[]) {
              const flagKey = flagKeyOf(s._links as Parameters<typeof flagKeyOf>[0]);
              buffers.flag_statuses.add([projectKey, envKey, flagKey, s.name, s.lastRequested, s]);
            }
          });
        }
      });
    }
  });
  chain(FIRST_HREFS.tags(), 'tags', (items) => {
    for (const tag of items) buffers.tags.add([tag]);
  });
  chain(FIRST_HREFS.teams(), 'teams', (items) => {
    for (const t of items as Json[]) {
      const teamKey = t.key as string;
      buffers.teams.add([teamKey, t.name, t]);
      chain(FIRST_HREFS.teamMaintainers(teamKey), 'teamMaintainers', (ms) => {
        for (const m of ms as Json[]) buffers.team_maintainers.add([teamKey, m._id, m.email, m]);
      });
    }
  });
  try {
    await queue.done();
  } finally {
    await client.close();
  }
  const ms = performance.now() - started;
  for (const b of Object.values(buffers)) b.flush();
  const rows = Object.fromEntries(Object.entries(buffers).map(([t, b]) => [t, b.rows])) as Record<Table, number>;
  return {
    ms,
    requests: client.requests,
    bytes: client.bytes,
    non200: client.non200,
    byEndpoint: client.byEndpoint,
    rows,
    buffers,
  };
}

/** COPY of every row the fetch floor read into temp tables, one connection, one COPY per table. */
export async function copyFloor(databaseUrl: string, fetched: FetchFloor): Promise<CopyFloor> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const [table, columns] of Object.entries(TABLES)) {
      await client.query(`DROP TABLE IF EXISTS pg_temp.floor_${table}`);
      await client.query(`CREATE TEMP TABLE floor_${table} (${columns})`);
    }
    const started = performance.now();
    let rows = 0;
    let bytes = 0;
    for (const table of Object.keys(TABLES) as Table[]) {
      const buffer = fetched.buffers[table];
      if (!buffer || buffer.rows === 0) continue;
      rows += await copyFrom(client, `COPY floor_${table} FROM STDIN`, buffer.chunks);
      bytes += buffer.bytes;
    }
    return { ms: performance.now() - started, rows, bytes };
  } finally {
    await client.end();
  }
}

/**
 * GETs every href with the floor's client (8 in flight) and times it: the DX approach's per-flag
 * statuses (/api/v2/flag-statuses/{p}/{e}/{f}) on a sample, and the status lists the sync reads.
 */
export async function fetchHrefs(
  baseUrl: string,
  token: string,
  hrefs: string[],
): Promise<{ ms: number; requests: number; non200: number; bytes: number }> {
  const client = new FloorClient(baseUrl, token);
  const queue = new TaskQueue(FLOOR_CONCURRENCY);
  const started = performance.now();
  for (const href of hrefs) {
    queue.push(async () => {
      await client.get(href, 'sample');
    });
  }
  if (hrefs.length === 0) queue.push(async () => undefined);
  try {
    await queue.done();
  } finally {
    await client.close();
  }
  return { ms: performance.now() - started, requests: client.requests, non200: client.non200, bytes: client.bytes };
}
