// Which database errors are "Postgres unreachable" (retried on a time budget) and which are about the
// statement (never retried), with real errors from node-postgres; the retry loop's budget and abort.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { databaseRetryFromEnv } from '../activities/database';
import { loadEnv } from '../src/config';
import { toApplicationFailure } from '../activities/failures';
import { TokenCipher, generateEncryptionKey, parseEncryptionKey } from '../src/crypto/token-cipher';
import {
  addConnection,
  DatabaseUnavailableError,
  DEFAULT_DATABASE_RETRY_BUDGET_MS,
  getConnectionToken,
  isDatabaseUnavailable,
  isDataException,
  StreamStateError,
  withDatabaseRetry,
} from '../src/db';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import { adminDatabaseUrl } from './db-helpers';

/** A port nothing listens on: connecting is refused at once. */
const REFUSED_URL = 'postgres://postgres@127.0.0.1:1/postgres';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

let db: IsolatedDatabase;
let pool: pg.Pool;
before(async () => {
  db = await createIsolatedDatabase(adminDatabaseUrl(), 'db_errors');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});
after(async () => {
  await pool?.end();
  await db?.drop();
});

describe('classification', () => {
  test('a refused connection is "unavailable"; a statement Postgres refuses is not', async () => {
    const refused = new pg.Pool({ connectionString: REFUSED_URL, connectionTimeoutMillis: 2_000 });
    const err = await errorOf(refused.query('SELECT 1'));
    await refused.end();
    assert.ok(isDatabaseUnavailable(err), String(err));

    const syntax = await errorOf(pool.query('SELEC 1'));
    assert.equal(isDatabaseUnavailable(syntax), false);
    const nul = await errorOf(pool.query(`SELECT '{"a": "\\u0000"}'::jsonb ->> 'a'`));
    assert.equal(isDatabaseUnavailable(nul), false);
    assert.ok(isDataException(nul), `class 22: ${String((nul as { code?: string }).code)}`);
  });

  test('a connection terminated by the server (pg_terminate_backend) is "unavailable"', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    client.on('error', () => undefined);
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    const err = await errorOf(client.query('SELECT 1'));
    await client.end().catch(() => undefined);
    assert.ok(isDatabaseUnavailable(err), String(err));
  });

  test('activities type them: database_unavailable (retryable, names Postgres), token_undecryptable, run_closed', async () => {
    const refused = new pg.Pool({ connectionString: REFUSED_URL });
    const down = toApplicationFailure(await errorOf(refused.query('SELECT 1')), { connectionId: 'c', what: 'tags' });
    await refused.end();
    assert.equal(down.type, 'database_unavailable');
    assert.equal(down.nonRetryable, false);
    assert.match(
      down.message,
      /^connection "c": tags: Postgres is unreachable \(.*ECONNREFUSED.*\)\. Check that Postgres/,
    );
    assert.match(down.message, /DATABASE_URL/);

    const cipher = new TokenCipher(parseEncryptionKey(generateEncryptionKey()));
    const other = new TokenCipher(parseEncryptionKey(generateEncryptionKey()));
    await addConnection(pool, cipher, { id: 'wrongkey', baseUrl: 'https://app.launchdarkly.com', token: 'api-x' });
    const wrongKey = toApplicationFailure(await errorOf(getConnectionToken(pool, other, 'wrongkey')), {
      connectionId: 'wrongkey',
      what: 'tags',
    });
    assert.equal(wrongKey.type, 'token_undecryptable');
    assert.equal(wrongKey.nonRetryable, true);
    assert.match(wrongKey.message, /LDSYNC_ENCRYPTION_KEY/);
    assert.doesNotMatch(wrongKey.message, /api-x/);

    const closed = toApplicationFailure(new StreamStateError('run r is succeeded', 'run_not_running'), {
      connectionId: 'c',
      what: 'tags',
    });
    assert.deepEqual([closed.type, closed.nonRetryable], ['run_closed', true]);

    const data = toApplicationFailure(await errorOf(pool.query(`SELECT '\\u0000'::jsonb`)), {
      connectionId: 'c',
      what: 'tags',
    });
    assert.deepEqual([data.type, data.nonRetryable], ['schema_mismatch', true], data.message);
  });
});

describe('withDatabaseRetry', () => {
  test('retries while Postgres is unreachable, then succeeds; statement errors are thrown at once', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await withDatabaseRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        return 'ok';
      },
      { budgetMs: 10_000, baseDelayMs: 5, onRetry: (i) => waits.push(i.delayMs) },
    );
    assert.equal(result, 'ok');
    assert.equal(calls, 3);
    assert.deepEqual(waits, [5, 10]);

    let statementCalls = 0;
    await assert.rejects(
      withDatabaseRetry(
        async () => {
          statementCalls += 1;
          return pool.query('SELEC 1');
        },
        { budgetMs: 10_000, baseDelayMs: 5 },
      ),
      /syntax error/,
    );
    assert.equal(statementCalls, 1);
  });

  test('past the budget it throws DatabaseUnavailableError with the last cause; an abort stops it at once', async () => {
    const refused = new pg.Pool({ connectionString: REFUSED_URL });
    const started = Date.now();
    const err = await errorOf(withDatabaseRetry(() => refused.query('SELECT 1'), { budgetMs: 300, baseDelayMs: 20 }));
    assert.ok(err instanceof DatabaseUnavailableError, String(err));
    assert.ok(err.attempts >= 3 && err.elapsedMs >= 300, `${err.attempts} attempts in ${err.elapsedMs} ms`);
    assert.ok(Date.now() - started < 5_000);
    assert.match(err.message, /Postgres stayed unreachable for 0 s .*ECONNREFUSED/);

    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    await assert.rejects(
      withDatabaseRetry(() => refused.query('SELECT 1'), { budgetMs: 60_000, signal: controller.signal }),
      /activity cancelled/,
    );
    await refused.end();
  });

  test('the default budget rides out at least 5 minutes; LDSYNC_DATABASE_RETRY_SECONDS sets it', () => {
    assert.ok(DEFAULT_DATABASE_RETRY_BUDGET_MS >= 5 * 60_000);
    assert.deepEqual(databaseRetryFromEnv(loadEnv({})), { budgetMs: DEFAULT_DATABASE_RETRY_BUDGET_MS });
    assert.deepEqual(databaseRetryFromEnv(loadEnv({ LDSYNC_DATABASE_RETRY_SECONDS: '600' })), { budgetMs: 600_000 });
    assert.deepEqual(databaseRetryFromEnv(loadEnv({ LDSYNC_DATABASE_RETRY_SECONDS: '0' })), { budgetMs: 0 });
    assert.throws(
      () => loadEnv({ LDSYNC_DATABASE_RETRY_SECONDS: '5m' }),
      /LDSYNC_DATABASE_RETRY_SECONDS: a whole number of seconds/,
    );
  });
});
