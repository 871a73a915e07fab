// Behaviour of the LaunchDarkly simulator over real HTTP: paging links and totals, env filter
// limits, API versions, archived handling, summary vs full flags, filters and sorts, tokens,
// teams entitlement, determinism and variety of the generated account, and every mutation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FlagModel, type Simulator, startSimulator } from '../src/simulator';
import { type Json, asObject, crawl, itemsOf, linkHref, request } from './simulator-helpers';

const keysOf = (items: Json[]): string[] => items.map((item) => item.key as string);

async function allFlagKeys(sim: Simulator, projectKey: string, query = ''): Promise<string[]> {
  const pages = await crawl(sim, `/api/v2/flags/${projectKey}?limit=100${query}`);
  return pages.flatMap((page) => keysOf(itemsOf(page.body)));
}

void describe('paging', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ projects: 5, environments: 2, flags: 30, teams: 2 });
  });
  after(async () => {
    await sim.close();
  });

  void test('projects: links point only at pages that exist, keep other params, and totalCount is the total', async () => {
    const first = await request(sim, '/api/v2/projects?limit=2&sort=name');
    assert.equal(first.status, 200);
    assert.equal(asObject(first.body).totalCount, 5);
    assert.equal(itemsOf(first.body).length, 2);
    assert.deepEqual(Object.keys(asObject(asObject(first.body)._links)).sort(), ['last', 'next', 'self']);
    assert.equal(linkHref(first.body, 'self'), '/api/v2/projects?limit=2&sort=name');
    assert.equal(linkHref(first.body, 'next'), '/api/v2/projects?limit=2&offset=2&sort=name');
    assert.equal(linkHref(first.body, 'last'), '/api/v2/projects?limit=2&offset=4&sort=name');

    const middle = await request(sim, '/api/v2/projects?limit=2&offset=2&sort=name');
    assert.deepEqual(Object.keys(asObject(asObject(middle.body)._links)).sort(), [
      'first',
      'last',
      'next',
      'prev',
      'self',
    ]);
    assert.equal(linkHref(middle.body, 'first'), '/api/v2/projects?limit=2&sort=name');
    assert.equal(linkHref(middle.body, 'prev'), '/api/v2/projects?limit=2&sort=name');

    const last = await request(sim, '/api/v2/projects?limit=2&offset=4&sort=name');
    assert.deepEqual(Object.keys(asObject(asObject(last.body)._links)).sort(), ['first', 'prev', 'self']);
    assert.equal(itemsOf(last.body).length, 1);
    assert.equal(linkHref(last.body, 'prev'), '/api/v2/projects?limit=2&offset=2&sort=name');

    const pages = await crawl(sim, '/api/v2/projects?limit=2&sort=name');
    const keys = pages.flatMap((page) => keysOf(itemsOf(page.body)));
    const expected = sim.account.projects.map((p) => ({ key: p.key, name: p.name }));
    expected.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    assert.deepEqual(
      keys,
      expected.map((p) => p.key),
    );
  });

  void test('default limit is 20; an offset past the end is an empty page with totalCount', async () => {
    const flags = await request(sim, '/api/v2/flags/default');
    assert.equal(itemsOf(flags.body).length, 20);
    assert.equal(linkHref(flags.body, 'next'), '/api/v2/flags/default?limit=20&offset=20&summary=true');
    const beyond = await request(sim, '/api/v2/projects?offset=50');
    assert.equal(beyond.status, 200);
    assert.deepEqual(itemsOf(beyond.body), []);
    assert.equal(asObject(beyond.body).totalCount, 5);
    assert.equal(linkHref(beyond.body, 'next'), undefined);
  });

  void test('flags links add summary=true and keep repeated env params; paging covers every live flag once', async () => {
    const page = await request(sim, '/api/v2/flags/default?limit=5&env=production&env=staging');
    assert.equal(
      linkHref(page.body, 'next'),
      '/api/v2/flags/default?env=production&env=staging&limit=5&offset=5&summary=true',
    );
    const live = sim.account.projects[0]?.flags.filter((f) => !f.archived).map((f) => f.key) ?? [];
    const pages = await crawl(sim, '/api/v2/flags/default?limit=5&env=production&env=staging');
    const keys = pages.flatMap((p) => keysOf(itemsOf(p.body)));
    assert.deepEqual(keys, live);
    for (const p of pages) assert.equal(asObject(p.body).totalCount, live.length);
  });

  void test('over-max limits are clamped by default and rejected when configured', async () => {
    const clamped = await request(sim, '/api/v2/flags/default?limit=500');
    assert.equal(clamped.status, 200);
    assert.match(linkHref(clamped.body, 'self') ?? '', /limit=100&/);
    const teams = await request(sim, '/api/v2/teams?limit=101');
    assert.match(linkHref(teams.body, 'self') ?? '', /limit=100$/);
    sim.configure({ overLimit: 'reject' });
    try {
      const rejected = await request(sim, '/api/v2/flags/default?limit=101');
      assert.equal(rejected.status, 400);
      assert.equal(asObject(rejected.body).code, 'invalid_request');
      assert.equal((await request(sim, '/api/v2/tags?limit=1000')).status, 200);
      assert.equal((await request(sim, '/api/v2/tags?limit=1001')).status, 400);
      sim.configure({ maxLimits: { projects: 2 } });
      assert.equal((await request(sim, '/api/v2/projects?limit=3')).status, 400);
    } finally {
      sim.configure({ overLimit: 'clamp', maxLimits: { projects: 1000 } });
    }
  });

  void test('a malformed limit or offset is a 400 invalid_request', async () => {
    for (const query of ['limit=abc', 'limit=-1', 'limit=0', 'offset=x', 'limit=1.5']) {
      const response = await request(sim, `/api/v2/projects?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(asObject(response.body).code, 'invalid_request');
    }
  });

  void test('environments carry a parent link and page with limit=1 like the live fixture', async () => {
    const first = await request(sim, '/api/v2/projects/default/environments?limit=1');
    assert.deepEqual(asObject(asObject(first.body)._links), {
      last: { href: '/api/v2/projects/default/environments?limit=1&offset=1', type: 'application/json' },
      next: { href: '/api/v2/projects/default/environments?limit=1&offset=1', type: 'application/json' },
      parent: { href: '/api/v2/projects/default', type: 'application/json' },
      self: { href: '/api/v2/projects/default/environments?limit=1', type: 'application/json' },
    });
    assert.equal(asObject(first.body).totalCount, 2);
  });

  void test('the flag-statuses list has no totalCount and no paging unless configured', async () => {
    const list = await request(sim, '/api/v2/flag-statuses/default/production?limit=2');
    assert.equal(asObject(list.body).totalCount, undefined);
    assert.equal(itemsOf(list.body).length, 30);
    assert.deepEqual(asObject(asObject(list.body)._links), {
      self: { href: '/api/v2/flag-statuses/default/production', type: 'application/json' },
    });
    sim.configure({ flagStatusesPageSize: 10 });
    try {
      const pages = await crawl(sim, '/api/v2/flag-statuses/default/production');
      assert.equal(pages.length, 3);
      assert.equal(pages.flatMap((p) => itemsOf(p.body)).length, 30);
    } finally {
      sim.configure({ flagStatusesPageSize: undefined });
    }
  });

  void test('a trailing slash is tolerated (DX calls /api/v2/flags/ and /flag-statuses/p/e/)', async () => {
    assert.equal((await request(sim, '/api/v2/tags/')).status, 200);
    const statuses = await request(sim, '/api/v2/flag-statuses/default/production/');
    assert.equal(statuses.status, 200);
    assert.equal(linkHref(statuses.body, 'self'), '/api/v2/flag-statuses/default/production');
  });
});

void describe('flags', () => {
  let sim: Simulator;
  let project: { key: string; flags: FlagModel[] };
  before(async () => {
    sim = await startSimulator({ seed: 3, projects: 1, environments: 5, flags: 40, teams: 3 });
    const first = sim.account.projects[0];
    assert.ok(first);
    project = first;
  });
  after(async () => {
    await sim.close();
  });

  void test('20240415: environments only when env is given; at most 3 env values (configurable)', async () => {
    const plain = itemsOf((await request(sim, '/api/v2/flags/default')).body);
    for (const flag of plain) assert.equal(flag.environments, undefined);
    const three = itemsOf((await request(sim, '/api/v2/flags/default?env=production&env=staging&env=test')).body);
    for (const flag of three)
      assert.deepEqual(Object.keys(asObject(flag.environments)), ['production', 'staging', 'test']);
    const four = await request(sim, '/api/v2/flags/default?env=production&env=staging&env=test&env=development');
    assert.equal(four.status, 400);
    assert.equal(asObject(four.body).code, 'invalid_request');
    sim.configure({ maxEnvFilter: 5 });
    try {
      const five = await request(
        sim,
        '/api/v2/flags/default?env=production&env=staging&env=test&env=development&env=qa',
      );
      assert.equal(five.status, 200);
    } finally {
      sim.configure({ maxEnvFilter: 3 });
    }
  });

  void test('20220603: every environment without env, and up to 1000 flags a page', async () => {
    const old = await request(sim, '/api/v2/flags/default?limit=1000', { version: '20220603' });
    assert.equal(old.status, 200);
    const items = itemsOf(old.body);
    assert.equal(items.length, project.flags.filter((f) => !f.archived).length);
    assert.equal(linkHref(old.body, 'self'), '/api/v2/flags/default?limit=1000&summary=true');
    for (const flag of items) assert.equal(Object.keys(asObject(flag.environments)).length, 5);
    const current = await request(sim, '/api/v2/flags/default?limit=1000');
    assert.match(linkHref(current.body, 'self') ?? '', /limit=100&/);
  });

  void test('API version: no header means the token default; an unknown version is a 400', async () => {
    const none = itemsOf((await request(sim, '/api/v2/flags/default', { version: null })).body);
    assert.equal(none[0]?.environments, undefined);
    assert.equal((await request(sim, '/api/v2/flags/default', { version: '20191212' })).status, 400);
    sim.configure({ defaultApiVersion: '20220603' });
    try {
      const old = itemsOf((await request(sim, '/api/v2/flags/default', { version: null })).body);
      assert.ok(old[0]?.environments);
    } finally {
      sim.configure({ defaultApiVersion: '20240415' });
    }
  });

  void test('summary by default; summary=0 adds targeting; one flag returns every environment in full', async () => {
    const summary = itemsOf((await request(sim, '/api/v2/flags/default?env=production')).body);
    for (const flag of summary) {
      const config = asObject(asObject(flag.environments).production);
      assert.ok(config._summary);
      for (const field of ['targets', 'contextTargets', 'rules', 'fallthrough', 'offVariation', 'prerequisites']) {
        assert.equal(config[field], undefined, field);
      }
    }
    const full = itemsOf((await request(sim, '/api/v2/flags/default?env=production&summary=0')).body);
    for (const flag of full) {
      const config = asObject(asObject(flag.environments).production);
      for (const field of ['targets', 'contextTargets', 'rules', 'fallthrough', 'offVariation', 'prerequisites']) {
        assert.notEqual(config[field], undefined, field);
      }
    }
    const someFlag = project.flags[0];
    assert.ok(someFlag);
    const one = asObject((await request(sim, `/api/v2/flags/default/${someFlag.key}`)).body);
    assert.equal(Object.keys(asObject(one.environments)).length, 5);
    const narrowed = asObject((await request(sim, `/api/v2/flags/default/${someFlag.key}?env=test`)).body);
    assert.deepEqual(Object.keys(asObject(narrowed.environments)), ['test']);
  });

  void test('_summary agrees with the targeting it summarises', async () => {
    const full = itemsOf((await request(sim, '/api/v2/flags/default?env=production&summary=0&limit=100')).body);
    for (const flag of full) {
      const config = asObject(asObject(flag.environments).production);
      const summary = asObject(config._summary);
      const variations = asObject(summary.variations);
      assert.equal(summary.prerequisites, (config.prerequisites as unknown[]).length);
      assert.equal(asObject(variations[String(config.offVariation)]).isOff, true);
      const targets = (config.targets as Array<{ values: string[]; variation: number }>).reduce(
        (sum, t) => sum + t.values.length,
        0,
      );
      const summarised = Object.values(variations).reduce((sum: number, v) => sum + (asObject(v).targets as number), 0);
      assert.equal(summarised, targets);
    }
  });

  void test('archived flags: excluded by default, only with state:archived, added with archived=true', async () => {
    const archived = project.flags.filter((f) => f.archived).map((f) => f.key);
    const live = project.flags.filter((f) => !f.archived).map((f) => f.key);
    assert.ok(archived.length >= 5);
    assert.deepEqual(await allFlagKeys(sim, 'default'), live);
    assert.deepEqual(await allFlagKeys(sim, 'default', '&filter=state:archived'), archived);
    assert.deepEqual(await allFlagKeys(sim, 'default', '&filter=archived:true'), archived);
    assert.deepEqual(
      await allFlagKeys(sim, 'default', '&archived=true'),
      project.flags.map((f) => f.key),
    );
    sim.configure({ archivedParam: 'only' });
    try {
      assert.deepEqual(await allFlagKeys(sim, 'default', '&archived=true'), archived);
    } finally {
      sim.configure({ archivedParam: 'include' });
    }
    const page = itemsOf((await request(sim, '/api/v2/flags/default?filter=state:archived&env=production')).body);
    for (const flag of page) {
      assert.equal(flag.archived, true);
      assert.equal(typeof flag.archivedDate, 'number');
      assert.equal(asObject(asObject(flag.environments).production).archived, true);
    }
  });

  void test('filters: state live|deprecated, query, tags, type, maintainer; bad filters are 400', async () => {
    const deprecated = project.flags.filter((f) => f.deprecated && !f.archived).map((f) => f.key);
    assert.ok(deprecated.length > 0);
    assert.deepEqual(await allFlagKeys(sim, 'default', '&filter=state:deprecated'), deprecated);
    const liveOnly = project.flags.filter((f) => !f.deprecated && !f.archived).map((f) => f.key);
    assert.deepEqual(await allFlagKeys(sim, 'default', '&filter=state:live'), liveOnly);
    const someFlag = project.flags.find((f) => !f.archived && f.tags.length >= 2);
    assert.ok(someFlag);
    const [tagA, tagB] = someFlag.tags as [string, string];
    const withTags = project.flags.filter((f) => !f.archived && f.tags.includes(tagA) && f.tags.includes(tagB));
    assert.deepEqual(
      await allFlagKeys(sim, 'default', `&filter=${encodeURIComponent(`tags:${tagA}+${tagB}`)}`),
      keysOfModels(withTags),
    );
    const byQuery = project.flags.filter((f) => !f.archived && f.key.toLowerCase().includes('check'));
    assert.deepEqual(await allFlagKeys(sim, 'default', '&filter=query:CHECK'), keysOfModels(byQuery));
    const permanent = project.flags.filter((f) => !f.archived && !f.temporary);
    assert.deepEqual(await allFlagKeys(sim, 'default', '&filter=type:permanent'), keysOfModels(permanent));
    const teamKey = project.flags.find((f) => f.maintainerTeamKey !== undefined)?.maintainerTeamKey;
    assert.ok(teamKey);
    const byTeam = project.flags.filter((f) => !f.archived && f.maintainerTeamKey === teamKey);
    assert.deepEqual(await allFlagKeys(sim, 'default', `&filter=maintainerTeamKey:${teamKey}`), keysOfModels(byTeam));
    const byTag = project.flags.filter((f) => !f.archived && f.tags.includes(tagA));
    assert.deepEqual(await allFlagKeys(sim, 'default', `&tag=${encodeURIComponent(tagA)}`), keysOfModels(byTag));
    for (const bad of ['state:gone', 'nonsense', 'unknownField:1', 'type:maybe']) {
      const response = await request(sim, `/api/v2/flags/default?filter=${bad}`);
      assert.equal(response.status, 400, bad);
    }
  });

  void test('sorts: key, -creationDate, targetingModifiedDate with env; unknown sorts are 400', async () => {
    const live = project.flags.filter((f) => !f.archived);
    const byKey = keysOfModels(live).sort();
    assert.deepEqual(await allFlagKeys(sim, 'default', '&sort=key'), byKey);
    const byCreation = [...live].sort((a, b) => b.creationDate - a.creationDate);
    assert.deepEqual(await allFlagKeys(sim, 'default', '&sort=-creationDate'), keysOfModels(byCreation));
    const byTargeting = [...live].sort(
      (a, b) => (a.environments.staging?.lastModified ?? 0) - (b.environments.staging?.lastModified ?? 0),
    );
    assert.deepEqual(
      await allFlagKeys(sim, 'default', '&sort=targetingModifiedDate&env=staging'),
      keysOfModels(byTargeting),
    );
    assert.equal((await request(sim, '/api/v2/flags/default?sort=targetingModifiedDate')).status, 400);
    assert.equal((await request(sim, '/api/v2/flags/default?sort=colour')).status, 400);
    assert.equal((await request(sim, '/api/v2/projects?sort=key')).status, 400);
  });

  void test('flag statuses: every flag including archived ones, no key field, links carry the env', async () => {
    const list = itemsOf((await request(sim, '/api/v2/flag-statuses/default/staging')).body);
    assert.equal(list.length, project.flags.length);
    list.forEach((item, i) => {
      const flag = project.flags[i];
      assert.ok(flag);
      assert.equal(item.key, undefined);
      assert.equal(linkHref(item, 'parent'), `/api/v2/flags/default/${flag.key}`);
      assert.equal(linkHref(item, 'self'), `/api/v2/flag-statuses/default/staging/${flag.key}`);
      const status = flag.environments.staging?.status;
      assert.equal(item.name, status?.name);
      assert.equal(item.lastRequested, status?.lastRequested);
      assert.equal('default' in item, status !== undefined && 'default' in status);
    });
    const flag = project.flags[0];
    assert.ok(flag);
    const one = asObject((await request(sim, `/api/v2/flag-statuses/default/staging/${flag.key}`)).body);
    assert.deepEqual(one, list[0]);
    assert.equal((await request(sim, '/api/v2/flag-statuses/default/staging/nope')).status, 404);
  });
});

function keysOfModels(flags: FlagModel[]): string[] {
  return flags.map((f) => f.key);
}

void describe('tokens, entitlement and secrets', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ projects: 2, environments: 2, flags: 4, teams: 2, readerToken: 'api-custom-reader' });
  });
  after(async () => {
    await sim.close();
  });

  const endpoints = [
    '/api/v2/projects',
    '/api/v2/projects/default',
    '/api/v2/projects/default/environments',
    '/api/v2/tags',
    '/api/v2/teams',
    '/api/v2/teams/platform/maintainers',
    '/api/v2/flags/default',
    '/api/v2/flag-statuses/default/production',
    '/api/v2/members',
  ];

  void test('the reader token reads everything; missing, wrong and Bearer-prefixed tokens get 401', async () => {
    assert.equal(sim.readerToken, 'api-custom-reader');
    for (const endpoint of endpoints) {
      assert.equal((await request(sim, endpoint)).status, 200, endpoint);
      for (const token of [null, 'api-wrong', `Bearer ${sim.readerToken}`]) {
        const response = await request(sim, endpoint, { token });
        assert.equal(response.status, 401, `${endpoint} with ${token}`);
        assert.deepEqual(
          { code: asObject(response.body).code, message: asObject(response.body).message },
          { code: 'unauthorized', message: 'Invalid access token' },
        );
      }
    }
  });

  void test('the no-permission token gets 403 forbidden on every endpoint', async () => {
    for (const endpoint of endpoints) {
      const response = await request(sim, endpoint, { token: sim.noPermissionToken });
      assert.equal(response.status, 403, endpoint);
      assert.equal(asObject(response.body).code, 'forbidden');
    }
  });

  void test('the no-teams-permission token reads everything but teams: 403 forbidden on the teams endpoints only', async () => {
    for (const endpoint of endpoints) {
      const response = await request(sim, endpoint, { token: sim.noTeamsPermissionToken });
      const teams = endpoint.startsWith('/api/v2/teams');
      assert.equal(response.status, teams ? 403 : 200, endpoint);
      if (teams) assert.equal(asObject(response.body).code, 'forbidden');
    }
    // The plan still has Teams: the reader token reads them.
    assert.equal((await request(sim, '/api/v2/teams')).status, 200);
  });

  void test('teams entitlement: 404 or 405 (a plan without Teams) or 403 on teams and maintainers, and counts drop teams', async () => {
    assert.equal(sim.counts().teams, 2);
    for (const status of [403, 404, 405] as const) {
      sim.configure({ teamsEntitlement: status });
      for (const endpoint of ['/api/v2/teams', '/api/v2/teams/platform/maintainers', '/api/v2/teams/platform']) {
        const response = await request(sim, endpoint);
        assert.equal(response.status, status, endpoint);
        assert.equal(
          asObject(response.body).code,
          { 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed' }[status],
        );
      }
      assert.equal(sim.counts().teams, 0);
      assert.equal(sim.counts().teamMaintainers, 0);
    }
    sim.configure({ teamsEntitlement: 'entitled' });
    assert.equal((await request(sim, '/api/v2/teams')).status, 200);
  });

  void test('environments carry the secrets live responses carry (sdk key, mobile key, _pubnub)', async () => {
    for (const env of itemsOf((await request(sim, '/api/v2/projects/default/environments')).body)) {
      assert.match(env.apiKey as string, /^sdk-[0-9a-f-]{36}$/);
      assert.match(env.mobileKey as string, /^mob-[0-9a-f-]{36}$/);
      const pubnub = asObject(env._pubnub);
      assert.equal(typeof pubnub.channel, 'string');
      assert.equal(typeof pubnub.cipherKey, 'string');
    }
  });

  void test('unknown routes are 404, other methods 405, teams list rejects expand=roles under 20240415', async () => {
    assert.equal((await request(sim, '/api/v2/nothing-here')).status, 404);
    assert.equal((await request(sim, '/api/v2/projects', { method: 'DELETE' })).status, 405);
    assert.equal((await request(sim, '/api/v2/teams?expand=roles')).status, 400);
    assert.equal((await request(sim, '/api/v2/teams?expand=roles', { version: '20220603' })).status, 200);
  });
});

void describe('generated account', () => {
  void test('the same seed gives the same account and the same responses; another seed differs', async () => {
    const options = { seed: 42, projects: 2, environments: 3, flags: 12, teams: 2 };
    const [a, b, c] = await Promise.all([
      startSimulator(options),
      startSimulator(options),
      startSimulator({ ...options, seed: 43 }),
    ]);
    try {
      assert.deepEqual(a.account, b.account);
      assert.notDeepEqual(a.account, c.account);
      for (const target of [
        '/api/v2/projects',
        '/api/v2/projects/default/environments',
        '/api/v2/flags/default?env=production&env=test&summary=0',
        '/api/v2/flag-statuses/mobile-app/staging',
        '/api/v2/teams?expand=maintainers',
        '/api/v2/tags',
      ]) {
        assert.equal((await request(a, target)).text, (await request(b, target)).text, target);
      }
      // Growing one dimension keeps what was generated before it.
      const bigger = await startSimulator({ ...options, flags: 15 });
      try {
        assert.deepEqual(bigger.account.projects[0]?.flags.slice(0, 12), a.account.projects[0]?.flags);
      } finally {
        await bigger.close();
      }
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  void test('the default account has the variety a connector must handle', async () => {
    const sim = await startSimulator();
    try {
      const counts = sim.counts();
      assert.deepEqual(
        { projects: counts.projects, environments: counts.environments, flags: counts.flags, teams: counts.teams },
        { projects: 3, environments: 9, flags: 75, teams: 4 },
      );
      assert.equal(counts.teamMaintainers, 8);
      assert.equal(counts.flagEnvironments, 75 * 3);
      const flags = sim.account.projects.flatMap((p) => p.flags);
      const statuses = flags.flatMap((f) => Object.values(f.environments).map((e) => e.status));
      const environments = sim.account.projects.flatMap((p) => p.environments);
      const values = flags.flatMap((f) => f.variations.map((v) => v.value));
      const checks: Record<string, boolean> = {
        boolean: flags.some((f) => f.kind === 'boolean'),
        multivariate: flags.some((f) => f.kind === 'multivariate'),
        stringValues: values.some((v) => typeof v === 'string'),
        numberValues: values.some((v) => typeof v === 'number'),
        jsonValues: values.some((v) => typeof v === 'object' && v !== null),
        temporary: flags.some((f) => f.temporary),
        permanent: flags.some((f) => !f.temporary),
        archivedWithDate: flags.some((f) => f.archived && typeof f.archivedDate === 'number'),
        deprecated: flags.some((f) => f.deprecated && typeof f.deprecatedDate === 'number'),
        memberMaintained: flags.some((f) => f.maintainerId !== undefined),
        teamMaintained: flags.some((f) => f.maintainerTeamKey !== undefined),
        unicodeNames: flags.some((f) => /[^\u0020-\u007e]/.test(f.name)),
        keysWithDots: flags.some((f) => f.key.includes('.')),
        keysWithDashes: flags.some((f) => f.key.includes('-')),
        keysWithUnderscores: flags.some((f) => f.key.includes('_')),
        critical: environments.some((e) => e.critical),
        notCritical: environments.some((e) => !e.critical),
        projectTags: sim.account.projects.some((p) => p.tags.length > 0),
        environmentTags: environments.some((e) => e.tags.length > 0),
        flagTags: flags.some((f) => f.tags.length > 0),
        neverRequested: statuses.some((s) => s.lastRequested === null),
        requested: statuses.some((s) => typeof s.lastRequested === 'string'),
        withDefault: statuses.some((s) => 'default' in s),
        withoutDefault: statuses.some((s) => s.lastRequested !== null && !('default' in s)),
        rules: flags.some((f) => Object.values(f.environments).some((e) => e.rules.length > 0)),
        rollouts: flags.some((f) => Object.values(f.environments).some((e) => e.fallthrough.rollout !== undefined)),
      };
      for (const name of ['new', 'inactive', 'active', 'launched']) {
        checks[`status ${name}`] = statuses.some((s) => s.name === name);
      }
      assert.deepEqual(
        Object.entries(checks).filter(([, ok]) => !ok),
        [],
      );
      const tags = await crawl(sim, '/api/v2/tags?limit=1000');
      assert.equal(itemsOf(tags[0]?.body).length, counts.tags);
      const onlyProjects = itemsOf((await request(sim, '/api/v2/tags?kind=project&limit=100')).body);
      assert.deepEqual(onlyProjects, [...new Set(sim.account.projects.flatMap((p) => p.tags))].sort());
    } finally {
      await sim.close();
    }
  });

  void test('empty dimensions: no projects, environments, flags or teams', async () => {
    const empty = await startSimulator({ projects: 0, teams: 0 });
    const bare = await startSimulator({ projects: 1, environments: 0, flags: 3, teams: 0 });
    try {
      const projects = await request(empty, '/api/v2/projects');
      assert.deepEqual(asObject(projects.body), {
        _links: { self: { href: '/api/v2/projects?limit=20', type: 'application/json' } },
        items: [],
        totalCount: 0,
      });
      assert.deepEqual(itemsOf((await request(empty, '/api/v2/teams')).body), []);
      assert.deepEqual(empty.counts().flags, 0);
      const flags = itemsOf((await request(bare, '/api/v2/flags/default?archived=true')).body);
      assert.equal(flags.length, 3);
      for (const flag of flags) assert.equal(flag.maintainerTeamKey, undefined);
      assert.deepEqual(itemsOf((await request(bare, '/api/v2/projects/default/environments')).body), []);
      assert.equal(bare.counts().flagEnvironments, 0);
    } finally {
      await Promise.all([empty.close(), bare.close()]);
    }
  });

  void test('a large account generates and pages through every live flag', async () => {
    const sim = await startSimulator({ projects: 2, environments: 4, flags: 2000, teams: 10 });
    try {
      assert.equal(sim.counts().flags, 4000);
      const live = sim.account.projects[0]?.flags.filter((f) => !f.archived).map((f) => f.key);
      const pages = await crawl(sim, '/api/v2/flags/default?limit=100&env=production&env=staging&env=test');
      assert.deepEqual(
        pages.flatMap((p) => keysOf(itemsOf(p.body))),
        live,
      );
    } finally {
      await sim.close();
    }
  });
});

void describe('mutations', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ seed: 11, projects: 2, environments: 2, flags: 6, teams: 2, membersPerTeam: 2 });
  });
  after(async () => {
    await sim.close();
  });

  const flagBody = async (projectKey: string, flagKey: string): Promise<Json> =>
    asObject((await request(sim, `/api/v2/flags/${projectKey}/${flagKey}`)).body);

  void test('add, rename, toggle, archive, unarchive and delete a flag', async () => {
    const before = sim.counts();
    const added = sim.mutate.addFlag('default', { name: 'Brand new ✓', key: 'brand.new-flag_1' });
    assert.equal(sim.counts().flags, before.flags + 1);
    assert.equal(sim.counts().flagEnvironments, before.flagEnvironments + 2);
    assert.ok((await allFlagKeys(sim, 'default')).includes(added.key));
    assert.throws(() => sim.mutate.addFlag('default', { key: 'brand.new-flag_1' }), /already exists/);
    const generated = sim.mutate.addFlag('default');
    assert.ok(!sim.account.projects[0]?.flags.slice(0, -1).some((f) => f.key === generated.key));

    const version = (await flagBody('default', added.key))._version as number;
    sim.mutate.updateFlag('default', added.key, { name: 'Renamed', tags: ['renamed'] });
    const renamed = await flagBody('default', added.key);
    assert.equal(renamed.name, 'Renamed');
    assert.deepEqual(renamed.tags, ['renamed']);
    assert.equal(renamed._version, version + 1);
    const tags = asObject((await request(sim, '/api/v2/tags?limit=1000')).body).items as string[];
    assert.ok(tags.includes('renamed'));

    const model = sim.account.projects[0]?.flags.find((f) => f.key === added.key)?.environments.staging;
    assert.ok(model);
    const { on: wasOn, lastModified: modifiedBefore, version: configVersion } = model;
    sim.mutate.setFlagOn('default', added.key, 'staging', !wasOn);
    const staging = asObject(asObject((await flagBody('default', added.key)).environments).staging);
    assert.equal(staging.on, !wasOn);
    assert.equal(staging.version, configVersion + 1);
    assert.ok((staging.lastModified as number) > modifiedBefore);
    const production = asObject(asObject((await flagBody('default', added.key)).environments).production);
    assert.equal(
      production.on,
      sim.account.projects[0]?.flags.find((f) => f.key === added.key)?.environments.production?.on,
    );

    sim.mutate.archiveFlag('default', added.key);
    assert.ok(!(await allFlagKeys(sim, 'default')).includes(added.key));
    assert.ok((await allFlagKeys(sim, 'default', '&filter=state:archived')).includes(added.key));
    assert.equal(sim.counts().archivedFlags, before.archivedFlags + 1);
    const archived = await flagBody('default', added.key);
    assert.equal(archived.archived, true);
    assert.equal(typeof archived.archivedDate, 'number');

    sim.mutate.unarchiveFlag('default', added.key);
    assert.ok((await allFlagKeys(sim, 'default')).includes(added.key));
    assert.equal((await flagBody('default', added.key)).archivedDate, undefined);

    sim.mutate.deleteFlag('default', added.key);
    assert.equal((await request(sim, `/api/v2/flags/default/${added.key}`)).status, 404);
    const statuses = itemsOf((await request(sim, '/api/v2/flag-statuses/default/production')).body);
    assert.ok(!statuses.some((s) => linkHref(s, 'self')?.endsWith(`/${added.key}`)));
    assert.throws(() => sim.mutate.deleteFlag('default', added.key), /no flag/);
  });

  void test('change a flag status', async () => {
    const flag = sim.account.projects[0]?.flags[0];
    assert.ok(flag);
    sim.mutate.setFlagStatus('default', 'production', flag.key, 'launched', '2024-07-01T10:00:00.000Z');
    let status = asObject((await request(sim, `/api/v2/flag-statuses/default/production/${flag.key}`)).body);
    assert.equal(status.name, 'launched');
    assert.equal(status.lastRequested, '2024-07-01T10:00:00.000Z');
    sim.mutate.setFlagStatus('default', 'production', flag.key, 'new');
    status = asObject((await request(sim, `/api/v2/flag-statuses/default/production/${flag.key}`)).body);
    assert.equal(status.name, 'new');
    assert.equal(status.lastRequested, null);
    assert.equal('default' in status, false);
  });

  void test('add and remove projects and environments', async () => {
    const before = sim.counts();
    const project = sim.mutate.addProject({ key: 'added-project', name: 'Ajouté', environmentCount: 1, flagCount: 3 });
    assert.equal(sim.counts().projects, before.projects + 1);
    assert.equal(sim.counts().environments, before.environments + 1);
    assert.equal(sim.counts().flags, before.flags + 3);
    const listed = (await crawl(sim, '/api/v2/projects')).flatMap((p) => keysOf(itemsOf(p.body)));
    assert.ok(listed.includes(project.key));

    const env = sim.mutate.addEnvironment(project.key, { key: 'eu-west', name: 'EU West' });
    const envKeys = keysOf(itemsOf((await request(sim, `/api/v2/projects/${project.key}/environments`)).body));
    assert.deepEqual(envKeys, ['production', 'eu-west']);
    assert.equal(sim.counts().flagEnvironments, before.flagEnvironments + 3 * 2);
    const statuses = itemsOf((await request(sim, `/api/v2/flag-statuses/${project.key}/${env.key}`)).body);
    assert.equal(statuses.length, 3);
    const generatedEnv = sim.mutate.addEnvironment(project.key);
    assert.ok(!['production', 'eu-west'].includes(generatedEnv.key));

    sim.mutate.removeEnvironment(project.key, 'eu-west');
    assert.equal((await request(sim, `/api/v2/flag-statuses/${project.key}/eu-west`)).status, 404);
    const flags = itemsOf((await request(sim, `/api/v2/flags/${project.key}?env=eu-west&env=production`)).body);
    for (const flag of flags) assert.deepEqual(Object.keys(asObject(flag.environments)), ['production']);

    sim.mutate.removeProject(project.key);
    assert.equal((await request(sim, `/api/v2/projects/${project.key}`)).status, 404);
    assert.equal((await request(sim, `/api/v2/flags/${project.key}`)).status, 404);
    assert.deepEqual(sim.counts().projects, before.projects);
  });

  void test('add and remove teams and maintainers', async () => {
    const before = sim.counts();
    const team = sim.mutate.addTeam({ key: 'new-team', name: 'New team' });
    assert.equal(sim.counts().teams, before.teams + 1);
    assert.equal(sim.counts().teamMaintainers, before.teamMaintainers + 2);
    const teamKeys = keysOf(itemsOf((await request(sim, '/api/v2/teams')).body));
    assert.ok(teamKeys.includes('new-team'));

    const member = sim.mutate.addMaintainer(team.key, { firstName: 'Zoë', email: 'zoe@example.com' });
    let maintainers = itemsOf((await request(sim, `/api/v2/teams/${team.key}/maintainers`)).body);
    assert.equal(maintainers.length, 3);
    assert.ok(maintainers.some((m) => m._id === member._id && m.email === 'zoe@example.com'));
    const existing = sim.account.members.find((m) => !team.maintainerIds.includes(m._id));
    assert.ok(existing);
    sim.mutate.addMaintainer(team.key, existing._id);
    sim.mutate.removeMaintainer(team.key, member._id);
    maintainers = itemsOf((await request(sim, `/api/v2/teams/${team.key}/maintainers`)).body);
    assert.equal(maintainers.length, 3);
    assert.ok(!maintainers.some((m) => m._id === member._id));
    assert.throws(() => sim.mutate.removeMaintainer(team.key, member._id), /does not maintain/);

    const maintained = sim.account.projects[0]?.flags.find((f) => f.maintainerTeamKey !== undefined);
    assert.ok(maintained);
    const teamKey = maintained.maintainerTeamKey as string;
    sim.mutate.removeTeam(teamKey);
    assert.equal((await request(sim, `/api/v2/teams/${teamKey}/maintainers`)).status, 404);
    const flag = await flagBody('default', maintained.key);
    assert.equal(flag.maintainerTeamKey, undefined);
    assert.equal(flag._maintainerTeam, undefined);
    sim.mutate.removeTeam('new-team');
    assert.equal(sim.counts().teams, before.teams - 1);
  });

  void test('configure refuses to change the generated account', () => {
    assert.throws(() => sim.configure({ flags: 99 }), /fixed at start/);
    assert.throws(() => sim.configure({ faults: { errorRate: 2 } }), /between 0 and 1/);
  });
});
