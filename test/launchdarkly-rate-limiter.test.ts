// The client-side rate limiter: what it learns from headers, when it holds requests back, how it
// backs off after a 429, and that waits are abortable and reported.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RateLimiter, rateLimiterFor, sleep, waitUntil } from '../src/launchdarkly/rate-limiter';

const ROUTE = 'GET /api/v2/flags/{projectKey}';

/** One request on `route` answered with `headers`. */
async function respond(limiter: RateLimiter, route: string, headers: Record<string, string>) {
  limiter.observe(await limiter.acquire(route), headers);
}

async function refuse(limiter: RateLimiter, route: string, headers: Record<string, string>) {
  return limiter.rateLimited(await limiter.acquire(route), headers);
}

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('RateLimiter decisions (fake clock)', { timeout: 10_000 }, () => {
  test('no headers seen: nothing blocks', () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    assert.equal(limiter.blockFor(ROUTE), null);
  });

  test('blocks until the reset (+ margin) when the global budget is down to one', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, marginMs: 100 });
    const reset = c.now() + 4_000;
    await respond(limiter, ROUTE, { 'x-ratelimit-global-remaining': '1', 'x-ratelimit-reset': String(reset) });
    assert.deepEqual(limiter.blockFor('GET /api/v2/tags'), {
      until: reset + 100,
      reason: 'account rate limit budget spent; waiting for its reset',
    });
    c.advance(4_001);
    assert.equal(limiter.blockFor('GET /api/v2/tags'), null, 'a past reset means a fresh window');
  });

  test('a spent route budget blocks only that route', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, marginMs: 0 });
    const reset = c.now() + 2_000;
    await respond(limiter, ROUTE, {
      'x-ratelimit-global-remaining': '50',
      'x-ratelimit-route-remaining': '0',
      'x-ratelimit-reset': String(reset),
    });
    assert.equal(limiter.blockFor(ROUTE)?.until, reset);
    assert.equal(limiter.blockFor('GET /api/v2/tags'), null);
  });

  test('a reset in seconds is read as seconds; older windows do not overwrite newer ones', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, marginMs: 0 });
    const resetSeconds = Math.floor(c.now() / 1000) + 5;
    const [recent, late] = [await limiter.acquire(ROUTE), await limiter.acquire(ROUTE)];
    limiter.observe(recent, { 'x-ratelimit-global-remaining': '0', 'x-ratelimit-reset': String(resetSeconds) });
    assert.equal(limiter.blockFor(ROUTE)?.until, resetSeconds * 1000);
    // a late response from the previous window
    limiter.observe(late, { 'x-ratelimit-global-remaining': '80', 'x-ratelimit-reset': String(c.now() - 10) });
    assert.equal(limiter.blockFor(ROUTE)?.until, resetSeconds * 1000);
  });

  test('requests sent after a response and still in flight are not in its Remaining yet', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, marginMs: 0 });
    const reset = String(c.now() + 5_000);
    const [first, second, third] = [
      await limiter.acquire(ROUTE),
      await limiter.acquire(ROUTE),
      await limiter.acquire(ROUTE),
    ];
    // the server answered `first` before it saw the other two: 3 left then, 1 once they arrive
    limiter.observe(first, { 'x-ratelimit-global-remaining': '3', 'x-ratelimit-reset': reset });
    assert.notEqual(limiter.blockFor(ROUTE), null);
    limiter.observe(second, { 'x-ratelimit-global-remaining': '2', 'x-ratelimit-reset': reset });
    limiter.release(third);
    assert.notEqual(limiter.blockFor(ROUTE), null, 'the lower estimate of the same window stands');
  });

  test('429: Retry-After wins, then the reset, then ~10 s with jitter; every request pauses', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, marginMs: 100, random: () => 0.5 });
    const retry = await refuse(limiter, ROUTE, { 'retry-after': '3', 'x-ratelimit-reset': String(c.now() + 9_000) });
    assert.equal(retry.until, c.now() + 3_000 + 50);
    assert.equal(limiter.blockFor('GET /api/v2/tags')?.until, retry.until);

    c.advance(20_000);
    const reset = await refuse(limiter, ROUTE, { 'x-ratelimit-reset': String(c.now() + 1_500) });
    assert.equal(reset.until, c.now() + 1_500 + 100);

    c.advance(20_000);
    const fallback = await refuse(limiter, ROUTE, {});
    assert.equal(fallback.waitMs, 10_000 * 1.1);
    assert.equal(limiter.stats().rateLimited, 3);
  });

  test('a reset far in the future (clock skew) is capped', async () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, marginMs: 0, maxResetWaitMs: 60_000 });
    const wait = await refuse(limiter, ROUTE, { 'x-ratelimit-reset': String(c.now() + 3_600_000) });
    assert.equal(wait.waitMs, 60_000);
  });
});

describe('RateLimiter.acquire (real time, short windows)', { timeout: 10_000 }, () => {
  test('concurrent requests spend the known budget, and the rest wait for the reset', async () => {
    const limiter = new RateLimiter({ marginMs: 5 });
    const reset = Date.now() + 150;
    await respond(limiter, ROUTE, { 'x-ratelimit-global-remaining': '3', 'x-ratelimit-reset': String(reset) });
    const startedAt: number[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        limiter.release(await limiter.acquire(ROUTE));
        startedAt.push(Date.now());
      }),
    );
    // remaining 3: two go at once (the last request of a window is never spent), two wait for the reset
    assert.equal(startedAt.filter((t) => t < reset).length, 2);
    assert.equal(startedAt.filter((t) => t >= reset).length, 2);
    assert.equal(limiter.stats().requests, 5);
    assert.ok(limiter.stats().waitedMs > 0);
  });

  test('waits are reported through onWait and abortable', async () => {
    const limiter = new RateLimiter({ marginMs: 0 });
    await refuse(limiter, ROUTE, { 'retry-after': '30' });
    const controller = new AbortController();
    const seen: Array<{ until: number; reason: string }> = [];
    const pending = limiter.acquire(ROUTE, { signal: controller.signal, onWait: (info) => seen.push(info) });
    await sleep(20);
    controller.abort(new Error('cancelled by test'));
    await assert.rejects(pending, /cancelled by test/);
    assert.equal(seen.length, 1);
    assert.match(seen[0]!.reason, /Retry-After 30 s/);
    assert.ok(seen[0]!.until >= Date.now() + 25_000);
  });

  test('waitUntil re-notifies during long waits so a heartbeating caller stays alive', async () => {
    const seen: number[] = [];
    await waitUntil(Date.now() + 60, 'test', { notifyIntervalMs: 20, onWait: (i) => seen.push(i.until) });
    assert.ok(seen.length >= 2, `expected repeated notifications, got ${seen.length}`);
    assert.equal(new Set(seen).size, 1, 'every notification names the same end');
  });
});

test('rateLimiterFor shares one limiter per key', () => {
  const a = rateLimiterFor('https://app.launchdarkly.com#conn-a');
  assert.equal(rateLimiterFor('https://app.launchdarkly.com#conn-a'), a);
  assert.notEqual(rateLimiterFor('https://app.launchdarkly.com#conn-b'), a);
});
