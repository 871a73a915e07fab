// The pool survives its idle connections being killed and bounds every statement.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { createLogger } from '../src/logger';
import { createPool } from '../src/db/pool';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import { adminDatabaseUrl } from './db-helpers';

let db: IsolatedDatabase;

before(async () => {
  db = await createIsolatedDatabase(adminDatabaseUrl(), 'pool');
});

after(async () => {
  await db?.drop();
});

test('an idle client whose connection dies is logged and replaced without crashing the process', async () => {
  const logged: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  const pool = createPool(db.url, { logger: pino({ level: 'warn' }, sink) });
  try {
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid;
    assert.ok(pid);
    const killer = new pg.Client({ connectionString: db.url });
    await killer.connect();
    try {
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await killer.end();
    }
    // Wait for the pool to notice; without its 'error' listener the process would die right here.
    while (!logged.some((line) => line.includes('idle database client error'))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const again = await pool.query<{ ok: number }>('SELECT 1 AS ok');
    assert.equal(again.rows[0]?.ok, 1);
  } finally {
    await pool.end();
  }
});

test('statements time out instead of hanging', async () => {
  const pool = createPool(db.url, { statementTimeoutMs: 200, logger: createLogger('silent') });
  try {
    await assert.rejects(pool.query('SELECT pg_sleep(5)'), /statement timeout/);
  } finally {
    await pool.end();
  }
});
