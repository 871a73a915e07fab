// The LaunchDarkly client against the simulator over real HTTP on 127.0.0.1: every endpoint across
// many pages, environment batching, the archived pass, cursors, each error type, rate limits, aborts
// and secrets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  LaunchDarklyError,
  RateLimiter,
  closeHttpPools,
  type LaunchDarklyClientOptions,
  type Page,
  type RetryInfo,
  type WaitInfo,
} from '../src/launchdarkly';
import { type Simulator, startSimulator } from '../src/simulator';
import { CatalogClient } from './support/catalog-client';

async function all<T>(pages: AsyncIterable<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page.items);
  return items;
}

function isLdError(type: string, extra: (err: LaunchDarklyError) => boolean = () => true) {
  return (err: unknown) => {
    assert.ok(err instanceof LaunchDarklyError, `expected a LaunchDarklyError, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    assert.ok(extra(err), `unexpected error: ${err.message}`);
    return true;
  };
}

/** Everything a full read returns, as the sync would read it. */
async function readEverything(client: CatalogClient) {
  const projects = await all(client.projects());
  const environments = [];
  const flags = [];
  const statuses = [];
  for (const project of projects) {
    const envs = await all(client.environments(project.key));
    environments.push(...envs);
    flags.push(
      ...(await client.allFlags(
        project.key,
        envs.map((e) => e.key),
      )),
    );
    for (const env of envs) statuses.push(...(await all(client.flagStatuses(project.key, env.key))));
  }
  const tags = await all(client.tags());
  const teams = await all(client.teams());
  const maintainers = [];
  for (const team of teams) maintainers.push(...(await all(client.teamMaintainers(team.key))));
  return { projects, environments, flags, statuses, tags, teams, maintainers };
}

describe('LaunchDarklyClient against the simulator, many small pages', { timeout: 60_000 }, () => {
  let sim: Simulator;
  const client = (extra: Partial<LaunchDarklyClientOptions> = {}) =>
    new CatalogClient({ baseUrl: sim.baseUrl, token: sim.readerToken, ...extra });

  before(async () => {
    sim = await startSimulator({
      seed: 7,
      projects: 5,
      environments: 5,
      flags: 23,
      teams: 5,
      membersPerTeam: 3,
      // The simulator clamps our page sizes to these, so every endpoint spans several pages.
      maxLimits: { projects: 2, environments: 2, flags: 7, teams: 2, teamMaintainers: 1, tags: 3 },
      flagStatusesPageSize: 9,
    });
  });
  after(async () => {
    await sim.close();
  });

  test('a full read returns exactly what the account holds', async () => {
    const c = client();
    const read = await readEverything(c);
    const counts = sim.counts();
    assert.equal(read.projects.length, counts.projects);
    assert.equal(read.environments.length, counts.environments);
    assert.equal(read.flags.length, counts.flags);
    assert.equal(read.flags.filter((f) => f.archived).length, counts.archivedFlags);
    assert.ok(counts.archivedFlags > 0, 'the account has archived flags to find');
    // every flag carries the state of all 5 environments, merged from two env batches (3 + 2)
    assert.equal(
      read.flags.reduce((n, f) => n + Object.keys(f.environments).length, 0),
      counts.flagEnvironments,
    );
    assert.equal(read.statuses.length, counts.flagStatuses);
    assert.equal(read.tags.length, counts.tags);
    assert.equal(read.teams.length, counts.teams);
    assert.equal(read.maintainers.length, counts.teamMaintainers);
    assert.equal(new Set(read.tags).size, read.tags.length);
    assert.equal(c.stats().rateLimited, 0);
    assert.equal(c.stats().requests, sim.stats().requests);
  });

  test('flag passes: env keys in threes, then again for archived flags', () => {
    const c = client();
    assert.deepEqual(c.flagPasses(['a', 'b', 'c', 'd', 'e']), [
      { environmentKeys: ['a', 'b', 'c'], archived: false },
      { environmentKeys: ['d', 'e'], archived: false },
      { environmentKeys: ['a', 'b', 'c'], archived: true },
      { environmentKeys: ['d', 'e'], archived: true },
    ]);
    assert.deepEqual(c.flagPasses([]), [
      { environmentKeys: [], archived: false },
      { environmentKeys: [], archived: true },
    ]);
  });

  test('one pass holds only its environments; the archived pass only archived flags', async () => {
    const c = client();
    const project = sim.account.projects[0]!;
    const envKeys = project.environments.map((e) => e.key);
    const [firstBatch, secondBatch, archivedBatch] = c.flagPasses(envKeys);
    const live = await all(c.flags(project.key, firstBatch!));
    assert.ok(live.length > 0 && live.every((f) => !f.archived));
    for (const flag of live)
      assert.deepEqual(Object.keys(flag.environments).sort(), [...firstBatch!.environmentKeys].sort());
    const second = await all(c.flags(project.key, secondBatch!));
    for (const flag of second)
      assert.deepEqual(Object.keys(flag.environments).sort(), [...secondBatch!.environmentKeys].sort());
    const archived = await all(c.flags(project.key, archivedBatch!));
    assert.deepEqual(
      archived.map((f) => f.key).sort(),
      project.flags
        .filter((f) => f.archived)
        .map((f) => f.key)
        .sort(),
    );
    assert.ok(archived.every((f) => f.archived));
  });

  test('a saved cursor resumes right after its page, in a new client', async () => {
    const project = sim.account.projects[1]!;
    const pass = { environmentKeys: project.environments.slice(0, 3).map((e) => e.key), archived: false };
    const first = client();
    const iterator = first.flags(project.key, pass)[Symbol.asyncIterator]();
    const page1 = await iterator.next();
    const page2 = await iterator.next();
    assert.ok(!page1.done && !page2.done);
    await iterator.return?.();
    const cursor = page2.value.next;
    assert.ok(cursor?.startsWith(`/api/v2/flags/${project.key}?`), `cursor is an href: ${cursor}`);

    const resumed = await all(client().flags(project.key, pass, { cursor }));
    const keys = [...page1.value.items, ...page2.value.items, ...resumed].map((f) => f.key);
    assert.equal(new Set(keys).size, keys.length, 'no flag twice');
    assert.deepEqual(
      keys.sort(),
      project.flags
        .filter((f) => !f.archived)
        .map((f) => f.key)
        .sort(),
    );
  });

  test('flag statuses per flag give the same answer as the list', async () => {
    const project = sim.account.projects[0]!;
    const env = project.environments[0]!.key;
    const c = client();
    const listed = await all(c.flagStatuses(project.key, env));
    const flagKeys = project.flags.map((f) => f.key);
    const perFlag = await all(c.flagStatuses(project.key, env, { mode: 'per-flag', flagKeys }));
    const byKey = (s: { flagKey: string }[]) => s.map((x) => JSON.stringify(x)).sort();
    assert.deepEqual(byKey(perFlag), byKey(listed));
  });

  test('API version 20220603: the header is sent and pages of 1000 flags are asked for', async () => {
    const c = client({ apiVersion: '20220603' });
    const project = sim.account.projects[0]!;
    sim.resetStats();
    const flags = await c.allFlags(
      project.key,
      project.environments.map((e) => e.key),
    );
    assert.equal(flags.length, project.flags.length);
    assert.ok(flags.every((f) => Object.keys(f.environments).length === project.environments.length));
    // maxLimits.flags (7) applies to 20240415 only: under 20220603 each of the 4 passes is one page
    assert.equal(sim.stats().byRoute['/api/v2/flags/{projectKey}'], 4);
    assert.throws(
      () => new CatalogClient({ token: 'x', apiVersion: '20191212' as '20240415' }),
      /apiVersion: use one of 20240415, 20220603/,
    );
  });

  test('validate checks each endpoint once, cheaply', async () => {
    sim.resetStats();
    const results = await client().validate();
    assert.deepEqual(
      results.map((r) => [r.endpoint, r.ok]),
      [
        ['/api/v2/projects', true],
        ['/api/v2/tags', true],
        ['/api/v2/teams', true],
        [`/api/v2/teams/${sim.account.teams[0]!.key}/maintainers`, true],
        [`/api/v2/projects/${sim.account.projects[0]!.key}/environments`, true],
        [`/api/v2/flags/${sim.account.projects[0]!.key}`, true],
        [
          `/api/v2/flag-statuses/${sim.account.projects[0]!.key}/${sim.account.projects[0]!.environments[0]!.key}`,
          true,
        ],
      ],
    );
    assert.equal(sim.stats().requests, 7);
  });

  test('no secret (SDK key, mobile key, _pubnub, the token) in anything the client returns', async () => {
    // The simulator does send them, so this test can fail.
    const project = sim.account.projects[0]!;
    const res = await fetch(`${sim.baseUrl}/api/v2/projects/${project.key}/environments`, {
      headers: { Authorization: sim.readerToken, 'LD-API-Version': '20240415' },
    });
    const upstream = await res.text();
    for (const marker of ['"sdk-', '"mob-', '_pubnub'])
      assert.ok(upstream.includes(marker), `simulator sends ${marker}`);

    const c = client();
    const read = await readEverything(c);
    const validation = await c.validate();
    const wrongToken = 'api-00000000-dead-beef-0000-000000000000';
    const failure = await all(client({ token: wrongToken }).projects()).catch((err: unknown) => err);
    assert.ok(failure instanceof LaunchDarklyError);
    const text = JSON.stringify({ read, validation, message: failure.message, failure });
    for (const secret of ['sdk-', 'mob-', '_pubnub', 'cipherKey', sim.readerToken, wrongToken]) {
      assert.ok(!text.includes(secret), `found ${secret}`);
    }
  });
});

describe('LaunchDarklyClient errors', { timeout: 60_000 }, () => {
  let sim: Simulator;
  const fast = { maxRetries: 2, retryBaseDelayMs: 5, timeoutMs: 2_000 };
  const client = (extra: Partial<LaunchDarklyClientOptions> = {}) =>
    new CatalogClient({ baseUrl: sim.baseUrl, token: sim.readerToken, ...fast, ...extra });

  before(async () => {
    sim = await startSimulator({ seed: 3, projects: 2, environments: 2, flags: 5, teams: 2 });
  });
  after(async () => {
    await sim.close();
  });

  test('401: invalid_credentials, says what to do, never echoes the token', async () => {
    const token = 'api-11111111-2222-4333-8444-555555555555';
    await assert.rejects(
      all(client({ token }).projects()),
      isLdError(
        'invalid_credentials',
        (e) => e.status === 401 && /Reader access token/.test(e.message) && !e.message.includes(token),
      ),
    );
  });

  test('403: invalid_permissions', async () => {
    await assert.rejects(
      all(client({ token: sim.noPermissionToken }).projects()),
      isLdError('invalid_permissions', (e) => e.status === 403 && e.endpoint === '/api/v2/projects'),
    );
  });

  test('403 on teams is a permission problem, not a plan one: invalid_permissions', async (t) => {
    // A role that reads everything but teams, and an account configured to answer 403 on teams alike.
    const withoutTeams = client({ token: sim.noTeamsPermissionToken });
    await assert.rejects(
      all(withoutTeams.teams()),
      isLdError('invalid_permissions', (e) => e.status === 403 && /Reader role/.test(e.message)),
    );
    await assert.rejects(all(withoutTeams.teamMaintainers('anything')), isLdError('invalid_permissions'));
    assert.equal((await all(withoutTeams.projects())).length, sim.account.projects.length);
    const results = await withoutTeams.validate();
    const teams = results.find((r) => r.endpoint === '/api/v2/teams');
    assert.deepEqual([teams?.ok, teams?.errorType], [false, 'invalid_permissions']);

    sim.configure({ teamsEntitlement: 403 });
    t.after(() => sim.configure({ teamsEntitlement: 'entitled' }));
    await assert.rejects(
      all(client().teams()),
      isLdError('invalid_permissions', (e) => e.status === 403),
    );
  });

  for (const status of [404, 405] as const) {
    test(`teams not in the plan (${status}): not_entitled, on teams and maintainers`, async (t) => {
      sim.configure({ teamsEntitlement: status });
      t.after(() => sim.configure({ teamsEntitlement: 'entitled' }));
      await assert.rejects(
        all(client().teams()),
        isLdError('not_entitled', (e) => e.status === status),
      );
      await assert.rejects(all(client().teamMaintainers('anything')), isLdError('not_entitled'));
      const results = await client().validate();
      const teams = results.find((r) => r.endpoint === '/api/v2/teams');
      assert.deepEqual([teams?.ok, teams?.errorType], [false, 'not_entitled']);
      assert.ok(results.filter((r) => r.endpoint !== '/api/v2/teams').every((r) => r.ok));
    });
  }

  test('404: not_found names the endpoint', async () => {
    await assert.rejects(
      all(client().environments('no-such-project')),
      isLdError(
        'not_found',
        (e) => e.endpoint === '/api/v2/projects/no-such-project/environments' && /no-such-project/.test(e.message),
      ),
    );
  });

  test('5xx: retried, then upstream_unavailable', async (t) => {
    sim.configure({ faults: { errorRate: 1, routes: /\/api\/v2\/tags/ } });
    t.after(() => sim.configure({ faults: { errorRate: 0 } }));
    const c = client();
    await assert.rejects(
      all(c.tags()),
      isLdError('upstream_unavailable', (e) => (e.status ?? 0) >= 500),
    );
    assert.deepEqual([c.stats().requests, c.stats().retries], [3, 2]);
  });

  test('a proxy 502 with an HTML body: upstream_unavailable', async (t) => {
    sim.configure({ faults: { errorRate: 1, errorStatuses: [502], routes: /\/api\/v2\/tags/ } });
    t.after(() => sim.configure({ faults: { errorRate: 0, errorStatuses: [500, 503] } }));
    await assert.rejects(
      all(client({ maxRetries: 0 }).tags()),
      isLdError('upstream_unavailable', (e) => e.status === 502),
    );
  });

  test('malformed JSON: retried, then upstream_unavailable', async (t) => {
    sim.configure({ faults: { malformedRate: 1, routes: /\/api\/v2\/projects/ } });
    t.after(() => sim.configure({ faults: { malformedRate: 0 } }));
    const c = client();
    await assert.rejects(
      all(c.projects()),
      isLdError('upstream_unavailable', (e) => /not valid JSON/.test(e.message)),
    );
    assert.equal(c.stats().requests, 3);
  });

  test('connection resets and timeouts: upstream_unavailable', async (t) => {
    sim.configure({ faults: { resetRate: 1, routes: /\/api\/v2\/projects/ } });
    const resets = client();
    await assert.rejects(
      all(resets.projects()),
      isLdError('upstream_unavailable', (e) => /connection failed/.test(e.message)),
    );
    // one immediate resend (a stale keep-alive socket looks like this), then maxRetries (2) with backoff
    assert.equal(resets.stats().requests, 4);
    sim.configure({ faults: { resetRate: 0, slowRate: 1, slowMs: 1_000 } });
    t.after(() => sim.configure({ faults: { slowRate: 0 } }));
    await assert.rejects(
      all(client({ timeoutMs: 50, maxRetries: 1 }).projects()),
      isLdError('upstream_unavailable', (e) => /no answer within 50 ms/.test(e.message)),
    );
  });

  test('transient faults are absorbed by retries: the read is still complete', async (t) => {
    sim.configure({ faults: { errorRate: 0.2, resetRate: 0.1, malformedRate: 0.1, seed: 11 } });
    t.after(() => sim.configure({ faults: { errorRate: 0, resetRate: 0, malformedRate: 0 } }));
    const c = client({ maxRetries: 8 });
    const read = await readEverything(c);
    assert.equal(read.flags.length, sim.counts().flags);
    assert.equal(read.statuses.length, sim.counts().flagStatuses);
    assert.ok(c.stats().retries > 0);
  });

  test('hooks: every request sent is announced first, every retry reported with its type and wait kind', async (t) => {
    sim.configure({ faults: { errorRate: 0.2, resetRate: 0.2, malformedRate: 0.25, seed: 5, routes: null } });
    t.after(() => sim.configure({ faults: { errorRate: 0, resetRate: 0, malformedRate: 0 } }));
    sim.resetStats();
    const sent: Array<{ endpoint: string; attempt: number }> = [];
    const retries: RetryInfo[] = [];
    const waits: WaitInfo[] = [];
    const c = client({
      maxRetries: 8,
      retryBaseDelayMs: 1,
      beforeRequest: async (info) => {
        await new Promise((resolve) => setImmediate(resolve)); // awaited: an async recorder finishes first
        sent.push(info);
      },
      onRetry: (info) => retries.push(info),
      onWait: (info) => waits.push(info),
    });
    await readEverything(c);
    const stats = sim.stats();
    const seen = JSON.stringify({ faults: stats.faults, requests: stats.requests, sent: sent.length });
    assert.equal(sent.length, c.stats().requests, 'one announcement per request sent');
    const clientOnlyResets = retries.filter((r) => r.cause === 'reset').length - stats.faults.resets;
    assert.equal(sent.length, stats.requests + clientOnlyResets, seen);
    assert.equal(retries.filter((r) => r.cause === 'status').length, stats.faults.errors, seen);
    assert.equal(retries.filter((r) => r.cause === 'malformed_body').length, stats.faults.malformed, seen);
    assert.ok(stats.faults.errors > 0 && stats.faults.malformed > 0 && stats.faults.resets > 0, seen);
    for (const r of retries) {
      assert.equal(r.errorType, 'upstream_unavailable');
      assert.ok(r.endpoint.startsWith('/api/v2/') && r.attempt >= 1 && r.message.length > 0, JSON.stringify(r));
      assert.ok(!r.message.includes(sim.readerToken));
    }
    assert.ok(
      sent.some((s) => s.attempt > 1),
      'retries are announced with their attempt',
    );
    assert.ok(waits.length > 0 && waits.every((w) => w.kind === 'retry' && w.errorType === 'upstream_unavailable'));
  });

  test('hooks: a rejected beforeRequest stops the request unsent, with its error', async () => {
    sim.resetStats();
    const c = client({
      beforeRequest: () => Promise.reject(new Error('bookkeeping down')),
    });
    await assert.rejects(all(c.projects()), /bookkeeping down/);
    assert.equal(sim.stats().requests, 0);
  });

  test('a wrong-type field: schema_mismatch naming endpoint, item and field', async (t) => {
    sim.configure({ faults: { wrongTypeRate: 1, routes: /\/api\/v2\/flags\// } });
    t.after(() => sim.configure({ faults: { wrongTypeRate: 0 } }));
    const project = sim.account.projects[0]!;
    await assert.rejects(
      client().allFlags(project.key, []),
      isLdError('schema_mismatch', (e) =>
        new RegExp(
          `^flags of project "${project.key}": item "[^"]+": field kind: expected "boolean" \\| "multivariate", got 42`,
        ).test(e.message),
      ),
    );
  });

  test('an abort mid-page rejects with the abort reason', async (t) => {
    sim.configure({ latencyMs: 2_000 });
    t.after(() => sim.configure({ latencyMs: 0 }));
    const controller = new AbortController();
    const reading = all(client().projects({ signal: controller.signal }));
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    await assert.rejects(reading, /activity cancelled/);
  });
});

describe('LaunchDarklyClient under rate limits', { timeout: 60_000 }, () => {
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ seed: 5, projects: 2, environments: 4, flags: 40, maxLimits: { flags: 5 } });
  });
  after(async () => {
    await sim.close();
    await closeHttpPools();
  });

  test('a lone client reading the headers waits for the reset instead of hitting 429', async (t) => {
    sim.configure({ rateLimit: { globalPerWindow: 5, routePerWindow: 100, windowMs: 250 } });
    t.after(() => sim.configure({ rateLimit: { globalPerWindow: 100_000, routePerWindow: 20_000, windowMs: 10_000 } }));
    sim.resetStats();
    const reasons = new Set<string>();
    const c = new CatalogClient({
      baseUrl: sim.baseUrl,
      token: sim.readerToken,
      onWait: (i) => reasons.add(i.reason),
    });
    const project = sim.account.projects[0]!;
    const flags = await c.allFlags(
      project.key,
      project.environments.map((e) => e.key),
    );
    assert.equal(flags.length, project.flags.length);
    assert.ok(c.stats().requests > 10, 'spans several windows');
    assert.equal(sim.stats().rateLimited, 0);
    assert.ok(c.stats().waitedMs > 0);
    assert.deepEqual([...reasons], ['account rate limit budget spent; waiting for its reset']);
  });

  for (const [mode, reason] of [
    ['retry-after', /Retry-After 1 s/],
    ['reset', /until the window resets/],
    ['both', /Retry-After/],
    ['none', /without reset headers/],
  ] as const) {
    test(`a 429 (${mode} headers) is waited out as its headers say, then retried`, async (t) => {
      // Every request is refused until the client reports its wait; then the budget comes back.
      sim.configure({ rateLimit: { globalPerWindow: 0, windowMs: 400, send429Headers: mode } });
      t.after(() =>
        sim.configure({ rateLimit: { globalPerWindow: 100_000, windowMs: 10_000, send429Headers: 'reset' } }),
      );
      sim.resetStats();
      const waits: Array<{ until: number; reason: string; at: number }> = [];
      const c = new CatalogClient({
        baseUrl: sim.baseUrl,
        token: sim.readerToken,
        limiter: new RateLimiter({ fallbackWaitMs: 300 }),
        onWait: (info) => {
          assert.equal(info.kind, 'rate_limit', 'a 429 pause is a rate-limit wait');
          waits.push({ ...info, at: Date.now() });
          sim.configure({ rateLimit: { globalPerWindow: 100 } });
        },
      });
      const projects = await all(c.projects());
      assert.equal(projects.length, 2);
      assert.equal(sim.stats().rateLimited, 1);
      assert.deepEqual([c.stats().rateLimited, c.stats().retries], [1, 1]);
      assert.match(waits[0]!.reason, reason);
      if (mode === 'retry-after') assert.ok(waits[0]!.until - waits[0]!.at >= 1_000, 'Retry-After: 1 s is honoured');
      if (mode === 'none') assert.ok(waits[0]!.until - waits[0]!.at >= 300, 'the fallback wait applies');
    });
  }

  test('still refused after maxRateLimitRetries: rate_limited with retryAfterMs', async (t) => {
    sim.configure({ rateLimit: { globalPerWindow: 0, windowMs: 100, send429Headers: 'reset' } });
    t.after(() => sim.configure({ rateLimit: { globalPerWindow: 100_000, windowMs: 10_000 } }));
    sim.resetStats();
    const c = new CatalogClient({ baseUrl: sim.baseUrl, token: sim.readerToken, maxRateLimitRetries: 2 });
    await assert.rejects(
      all(c.tags()),
      isLdError('rate_limited', (e) => e.status === 429 && e.retryAfterMs !== undefined && e.retryAfterMs > 0),
    );
    assert.equal(sim.stats().rateLimited, 3);
  });

  test('an abort during a rate-limit wait rejects at once', async (t) => {
    sim.configure({ rateLimit: { globalPerWindow: 0, windowMs: 60_000, send429Headers: 'none' } });
    t.after(() =>
      sim.configure({ rateLimit: { globalPerWindow: 100_000, windowMs: 10_000, send429Headers: 'reset' } }),
    );
    const controller = new AbortController();
    const c = new CatalogClient({
      baseUrl: sim.baseUrl,
      token: sim.readerToken,
      limiter: new RateLimiter({ fallbackWaitMs: 60_000 }),
      onWait: () => controller.abort(new Error('stop waiting')),
    });
    await assert.rejects(all(c.projects({ signal: controller.signal })), /stop waiting/);
  });

  test('clients sharing one limiter read concurrently under a tight limit, completely', async (t) => {
    sim.configure({ rateLimit: { globalPerWindow: 8, routePerWindow: 100, windowMs: 200, send429Headers: 'reset' } });
    t.after(() => sim.configure({ rateLimit: { globalPerWindow: 100_000, routePerWindow: 20_000, windowMs: 10_000 } }));
    const limiter = new RateLimiter({ marginMs: 20 });
    const results = await Promise.all(
      sim.account.projects.flatMap((project) =>
        project.environments.map(async (env) => {
          const c = new CatalogClient({ baseUrl: sim.baseUrl, token: sim.readerToken, limiter });
          return (
            (await all(c.flagStatuses(project.key, env.key))).length + (await all(c.environments(project.key))).length
          );
        }),
      ),
    );
    const expected = sim.account.projects.reduce(
      (n, p) => n + p.environments.length * (p.flags.length + p.environments.length),
      0,
    );
    assert.equal(
      results.reduce((a, b) => a + b, 0),
      expected,
    );
  });
});
