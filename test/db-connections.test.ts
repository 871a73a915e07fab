// Token encryption (AES-256-GCM) and the connections repository against a real Postgres.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  EncryptionKeyError,
  generateEncryptionKey,
  parseEncryptionKey,
  TokenCipher,
  TokenDecryptionError,
} from '../src/crypto/token-cipher';
import {
  addConnection,
  ConnectionNotFoundError,
  getConnection,
  getConnectionToken,
  listConnections,
  removeConnection,
} from '../src/db/connections';
import { finishRun } from '../src/db/runs';
import { openStream } from '../src/db';
import { DATA_TABLES } from '../src/streams';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import { adminDatabaseUrl, completeStream, newRun, project, writePage } from './db-helpers';

const TOKEN = 'api-0123456789abcdef-secret';

describe('token cipher', () => {
  const cipher = TokenCipher.fromKeyText(generateEncryptionKey());

  test('round trip, with a fresh IV each time and no plaintext in the stored form', () => {
    const a = cipher.encrypt(TOKEN, 'acme');
    const b = cipher.encrypt(TOKEN, 'acme');
    assert.notEqual(a, b);
    assert.ok(!a.includes(TOKEN));
    assert.match(a, new RegExp(`^v1:${cipher.fingerprint}:[\\w-]+:[\\w-]+:[\\w-]+$`));
    assert.equal(cipher.decrypt(a, 'acme'), TOKEN);
    assert.equal(cipher.decrypt(b, 'acme'), TOKEN);
    assert.equal(cipher.decrypt(cipher.encrypt('', 'acme'), 'acme'), '');
  });

  test('keys: 64 hex characters or base64 of 32 bytes; anything else is a clear error that does not echo the key', () => {
    const raw = randomBytes(32);
    const fromHex = parseEncryptionKey(raw.toString('hex').toUpperCase());
    assert.deepEqual(fromHex, raw);
    assert.deepEqual(parseEncryptionKey(` ${raw.toString('base64')}\n`), raw);
    assert.deepEqual(parseEncryptionKey(raw.toString('base64url')), raw);
    assert.match(generateEncryptionKey(), /^[0-9a-f]{64}$/);
    const secret = 'not-a-key-but-maybe-secret';
    for (const bad of ['', 'abc', secret, randomBytes(16).toString('hex'), randomBytes(31).toString('base64')]) {
      assert.throws(
        () => parseEncryptionKey(bad),
        (err: unknown) =>
          err instanceof EncryptionKeyError &&
          /LDSYNC_ENCRYPTION_KEY must be 64 hex characters or the base64 of 32 bytes/.test(err.message) &&
          (bad === '' || !err.message.includes(bad)),
      );
    }
  });

  test('a token encrypted under another key names that key’s fingerprint', () => {
    const other = TokenCipher.fromKeyText(generateEncryptionKey());
    const stored = other.encrypt(TOKEN, 'acme');
    assert.throws(
      () => cipher.decrypt(stored, 'acme'),
      (err: unknown) =>
        err instanceof TokenDecryptionError &&
        err.reason === 'wrong_key' &&
        err.message.includes(
          `this token was encrypted with another LDSYNC_ENCRYPTION_KEY (fingerprint ${other.fingerprint})`,
        ) &&
        err.message.includes(cipher.fingerprint),
    );
    assert.match(other.fingerprint, /^[0-9a-f]{8}$/);
    assert.notEqual(other.fingerprint, cipher.fingerprint);
  });

  test('tampering with any part, or moving the ciphertext to another connection, is detected', () => {
    const stored = cipher.encrypt(TOKEN, 'acme');
    const parts = stored.split(':');
    for (const index of [2, 3, 4]) {
      const altered = [...parts];
      const part = altered[index] ?? '';
      altered[index] = (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
      assert.throws(
        () => cipher.decrypt(altered.join(':'), 'acme'),
        (err: unknown) => err instanceof TokenDecryptionError && err.reason === 'tampered',
        `part ${index}`,
      );
    }
    assert.throws(
      () => cipher.decrypt(stored, 'evil'),
      (err: unknown) => err instanceof TokenDecryptionError && err.reason === 'tampered',
    );
    assert.throws(
      () => cipher.decrypt('plain-token', 'acme'),
      (err: unknown) => err instanceof TokenDecryptionError && err.reason === 'unsupported_format',
    );
  });
});

describe('connections repository', () => {
  let db: IsolatedDatabase;
  let pool: pg.Pool;
  const cipher = TokenCipher.fromKeyText(generateEncryptionKey());

  before(async () => {
    db = await createIsolatedDatabase(adminDatabaseUrl(), 'connections');
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
  });

  after(async () => {
    await pool?.end();
    await db?.drop();
  });

  test('add stores the token encrypted; re-adding updates it; get never returns it', async () => {
    const added = await addConnection(pool, cipher, { id: 'acme', token: TOKEN });
    assert.equal(added.created, true);
    assert.equal(added.connection.name, 'acme');
    assert.equal(added.connection.baseUrl, 'https://app.launchdarkly.com');
    assert.equal(added.connection.apiVersion, '20240415');

    const stored = await pool.query<{ token_ciphertext: string }>('SELECT token_ciphertext FROM ldsync.connections');
    assert.ok(stored.rows[0] && !stored.rows[0].token_ciphertext.includes(TOKEN));
    assert.equal(await getConnectionToken(pool, cipher, 'acme'), TOKEN);

    const updated = await addConnection(pool, cipher, {
      id: 'acme',
      name: 'Acme EU',
      baseUrl: 'https://app.eu.launchdarkly.com/',
      apiVersion: '20220603',
      token: 'api-rotated',
    });
    assert.equal(updated.created, false);
    assert.equal(await getConnectionToken(pool, cipher, 'acme'), 'api-rotated');
    const connection = await getConnection(pool, 'acme');
    assert.ok(connection);
    assert.deepEqual(Object.keys(connection).sort(), ['apiVersion', 'baseUrl', 'createdAt', 'id', 'name', 'updatedAt']);
    assert.equal(connection.baseUrl, 'https://app.eu.launchdarkly.com', 'trailing slash removed');
    assert.equal(connection.name, 'Acme EU');
    assert.ok(connection.updatedAt >= connection.createdAt);
    assert.equal(await getConnection(pool, 'nope'), null);
  });

  test('ids, URLs and API versions are validated', async () => {
    for (const id of ['Acme', '-acme', 'a b', '', 'x'.repeat(64)]) {
      await assert.rejects(addConnection(pool, cipher, { id, token: TOKEN }), /connection id/, id);
    }
    await assert.rejects(addConnection(pool, cipher, { id: 'ok', baseUrl: 'ftp://x', token: TOKEN }), /http\(s\) URL/);
    await assert.rejects(
      addConnection(pool, cipher, { id: 'ok', apiVersion: '20160426' as '20240415', token: TOKEN }),
      /20240415, 20220603/,
    );
    await assert.rejects(addConnection(pool, cipher, { id: 'ok', token: '  ' }), /token is empty/);
    assert.ok('x'.repeat(63).match(/^[a-z0-9][a-z0-9._-]{0,62}$/));
  });

  test('a missing connection and a token under another key are typed errors', async () => {
    await assert.rejects(getConnectionToken(pool, cipher, 'ghost'), (err: unknown) => {
      return err instanceof ConnectionNotFoundError && err.connectionId === 'ghost';
    });
    const otherKey = TokenCipher.fromKeyText(generateEncryptionKey());
    await assert.rejects(
      getConnectionToken(pool, otherKey, 'acme'),
      (err: unknown) => err instanceof TokenDecryptionError && err.reason === 'wrong_key',
    );
  });

  test('list shows each connection with its latest run; remove keeps data unless purged', async () => {
    await addConnection(pool, cipher, { id: 'beta', token: TOKEN });
    const runId = await newRun(pool, 'beta');
    const key = { runId, connectionId: 'beta', stream: 'projects' as const, scope: '' };
    await openStream(pool, key);
    await writePage(pool, key, { cursor: null, requests: 1, writes: [{ table: 'projects', rows: [project('p')] }] });
    await completeStream(pool, key);
    await finishRun(pool, runId, { status: 'succeeded' });

    const list = await listConnections(pool);
    assert.deepEqual(
      list.map((c) => [c.id, c.lastRun?.status ?? null]),
      [
        ['acme', null],
        ['beta', 'succeeded'],
      ],
    );
    assert.equal(list[1]?.lastRun?.id, runId);
    assert.ok(!JSON.stringify(list).includes(TOKEN));

    const count = async (sql: string) => (await pool.query<{ n: number }>(sql, ['beta'])).rows[0]?.n;
    const dataRows = 'SELECT count(*)::int AS n FROM launchdarkly.projects WHERE connection_id = $1';
    const runRows = 'SELECT count(*)::int AS n FROM ldsync.sync_runs WHERE connection_id = $1';

    assert.deepEqual(await removeConnection(pool, 'beta'), { removed: true, purgedRows: 0 });
    assert.equal(await getConnection(pool, 'beta'), null);
    assert.equal(await count(dataRows), 1, 'data stays');
    assert.equal(await count(runRows), 1, 'run history stays');

    assert.deepEqual(await removeConnection(pool, 'beta', { purge: { dataTables: DATA_TABLES } }), {
      removed: false,
      purgedRows: 2,
    });
    assert.equal(await count(dataRows), 0);
    assert.equal(await count(runRows), 0);
    assert.deepEqual(await removeConnection(pool, 'beta'), { removed: false, purgedRows: 0 });
  });
});
