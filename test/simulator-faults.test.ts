// Rate limiting and injected faults of the simulator: the headers on normal responses, 429s
// with each header mode, window resets, every fault kind, route-limited faults, reproducibility
// of a fault sequence for a seed, and the latency knob.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Simulator, startSimulator } from '../src/simulator';
import { SpecValidator, asObject, itemsOf, request } from './simulator-helpers';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const small = { projects: 1, environments: 2, flags: 6, teams: 1 };

void describe('rate limits', () => {
  void test('normal responses report the remaining budgets and the reset time in epoch ms', async () => {
    const sim = await startSimulator({
      ...small,
      rateLimit: { globalPerWindow: 10, routePerWindow: 5, windowMs: 60_000 },
    });
    try {
      const before = Date.now();
      const first = await request(sim, '/api/v2/projects');
      const second = await request(sim, '/api/v2/projects');
      const other = await request(sim, '/api/v2/tags');
      assert.equal(first.headers.get('x-ratelimit-global-remaining'), '9');
      assert.equal(first.headers.get('x-ratelimit-route-remaining'), '4');
      assert.equal(second.headers.get('x-ratelimit-global-remaining'), '8');
      assert.equal(second.headers.get('x-ratelimit-route-remaining'), '3');
      assert.equal(other.headers.get('x-ratelimit-global-remaining'), '7');
      assert.equal(other.headers.get('x-ratelimit-route-remaining'), '4');
      const reset = Number(first.headers.get('x-ratelimit-reset'));
      assert.ok(reset > before && reset <= Date.now() + 60_000, `reset ${reset} is epoch ms within the window`);
    } finally {
      await sim.close();
    }
  });

  void test('a spent route budget gives 429 on that route only; a spent global budget on every route', async () => {
    const sim = await startSimulator({
      ...small,
      rateLimit: { globalPerWindow: 5, routePerWindow: 2, windowMs: 60_000 },
    });
    try {
      assert.equal((await request(sim, '/api/v2/projects')).status, 200);
      assert.equal((await request(sim, '/api/v2/projects')).status, 200);
      const limited = await request(sim, '/api/v2/projects');
      assert.equal(limited.status, 429);
      assert.deepEqual(
        { code: asObject(limited.body).code, message: asObject(limited.body).message },
        { code: 'rate_limited', message: "You've exceeded the API rate limit. Try again later." },
      );
      assert.equal(limited.headers.get('x-ratelimit-route-remaining'), '0');
      assert.ok(Number(limited.headers.get('x-ratelimit-reset')) > Date.now());
      assert.equal(limited.headers.get('retry-after'), null);
      assert.equal((await request(sim, '/api/v2/tags')).status, 200);
      assert.equal((await request(sim, '/api/v2/tags')).status, 200);
      assert.equal((await request(sim, '/api/v2/flags/default')).status, 200);
      const global = await request(sim, '/api/v2/teams');
      assert.equal(global.status, 429);
      assert.equal(global.headers.get('x-ratelimit-global-remaining'), '0');
      assert.equal(sim.stats().rateLimited, 2);
      assert.equal(sim.stats().status['429'], 2);
    } finally {
      await sim.close();
    }
  });

  void test('429 header modes: retry-after, both, and none (neither header)', async () => {
    const sim = await startSimulator({
      ...small,
      rateLimit: { globalPerWindow: 0, windowMs: 60_000, send429Headers: 'retry-after' },
    });
    try {
      let response = await request(sim, '/api/v2/projects');
      assert.equal(response.status, 429);
      const retryAfter = Number(response.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.equal(response.headers.get('x-ratelimit-reset'), null);

      sim.configure({ rateLimit: { send429Headers: 'both' } });
      response = await request(sim, '/api/v2/projects');
      assert.ok(response.headers.get('retry-after'));
      assert.ok(response.headers.get('x-ratelimit-reset'));

      sim.configure({ rateLimit: { send429Headers: 'none' } });
      response = await request(sim, '/api/v2/projects');
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), null);
      assert.equal(response.headers.get('x-ratelimit-reset'), null);
      assert.equal(asObject(response.body).code, 'rate_limited');
    } finally {
      await sim.close();
    }
  });

  void test('the budget comes back when the window resets', async () => {
    const sim = await startSimulator({ ...small, rateLimit: { globalPerWindow: 2, windowMs: 300 } });
    try {
      await request(sim, '/api/v2/projects');
      await request(sim, '/api/v2/projects');
      const limited = await request(sim, '/api/v2/projects');
      assert.equal(limited.status, 429);
      const reset = Number(limited.headers.get('x-ratelimit-reset'));
      await sleep(Math.max(0, reset - Date.now()) + 20);
      const after = await request(sim, '/api/v2/projects');
      assert.equal(after.status, 200);
      assert.equal(after.headers.get('x-ratelimit-global-remaining'), '1');
      assert.ok(Number(after.headers.get('x-ratelimit-reset')) > reset);
    } finally {
      await sim.close();
    }
  });

  void test('requests with a bad token are not counted against the account', async () => {
    const sim = await startSimulator({ ...small, rateLimit: { globalPerWindow: 1, windowMs: 60_000 } });
    try {
      assert.equal((await request(sim, '/api/v2/projects', { token: 'api-wrong' })).status, 401);
      assert.equal((await request(sim, '/api/v2/projects')).status, 200);
    } finally {
      await sim.close();
    }
  });
});

void describe('faults', () => {
  let sim: Simulator;
  const spec = new SpecValidator();
  before(async () => {
    sim = await startSimulator(small);
  });
  after(async () => {
    await sim.close();
  });

  void test('5xx: 500 and 503 with JSON bodies; 502 with an HTML body', async () => {
    sim.configure({ faults: { errorRate: 1, errorStatuses: [500, 503] } });
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const response = await request(sim, '/api/v2/projects');
      seen.add(response.status);
      assert.equal(
        asObject(response.body).code,
        response.status === 503 ? 'service_unavailable' : 'internal_server_error',
      );
    }
    assert.deepEqual([...seen].sort(), [500, 503]);
    sim.configure({ faults: { errorStatuses: [502] } });
    const html = await request(sim, '/api/v2/projects');
    assert.equal(html.status, 502);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(html.body, undefined);
    sim.configure({ faults: { errorRate: 0, errorStatuses: [500, 503] } });
    assert.equal((await request(sim, '/api/v2/projects')).status, 200);
  });

  void test('connection reset: the socket closes without a response', async () => {
    sim.configure({ faults: { resetRate: 1 } });
    try {
      await assert.rejects(request(sim, '/api/v2/projects'));
      assert.equal(sim.stats().status.reset !== undefined, true);
    } finally {
      sim.configure({ faults: { resetRate: 0 } });
    }
    assert.equal((await request(sim, '/api/v2/projects')).status, 200);
  });

  void test('malformed JSON: a 200 whose body does not parse', async () => {
    sim.configure({ faults: { malformedRate: 1 } });
    try {
      const response = await request(sim, '/api/v2/flags/default');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      assert.throws(() => JSON.parse(response.text) as unknown);
    } finally {
      sim.configure({ faults: { malformedRate: 0 } });
    }
  });

  void test('a field of the wrong type: flag kind 42, which the SPEC rejects', async () => {
    sim.configure({ faults: { wrongTypeRate: 1 } });
    try {
      const flags = await request(sim, '/api/v2/flags/default');
      assert.equal(itemsOf(flags.body)[0]?.kind, 42);
      assert.throws(() => spec.check('/api/v2/flags/{projectKey}', flags), /kind/);
      const tags = await request(sim, '/api/v2/tags');
      assert.equal(itemsOf(tags.body)[0], 42);
    } finally {
      sim.configure({ faults: { wrongTypeRate: 0 } });
    }
    const clean = await request(sim, '/api/v2/flags/default');
    assert.equal(typeof itemsOf(clean.body)[0]?.kind, 'string');
  });

  void test('slow responses and fixed latency delay the answer', async () => {
    sim.resetStats();
    sim.configure({ faults: { slowRate: 1, slowMs: 150 } });
    let started = Date.now();
    try {
      assert.equal((await request(sim, '/api/v2/projects')).status, 200);
    } finally {
      sim.configure({ faults: { slowRate: 0 } });
    }
    // Lower bounds only (a timer never fires early by more than a tick): no upper bound is asserted.
    assert.ok(Date.now() - started >= 140);
    assert.equal(sim.stats().faults.slow, 1);
    sim.configure({ latencyMs: 120 });
    started = Date.now();
    try {
      assert.equal((await request(sim, '/api/v2/tags')).status, 200);
    } finally {
      sim.configure({ latencyMs: 0 });
    }
    assert.ok(Date.now() - started >= 110);
  });

  void test('faults can be limited to a route pattern', async () => {
    sim.configure({ faults: { errorRate: 1, routes: /^\/api\/v2\/flags\// } });
    try {
      assert.equal((await request(sim, '/api/v2/projects')).status, 200);
      assert.equal((await request(sim, '/api/v2/flag-statuses/default/production')).status, 200);
      assert.ok((await request(sim, '/api/v2/flags/default')).status >= 500);
      sim.configure({ faults: { routes: null } });
      assert.ok((await request(sim, '/api/v2/projects')).status >= 500);
    } finally {
      sim.configure({ faults: { errorRate: 0, routes: null } });
    }
  });

  void test('a fault sequence is reproducible for a seed, and differs for another', async () => {
    const run = async (faultSeed: number): Promise<string> => {
      const seeded = await startSimulator({
        ...small,
        faults: { errorRate: 0.3, malformedRate: 0.2, wrongTypeRate: 0.2, seed: faultSeed },
      });
      try {
        const outcomes: string[] = [];
        for (let i = 0; i < 30; i++) {
          const response = await request(seeded, '/api/v2/flags/default');
          if (response.status !== 200) outcomes.push(String(response.status));
          else if (response.body === undefined) outcomes.push('malformed');
          else outcomes.push(String(itemsOf(response.body)[0]?.kind));
        }
        return outcomes.join(',');
      } finally {
        await seeded.close();
      }
    };
    const first = await run(5);
    assert.equal(await run(5), first);
    assert.notEqual(await run(6), first);
    assert.match(first, /50[03]/);
    assert.match(first, /malformed/);
    assert.match(first, /42/);
  });
});
