// Pure parts of LaunchDarkly paging: href joining, the offset safety net, de-duplication, cursors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LaunchDarklyError } from '../src/launchdarkly/errors';
import {
  type FetchedPage,
  buildHref,
  hrefOf,
  nextHrefAfter,
  normalizeBaseUrl,
  paginate,
  resolveHref,
} from '../src/launchdarkly/pagination';

const ref = { path: '/api/v2/things', label: 'things' };

async function collect<T>(pages: AsyncIterable<{ items: T[]; next: string | null }>) {
  const out: Array<{ items: T[]; next: string | null }> = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('base URL and hrefs', () => {
  test('hrefs carry /api/v2 and join the origin, not a base that already ends in /api/v2', () => {
    const base = normalizeBaseUrl('https://app.launchdarkly.com/api/v2/');
    assert.equal(base.href, 'https://app.launchdarkly.com/');
    assert.equal(
      resolveHref(base, '/api/v2/flags/p?limit=3&offset=3&summary=true').href,
      'https://app.launchdarkly.com/api/v2/flags/p?limit=3&offset=3&summary=true',
    );
  });

  test('a proxy path prefix is kept in requests and left out of cursors', () => {
    const base = normalizeBaseUrl('http://127.0.0.1:8080/ld/');
    assert.equal(
      resolveHref(base, '/api/v2/projects?limit=1').href,
      'http://127.0.0.1:8080/ld/api/v2/projects?limit=1',
    );
    assert.equal(hrefOf(base, 'http://127.0.0.1:8080/ld/api/v2/projects?offset=1'), '/api/v2/projects?offset=1');
  });

  test('links to another host are refused (the token would go there)', () => {
    const base = normalizeBaseUrl('https://app.launchdarkly.com');
    assert.throws(() => resolveHref(base, 'https://evil.example/api/v2/projects'), /not to the connection's host/);
    assert.throws(() => resolveHref(base, '//evil.example/api/v2/projects'), /not to the connection's host/);
    assert.equal(hrefOf(base, 'https://app.launchdarkly.com/api/v2/tags?limit=5'), '/api/v2/tags?limit=5');
  });

  test('buildHref repeats array params and skips undefined ones', () => {
    assert.equal(
      buildHref('/api/v2/flags/p', { limit: 100, env: ['a', 'b'], filter: undefined, sort: 'creationDate' }),
      '/api/v2/flags/p?limit=100&env=a&env=b&sort=creationDate',
    );
    assert.equal(buildHref('/api/v2/flag-statuses/p/e', {}), '/api/v2/flag-statuses/p/e');
  });
});

describe('nextHrefAfter', () => {
  test('follows the next link as given', () => {
    assert.equal(
      nextHrefAfter({ href: '/api/v2/x?limit=2', nextHref: '/api/v2/x?limit=2&offset=2&summary=true', itemCount: 2 }),
      '/api/v2/x?limit=2&offset=2&summary=true',
    );
  });

  test('continues by offset when a full page has no next link but totalCount says more remain', () => {
    assert.equal(
      nextHrefAfter({ href: '/api/v2/x?limit=2&env=a&offset=4', itemCount: 2, totalCount: 7 }),
      '/api/v2/x?limit=2&env=a&offset=6',
    );
    assert.equal(
      nextHrefAfter({ href: '/api/v2/x?limit=2', itemCount: 2, totalCount: 3 }),
      '/api/v2/x?limit=2&offset=2',
    );
  });

  test('stops on a short page, at the total, without a total, or without an explicit limit', () => {
    assert.equal(nextHrefAfter({ href: '/api/v2/x?limit=2', itemCount: 1, totalCount: 7 }), null);
    assert.equal(nextHrefAfter({ href: '/api/v2/x?limit=2&offset=4', itemCount: 2, totalCount: 6 }), null);
    assert.equal(nextHrefAfter({ href: '/api/v2/x?limit=2', itemCount: 2 }), null);
    assert.equal(nextHrefAfter({ href: '/api/v2/x', itemCount: 20, totalCount: 50 }), null);
  });
});

describe('paginate', () => {
  function server(pages: Record<string, FetchedPage<string>>) {
    const requested: string[] = [];
    return {
      requested,
      fetchPage: async (href: string) => {
        requested.push(href);
        const page = pages[href];
        if (!page) throw new Error(`unexpected ${href}`);
        return page;
      },
    };
  }

  test('yields each page with the cursor after it, and drops items seen on an earlier page', async () => {
    const s = server({
      '/a?limit=2': { items: ['x', 'y'], nextHref: '/a?limit=2&offset=2', totalCount: 5 },
      // an item inserted before the window shifted 'y' onto this page too
      '/a?limit=2&offset=2': { items: ['y', 'z'], nextHref: '/a?limit=2&offset=4', totalCount: 5 },
      '/a?limit=2&offset=4': { items: ['w'], totalCount: 5 },
    });
    const pages = await collect(paginate({ ref, firstHref: '/a?limit=2', keyOf: (k) => k, fetchPage: s.fetchPage }));
    assert.deepEqual(pages, [
      { items: ['x', 'y'], next: '/a?limit=2&offset=2', totalCount: 5 },
      { items: ['z'], next: '/a?limit=2&offset=4', totalCount: 5 },
      { items: ['w'], next: null, totalCount: 5 },
    ]);
  });

  test('starts from a saved cursor', async () => {
    const s = server({ '/a?limit=2&offset=4': { items: ['w'] } });
    const pages = await collect(
      paginate({
        ref,
        firstHref: '/a?limit=2',
        cursor: '/a?limit=2&offset=4',
        keyOf: (k) => k,
        fetchPage: s.fetchPage,
      }),
    );
    assert.deepEqual(s.requested, ['/a?limit=2&offset=4']);
    assert.deepEqual(pages, [{ items: ['w'], next: null }]);
  });

  test('uses the offset safety net when next links are missing', async () => {
    const s = server({
      '/a?limit=2': { items: ['x', 'y'], totalCount: 3 },
      '/a?limit=2&offset=2': { items: ['z'], totalCount: 3 },
    });
    const pages = await collect(paginate({ ref, firstHref: '/a?limit=2', keyOf: (k) => k, fetchPage: s.fetchPage }));
    assert.deepEqual(s.requested, ['/a?limit=2', '/a?limit=2&offset=2']);
    assert.deepEqual(
      pages.map((p) => p.items),
      [['x', 'y'], ['z']],
    );
  });

  test('a next link that loops back is an upstream error, not a silently short pass', async () => {
    const s = server({
      '/a?limit=1': { items: ['x'], nextHref: '/a?limit=1&offset=1' },
      '/a?limit=1&offset=1': { items: ['y'], nextHref: '/a?limit=1' },
    });
    await assert.rejects(
      collect(paginate({ ref, firstHref: '/a?limit=1', keyOf: (k) => k, fetchPage: s.fetchPage })),
      (err: unknown) =>
        err instanceof LaunchDarklyError && err.type === 'upstream_unavailable' && /loops back/.test(err.message),
    );
  });
});
