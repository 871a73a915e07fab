// `ldsync migrate` and `ldsync connections ...` as a user runs them: `node bin/ldsync.js` in a child
// process, against an isolated database.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { generateEncryptionKey, TokenCipher } from '../src/crypto/token-cipher';
import { getConnectionToken } from '../src/db/connections';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import { adminDatabaseUrl } from './db-helpers';
import { runCli, type CliResult } from './support/cli';

const TOKEN = 'api-cli-test-token-0123456789';
const KEY = generateEncryptionKey();

let db: IsolatedDatabase;
let dataDir: string;

before(async () => {
  db = await createIsolatedDatabase(adminDatabaseUrl(), 'cli');
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ldsync-cli-'));
});

after(async () => {
  await db?.drop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

type Result = CliResult;

function ldsync(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<Result> {
  return runCli(
    args,
    { DATABASE_URL: db.url, LDSYNC_ENCRYPTION_KEY: KEY, LDSYNC_DATA_DIR: dataDir, ...options.env },
    options.stdin,
  );
}

function assertFails(result: Result, message: RegExp, code = 1): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  assert.match(result.stderr, message);
  assert.ok(!result.stdout.includes(TOKEN) && !result.stderr.includes(TOKEN), 'the token is never printed');
}

test('migrate reports an up-to-date schema', async () => {
  const result = await ldsync(['migrate']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'database schema is up to date');
});

test('connections add, list, re-add and remove', async () => {
  const added = await ldsync(
    ['connections', 'add', 'acme', '--token-env', 'LD_TOKEN', '--name', 'Acme', '--no-check'],
    {
      env: { LD_TOKEN: TOKEN },
    },
  );
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /added connection "acme" \(https:\/\/app\.launchdarkly\.com, API 20240415\)/);

  const piped = await ldsync(
    [
      'connections',
      'add',
      'eu',
      '--token-stdin',
      '--base-url',
      'https://app.eu.launchdarkly.com/',
      '--api-version',
      '20220603',
    ],
    { stdin: `${TOKEN}-eu\n` },
  );
  assert.equal(piped.code, 0, piped.stderr);

  const readded = await ldsync(['connections', 'add', 'acme', '--token-env', 'LD_TOKEN', '--no-check'], {
    env: { LD_TOKEN: `${TOKEN}-rotated` },
  });
  assert.equal(readded.code, 0, readded.stderr);
  assert.match(readded.stdout, /updated connection "acme"/);

  const listed = await ldsync(['connections', 'list', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(!listed.stdout.includes(TOKEN));
  const items = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(
    items.map((c) => [c.id, c.name, c.baseUrl, c.apiVersion, c.lastRun]),
    [
      ['acme', 'acme', 'https://app.launchdarkly.com', '20240415', null],
      ['eu', 'eu', 'https://app.eu.launchdarkly.com', '20220603', null],
    ],
  );

  const table = await ldsync(['connections', 'list']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^id\s+name\s+base url/);
  assert.match(table.stdout, /\neu\s+eu\s+https:\/\/app\.eu\.launchdarkly\.com\s+20220603\s+-/);

  // The tokens really are stored (encrypted) under the key the CLI was given.
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  try {
    const cipher = TokenCipher.fromKeyText(KEY);
    assert.equal(await getConnectionToken(pool, cipher, 'acme'), `${TOKEN}-rotated`);
    assert.equal(await getConnectionToken(pool, cipher, 'eu'), `${TOKEN}-eu`);
  } finally {
    await pool.end();
  }

  const removed = await ldsync(['connections', 'remove', 'eu']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /removed connection "eu"; its synced data and runs are kept/);
  assertFails(await ldsync(['connections', 'remove', 'eu']), /connection_not_found: no connection "eu" is registered/);
});

test('connections add explains every bad option in one line: exit 2 (usage), 1 for a bad key', async () => {
  const add = (args: string[], options?: { env?: NodeJS.ProcessEnv; stdin?: string }) =>
    ldsync(['connections', 'add', ...args], options);
  const assertUsage = (result: Result, message: RegExp) => assertFails(result, message, 2);
  assertUsage(
    await add(['x', '--token-env', 'LD_TOKEN', '--token-stdin'], { env: { LD_TOKEN: TOKEN } }),
    /give exactly one of --token-env VAR or --token-stdin/,
  );
  assertUsage(await add(['x']), /give exactly one of --token-env VAR or --token-stdin/);
  assertUsage(await add(['x', '--token-env', 'UNSET_VAR']), /environment variable UNSET_VAR is not set or empty/);
  assertUsage(await add(['x', '--token-env', TOKEN]), /--token-env: takes the name of an environment variable/);
  assertUsage(await add(['x', '--token-stdin'], { stdin: '\n' }), /--token-stdin: standard input was empty/);
  assertUsage(
    await add(['x', '--token-env', 'LD_TOKEN', '--base-url', 'not a url'], { env: { LD_TOKEN: TOKEN } }),
    /--base-url: the base URL must be an http\(s\) URL/,
  );
  assertUsage(
    await add(['Bad_ID', '--token-env', 'LD_TOKEN'], { env: { LD_TOKEN: TOKEN } }),
    /connection id: a connection id is 1-63 characters/,
  );
  assertUsage(
    await add(['x', '--token-env', 'LD_TOKEN', '--api-version', '20160426'], { env: { LD_TOKEN: TOKEN } }),
    /--api-version: must be one of 20240415, 20220603/,
  );
  assertFails(
    await add(['x', '--token-env', 'LD_TOKEN'], { env: { LD_TOKEN: TOKEN, LDSYNC_ENCRYPTION_KEY: 'too-short' } }),
    /LDSYNC_ENCRYPTION_KEY must be 64 hex characters or the base64 of 32 bytes/,
  );
  const listed = await ldsync(['connections', 'list', '--json']);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as Array<{ id: string }>).map((c) => c.id),
    ['acme'],
    'no failed add wrote anything',
  );
});

test('without DATABASE_URL or a running ldsync dev, commands say what to do', async () => {
  const result = await ldsync(['connections', 'list'], { env: { DATABASE_URL: '' } });
  assertFails(result, /no database: set DATABASE_URL, or start `ldsync dev`/);
});

test('the database URL and key come from a running ldsync dev’s state file', async () => {
  const devDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ldsync-cli-dev-'));
  try {
    const keyFile = path.join(devDir, 'encryption.key');
    await fs.writeFile(keyFile, `${KEY}\n`);
    await fs.writeFile(
      path.join(devDir, 'dev-state.json'),
      JSON.stringify({
        pid: process.pid,
        databaseUrl: db.url,
        temporalAddress: 'x',
        uiUrl: 'x',
        encryptionKeyFile: keyFile,
      }),
    );
    const env = { DATABASE_URL: '', LDSYNC_ENCRYPTION_KEY: '', LDSYNC_DATA_DIR: devDir, LD_TOKEN: TOKEN };
    const added = await ldsync(['connections', 'add', 'from-dev', '--token-env', 'LD_TOKEN', '--no-check'], { env });
    assert.equal(added.code, 0, added.stderr);
    const removed = await ldsync(['connections', 'remove', 'from-dev', '--purge'], { env });
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /removed connection "from-dev"; purged 0 rows/);
  } finally {
    await fs.rm(devDir, { recursive: true, force: true });
  }
});
