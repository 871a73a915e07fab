// Behaviour the simulator does not stage, against a scripted HTTP server on 127.0.0.1: request
// headers, the offset safety net, next links to other hosts, the flag-status fallback to per-flag
// reads, a base URL with a path prefix, and option validation.
import assert from 'node:assert/strict';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { LaunchDarklyError, USER_AGENT, closeHttpPools, type Page } from '../src/launchdarkly';
import { CatalogClient } from './support/catalog-client';

type Route = (url: URL) => { status?: number; body: unknown } | undefined;

interface Scripted {
  baseUrl: string;
  requests: Array<{ url: string; headers: IncomingHttpHeaders }>;
  route: Route;
  close(): Promise<void>;
}

async function scriptedServer(): Promise<Scripted> {
  const scripted: Partial<Scripted> = { requests: [], route: () => undefined };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://scripted');
    scripted.requests!.push({ url: url.pathname + url.search, headers: req.headers });
    const reply = scripted.route!(url) ?? {
      status: 404,
      body: { code: 'not_found', message: 'Invalid resource identifier' },
    };
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  scripted.baseUrl = `http://127.0.0.1:${port}`;
  scripted.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return scripted as Scripted;
}

async function all<T>(pages: AsyncIterable<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page.items);
  return items;
}

const TOKEN = 'api-12345678-aaaa-4bbb-8ccc-dddddddddddd';
const project = (key: string) => ({ key, name: key.toUpperCase(), tags: [] });
const status = (flag: string, name = 'active') => ({
  name,
  lastRequested: null,
  _links: { parent: { href: `/api/v2/flags/p/${flag}` }, self: { href: `/api/v2/flag-statuses/p/e/${flag}` } },
});

describe('LaunchDarklyClient edge cases (scripted server)', { timeout: 60_000 }, () => {
  let server: Scripted;
  const client = (extra = {}) => new CatalogClient({ baseUrl: server.baseUrl, token: TOKEN, maxRetries: 0, ...extra });

  before(async () => {
    server = await scriptedServer();
  });
  after(async () => {
    await server.close();
    await closeHttpPools();
  });

  test('every request carries the raw token, the API version, Accept and User-Agent; pages ask for the largest size', async () => {
    server.requests.length = 0;
    server.route = (url) =>
      url.pathname === '/api/v2/projects' ? { body: { items: [project('a')], totalCount: 1 } } : undefined;
    await all(client().projects());
    const [request] = server.requests;
    assert.equal(request?.headers.authorization, TOKEN);
    assert.equal(request?.headers['ld-api-version'], '20240415');
    assert.equal(request?.headers.accept, 'application/json');
    assert.equal(request?.headers['user-agent'], USER_AGENT);
    assert.match(USER_AGENT, /^launchdarkly-sync\/\d+\.\d+\.\d+/);
    assert.equal(request?.url, '/api/v2/projects?limit=100&sort=createdOn');
  });

  test('a full page without a next link but with more in totalCount continues by offset', async () => {
    server.requests.length = 0;
    const names = Array.from({ length: 150 }, (_, i) => project(`p${i}`));
    server.route = (url) => {
      if (url.pathname !== '/api/v2/projects') return undefined;
      const offset = Number(url.searchParams.get('offset') ?? 0);
      return { body: { items: names.slice(offset, offset + 100), totalCount: 150 } };
    };
    const projects = await all(client().projects());
    assert.equal(projects.length, 150);
    assert.deepEqual(
      server.requests.map((r) => r.url),
      ['/api/v2/projects?limit=100&sort=createdOn', '/api/v2/projects?limit=100&sort=createdOn&offset=100'],
    );
  });

  test('a next link to another host is refused, not followed', async () => {
    server.route = () => ({
      body: {
        items: ['t1'],
        totalCount: 2,
        _links: { next: { href: 'https://collector.example/api/v2/tags?offset=1' } },
      },
    });
    await assert.rejects(all(client().tags()), (err: unknown) => {
      assert.ok(err instanceof LaunchDarklyError);
      assert.equal(err.type, 'upstream_unavailable');
      assert.match(err.message, /next-page link is unusable/);
      return true;
    });
  });

  test('flag statuses fall back to per-flag reads when the list endpoint answers 404, and resume by flag', async () => {
    server.requests.length = 0;
    server.route = (url) => {
      const m = url.pathname.match(/^\/api\/v2\/flag-statuses\/p\/e\/([^/]+)$/);
      if (m?.[1] === 'gone') return undefined; // deleted since the flag list was read: skipped
      return m ? { body: status(m[1]!) } : undefined;
    };
    const flagKeys = Array.from({ length: 60 }, (_, i) => (i === 10 ? 'gone' : `f${i}`));
    const pages: Array<Page<{ flagKey: string }>> = [];
    for await (const page of client().flagStatuses('p', 'e', { flagKeys })) pages.push(page);
    assert.equal(server.requests[0]?.url, '/api/v2/flag-statuses/p/e');
    assert.deepEqual(
      pages.map((p) => [p.items.length, p.next]),
      [
        [49, '/api/v2/flag-statuses/p/e/f50'],
        [10, null],
      ],
    );
    const resumed = await all(client().flagStatuses('p', 'e', { flagKeys, cursor: pages[0]!.next }));
    assert.deepEqual(
      resumed.map((s) => s.flagKey),
      flagKeys.slice(50),
    );
  });

  test('when the first flag is unknown too, the list endpoint’s 404 is the answer', async () => {
    server.route = () => undefined;
    await assert.rejects(all(client().flagStatuses('p', 'e', { flagKeys: ['a', 'b'] })), (err: unknown) => {
      assert.ok(err instanceof LaunchDarklyError);
      assert.deepEqual([err.type, err.endpoint], ['not_found', '/api/v2/flag-statuses/p/e']);
      return true;
    });
  });

  test('a base URL with a path prefix (a proxy) keeps it for every page; a base ending in /api/v2 is fine', async () => {
    server.requests.length = 0;
    server.route = (url) => {
      if (!url.pathname.startsWith('/ld/api/v2/tags')) return undefined;
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const next = offset === 0 ? { next: { href: '/api/v2/tags?limit=1000&offset=1' } } : {};
      return { body: { items: [`t${offset}`], totalCount: 2, _links: next } };
    };
    assert.deepEqual(await all(client({ baseUrl: `${server.baseUrl}/ld/api/v2/` }).tags()), ['t0', 't1']);
    assert.deepEqual(
      server.requests.map((r) => r.url),
      ['/ld/api/v2/tags?limit=1000', '/ld/api/v2/tags?limit=1000&offset=1'],
    );
  });

  test('400: upstream_unavailable with LaunchDarkly’s own words and the request id', async () => {
    server.route = () => ({ status: 400, body: { code: 'invalid_request', message: 'limit too large', id: 'req-42' } });
    await assert.rejects(all(client().tags()), (err: unknown) => {
      assert.ok(err instanceof LaunchDarklyError);
      assert.deepEqual([err.type, err.status, err.requestId], ['upstream_unavailable', 400, 'req-42']);
      assert.match(err.message, /LaunchDarkly says: invalid_request: limit too large/);
      return true;
    });
  });

  test('an envelope without items is a schema_mismatch', async () => {
    server.route = () => ({ body: { teams: [] } });
    await assert.rejects(all(client().teams()), (err: unknown) => {
      assert.ok(err instanceof LaunchDarklyError);
      assert.equal(err.type, 'schema_mismatch');
      assert.match(err.message, /^teams: the response: field items: expected array, got nothing/);
      return true;
    });
  });
});

test('options are validated without echoing the token', () => {
  const secret = 'api-with space';
  assert.throws(
    () => new CatalogClient({ token: secret }),
    (err: unknown) =>
      err instanceof TypeError && /one line without spaces/.test(err.message) && !err.message.includes(secret),
  );
  assert.throws(() => new CatalogClient({ token: '   ' }), /the token is empty/);
  assert.equal(new CatalogClient({ token: 't' }).baseUrl, 'https://app.launchdarkly.com');
  assert.equal(new CatalogClient({ token: 't', baseUrl: 'eu' }).baseUrl, 'https://app.eu.launchdarkly.com');
  assert.equal(new CatalogClient({ token: 't', baseUrl: 'federal' }).baseUrl, 'https://app.launchdarkly.us');
});
