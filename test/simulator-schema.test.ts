// Every endpoint's responses (several pages, summary and full flags, 20220603 flags, errors) are
// checked against LaunchDarkly's OpenAPI subset, and against the SPEC's field names: a field the
// SPEC does not know fails the test unless live responses are known to carry it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Simulator, startSimulator } from '../src/simulator';
import { type JsonResponse, SpecValidator, asObject, crawl, itemsOf, request } from './simulator-helpers';

void describe('simulator responses match the OpenAPI subset', () => {
  let sim: Simulator;
  const spec = new SpecValidator();

  before(async () => {
    sim = await startSimulator({ seed: 7, projects: 3, environments: 4, flags: 30, teams: 3, membersPerTeam: 3 });
  });
  after(async () => {
    await sim.close();
  });

  const checkAll = (template: string, pages: JsonResponse[]): void => {
    for (const page of pages) spec.check(template, page);
  };

  void test('the validator rejects a wrong shape and an unknown field (so the checks below can fail)', () => {
    assert.notDeepEqual(spec.problems('FeatureFlag', { key: 'k' }), []);
    assert.notDeepEqual(
      spec.problems('Project', {
        _id: 'x',
        _links: {},
        includeInSnippetByDefault: false,
        key: 'k',
        name: 'n',
        tags: [],
        colour: 'red',
      }),
      [],
    );
    assert.deepEqual(
      spec.problems('Project', {
        _id: 'x',
        _links: {},
        includeInSnippetByDefault: false,
        key: 'k',
        name: 'n',
        tags: [],
      }),
      [],
    );
  });

  void test('projects: every page, with and without expand=environments, and one project', async () => {
    const pages = await crawl(sim, '/api/v2/projects?limit=2');
    assert.equal(pages.length, 2);
    checkAll('/api/v2/projects', pages);
    checkAll('/api/v2/projects', await crawl(sim, '/api/v2/projects?expand=environments&sort=-name'));
    spec.check('/api/v2/projects/{projectKey}', await request(sim, '/api/v2/projects/default?expand=environments'));
  });

  void test('environments: every page and one environment (secrets included, as live)', async () => {
    for (const project of sim.account.projects) {
      const pages = await crawl(sim, `/api/v2/projects/${project.key}/environments?limit=3`);
      assert.equal(pages.length, 2);
      checkAll('/api/v2/projects/{projectKey}/environments', pages);
    }
    spec.check(
      '/api/v2/projects/{projectKey}/environments/{environmentKey}',
      await request(sim, '/api/v2/projects/default/environments/production'),
    );
  });

  void test('tags: every page', async () => {
    const pages = await crawl(sim, '/api/v2/tags?limit=4');
    assert.ok(pages.length >= 3);
    checkAll('/api/v2/tags', pages);
  });

  void test('teams, one team and its maintainers, with expansions', async () => {
    checkAll('/api/v2/teams', await crawl(sim, '/api/v2/teams?limit=2'));
    checkAll('/api/v2/teams', await crawl(sim, '/api/v2/teams?limit=1&expand=members,maintainers,roleAttributes'));
    spec.check(
      '/api/v2/teams/{teamKey}',
      await request(sim, '/api/v2/teams/platform?expand=roles,projects,maintainers'),
    );
    for (const team of sim.account.teams) {
      const pages = await crawl(sim, `/api/v2/teams/${team.key}/maintainers?limit=2`);
      assert.equal(pages.length, 2);
      checkAll('/api/v2/teams/{teamKey}/maintainers', pages);
    }
  });

  void test('flags: summary pages, full targeting, archived, 20220603, and one flag', async () => {
    const template = '/api/v2/flags/{projectKey}';
    for (const project of sim.account.projects) {
      checkAll(template, await crawl(sim, `/api/v2/flags/${project.key}?limit=7`));
      checkAll(template, await crawl(sim, `/api/v2/flags/${project.key}?limit=10&env=production&env=staging&env=test`));
      checkAll(template, await crawl(sim, `/api/v2/flags/${project.key}?limit=10&env=production&env=qa&summary=0`));
      checkAll(template, await crawl(sim, `/api/v2/flags/${project.key}?filter=state:archived&env=production`));
    }
    const old = await crawl(sim, '/api/v2/flags/default?limit=500&summary=false', { version: '20220603' });
    assert.equal(old.length, 1);
    checkAll(template, old);
    for (const flag of sim.account.projects[0]?.flags ?? []) {
      spec.check(
        '/api/v2/flags/{projectKey}/{featureFlagKey}',
        await request(sim, `/api/v2/flags/default/${flag.key}`),
      );
    }
  });

  void test('flag statuses: lists for every environment, one status, and across environments', async () => {
    for (const project of sim.account.projects) {
      for (const environment of project.environments) {
        const list = await request(sim, `/api/v2/flag-statuses/${project.key}/${environment.key}`);
        spec.check('/api/v2/flag-statuses/{projectKey}/{environmentKey}', list);
        assert.equal(itemsOf(list.body).length, project.flags.length);
      }
    }
    const flag = sim.account.projects[0]?.flags[0];
    assert.ok(flag);
    spec.check(
      '/api/v2/flag-statuses/{projectKey}/{environmentKey}/{featureFlagKey}',
      await request(sim, `/api/v2/flag-statuses/default/production/${flag.key}`),
    );
    spec.check(
      '/api/v2/flag-status/{projectKey}/{featureFlagKey}',
      await request(sim, `/api/v2/flag-status/default/${flag.key}`),
    );
  });

  void test('members, filtered by team', async () => {
    checkAll('/api/v2/members', await crawl(sim, '/api/v2/members?limit=4'));
    const page = await request(sim, '/api/v2/members?filter=team:platform');
    spec.check('/api/v2/members', page);
    assert.ok(itemsOf(page.body).length >= 3);
  });

  void test('errors: 400, 401, 403, 404, 405 and 429 bodies match the SPEC error schemas', async () => {
    const cases: Array<[string, JsonResponse, number, string]> = [
      ['/api/v2/flags/{projectKey}', await request(sim, '/api/v2/flags/default?limit=abc'), 400, 'invalid_request'],
      [
        '/api/v2/flags/{projectKey}',
        await request(sim, '/api/v2/flags/default?env=a&env=b&env=c&env=d'),
        400,
        'invalid_request',
      ],
      ['/api/v2/projects', await request(sim, '/api/v2/projects', { token: 'api-wrong' }), 401, 'unauthorized'],
      ['/api/v2/tags', await request(sim, '/api/v2/tags', { token: null }), 401, 'unauthorized'],
      ['/api/v2/projects', await request(sim, '/api/v2/projects', { token: sim.noPermissionToken }), 403, 'forbidden'],
      ['/api/v2/flags/{projectKey}', await request(sim, '/api/v2/flags/nope'), 404, 'not_found'],
      [
        '/api/v2/flag-statuses/{projectKey}/{environmentKey}',
        await request(sim, '/api/v2/flag-statuses/default/nope'),
        404,
        'not_found',
      ],
      ['/api/v2/teams/{teamKey}/maintainers', await request(sim, '/api/v2/teams/nope/maintainers'), 404, 'not_found'],
      ['/api/v2/teams', await request(sim, '/api/v2/teams', { method: 'POST' }), 405, 'method_not_allowed'],
    ];
    for (const [template, response, status, code] of cases) {
      assert.equal(response.status, status, `${template}: ${response.text}`);
      assert.equal(asObject(response.body).code, code);
      spec.check(template, response);
    }

    const limited = await startSimulator({
      projects: 1,
      flags: 1,
      rateLimit: { globalPerWindow: 1, windowMs: 60_000 },
    });
    try {
      assert.equal((await request(limited, '/api/v2/projects')).status, 200);
      const response = await request(limited, '/api/v2/projects');
      assert.equal(response.status, 429);
      assert.equal(asObject(response.body).code, 'rate_limited');
      spec.check('/api/v2/projects', response);
    } finally {
      await limited.close();
    }
  });
});
