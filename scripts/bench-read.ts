// Full-read benchmark of the LaunchDarkly client against the simulator: 20 projects × 5
// environments × 2,000 flags. Prints requests per endpoint beside the least the API allows (largest
// page sizes, 3 environments per flags request, one status list per project+environment), the time,
// and then the same read under a rate limit with its 429 count and share. The limit defaults to half
// the rate the unlimited read reached (so it binds on any machine); `--limit 100` sets it.
//   npx tsx scripts/bench-read.ts [--projects 20] [--environments 5] [--flags 2000] [--concurrency 4]
//                                 [--limit auto|N] [--window-ms 1000]
import { parseArgs } from 'node:util';
import { RateLimiter, closeHttpPools, type Page } from '../src/launchdarkly';
import { type Simulator, startSimulator } from '../src/simulator';
import { CatalogClient } from '../test/support/catalog-client';

const { values } = parseArgs({
  options: {
    projects: { type: 'string', default: '20' },
    environments: { type: 'string', default: '5' },
    flags: { type: 'string', default: '2000' },
    teams: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4' },
    limit: { type: 'string', default: 'auto' },
    'window-ms': { type: 'string', default: '1000' },
  },
});
const num = (name: keyof typeof values) => Number(values[name]);

const ENDPOINTS = {
  projects: '/api/v2/projects',
  environments: '/api/v2/projects/{projectKey}/environments',
  tags: '/api/v2/tags',
  teams: '/api/v2/teams',
  teamMaintainers: '/api/v2/teams/{teamKey}/maintainers',
  flags: '/api/v2/flags/{projectKey}',
  flagStatuses: '/api/v2/flag-statuses/{projectKey}/{environmentKey}',
} as const;
type Endpoint = keyof typeof ENDPOINTS;

async function drain<T>(pages: AsyncIterable<Page<T>>): Promise<number> {
  let n = 0;
  for await (const page of pages) n += page.items.length;
  return n;
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool(tasks: Array<() => Promise<unknown>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < tasks.length; i = next++) await tasks[i]!();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** What the sync reads: account-wide streams, then per project its environments, flags (all passes) and statuses. */
async function fullRead(client: CatalogClient, concurrency: number) {
  const rows = {
    projects: 0,
    environments: 0,
    flags: 0,
    flagEnvironments: 0,
    flagStatuses: 0,
    tags: 0,
    teams: 0,
    teamMaintainers: 0,
  };
  const projectKeys: string[] = [];
  for await (const page of client.projects()) projectKeys.push(...page.items.map((p) => p.key));
  rows.projects = projectKeys.length;
  rows.tags = await drain(client.tags());
  const teamKeys: string[] = [];
  for await (const page of client.teams()) teamKeys.push(...page.items.map((t) => t.key));
  rows.teams = teamKeys.length;

  const tasks: Array<() => Promise<unknown>> = teamKeys.map((key) => async () => {
    const maintainers = await drain(client.teamMaintainers(key));
    rows.teamMaintainers += maintainers; // not `+= await`: that would read the total before the wait
  });
  for (const projectKey of projectKeys) {
    tasks.push(async () => {
      const envKeys: string[] = [];
      for await (const page of client.environments(projectKey)) envKeys.push(...page.items.map((e) => e.key));
      rows.environments += envKeys.length;
      const flags = await client.allFlags(projectKey, envKeys);
      rows.flags += flags.length;
      rows.flagEnvironments += flags.reduce((n, f) => n + Object.keys(f.environments).length, 0);
      for (const envKey of envKeys) {
        const statuses = await drain(client.flagStatuses(projectKey, envKey));
        rows.flagStatuses += statuses;
      }
    });
  }
  await pool(tasks, concurrency);
  return rows;
}

/** The fewest requests the API allows for this account, per endpoint. */
function minimumRequests(sim: Simulator, client: CatalogClient): Record<Endpoint, number> {
  const { account } = sim;
  const pages = (n: number, size: number) => Math.max(1, Math.ceil(n / size));
  const flagPage = client.apiVersion === '20220603' ? 1000 : 100;
  let environments = 0;
  let flags = 0;
  let flagStatuses = 0;
  for (const p of account.projects) {
    environments += pages(p.environments.length, 100);
    const batches = Math.max(1, Math.ceil(p.environments.length / 3));
    const archived = p.flags.filter((f) => f.archived).length;
    flags += batches * (pages(p.flags.length - archived, flagPage) + pages(archived, flagPage));
    flagStatuses += p.environments.length;
  }
  const memberIds = new Set(account.members.map((m) => m._id));
  return {
    projects: pages(account.projects.length, 100),
    environments,
    tags: pages(sim.counts().tags, 1000),
    teams: pages(account.teams.length, 100),
    teamMaintainers: account.teams.reduce(
      (n, t) => n + pages(t.maintainerIds.filter((id) => memberIds.has(id)).length, 100),
      0,
    ),
    flags,
    flagStatuses,
  };
}

function printTable(sim: Simulator, minimum: Record<Endpoint, number>): void {
  const byRoute = sim.stats().byRoute;
  const rows = (Object.keys(ENDPOINTS) as Endpoint[]).map(
    (e) => [ENDPOINTS[e], byRoute[ENDPOINTS[e]] ?? 0, minimum[e]] as const,
  );
  const made = rows.reduce((n, r) => n + r[1], 0);
  const least = rows.reduce((n, r) => n + r[2], 0);
  console.log(`  ${'endpoint'.padEnd(52)} ${'requests'.padStart(9)} ${'minimum'.padStart(9)}`);
  for (const [route, count, min] of rows)
    console.log(`  ${route.padEnd(52)} ${String(count).padStart(9)} ${String(min).padStart(9)}`);
  console.log(`  ${'total'.padEnd(52)} ${String(made).padStart(9)} ${String(least).padStart(9)}`);
}

async function run(label: string, sim: Simulator, concurrency: number) {
  sim.resetStats();
  const client = new CatalogClient({ baseUrl: sim.baseUrl, token: sim.readerToken, limiter: new RateLimiter() });
  const started = performance.now();
  const rows = await fullRead(client, concurrency);
  const seconds = (performance.now() - started) / 1000;
  const stats = sim.stats();
  console.log(`\n${label}`);
  printTable(sim, minimumRequests(sim, client));
  const expected = sim.counts();
  const complete = (Object.keys(rows) as Array<keyof typeof rows>).every((k) => rows[k] === expected[k]);
  const failed = Object.entries(stats.status)
    .filter(([code]) => code !== '200' && code !== '429')
    .reduce((n, [, c]) => n + c, 0);
  console.log(
    `  time ${seconds.toFixed(2)} s; rows ${JSON.stringify(rows)}; complete: ${complete ? 'yes' : 'NO, expected ' + JSON.stringify(expected)}`,
  );
  const share = stats.requests === 0 ? 0 : (100 * stats.rateLimited) / stats.requests;
  const c = client.stats();
  console.log(
    `  429s ${stats.rateLimited} of ${stats.requests} requests (${share.toFixed(2)} %); other failed responses ${failed}; ` +
      `client: retries ${c.retries}, waited ${(c.waitedMs / 1000).toFixed(1)} s`,
  );
  return { seconds, requests: stats.requests };
}

async function main(): Promise<void> {
  const concurrency = num('concurrency');
  const setup = performance.now();
  const sim = await startSimulator({
    seed: 42,
    projects: num('projects'),
    environments: num('environments'),
    flags: num('flags'),
    teams: num('teams'),
    membersPerTeam: 5,
  });
  try {
    const c = sim.counts();
    console.log(
      `simulator: ${c.projects} projects, ${c.environments} environments, ${c.flags} flags (${c.archivedFlags} archived), ` +
        `${c.flagStatuses} flag statuses, ${c.tags} tags, ${c.teams} teams (started in ${((performance.now() - setup) / 1000).toFixed(1)} s); ` +
        `${concurrency} projects read at once`,
    );
    const free = await run('full read, no rate limit', sim, concurrency);
    const windowMs = num('window-ms');
    const naturalPerWindow = (free.requests / free.seconds) * (windowMs / 1000);
    const limit = values.limit === 'auto' ? Math.max(5, Math.floor(naturalPerWindow / 2)) : num('limit');
    sim.configure({ rateLimit: { globalPerWindow: limit, routePerWindow: limit, windowMs, send429Headers: 'reset' } });
    await run(
      `full read under a rate limit of ${limit} requests per ${windowMs} ms (global and per route)`,
      sim,
      concurrency,
    );
  } finally {
    await sim.close();
    await closeHttpPools();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
