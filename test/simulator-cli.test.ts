// `ldsync simulate`: option validation, and the real command run as a child process: it prints
// its base URL and reader token, serves the account, and stops cleanly on SIGINT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { parseSimulateOptions, toSimulatorOptions } from '../src/cli/simulate';

void test('options are validated and every bad one is named', () => {
  assert.throws(
    () =>
      parseSimulateOptions({ port: '8765', host: '127.0.0.1', flags: 'abc', faultRate: '2', teamsEntitlement: '500' }),
    (err: Error) =>
      /--flags "abc"/.test(err.message) &&
      /--fault-rate "2"/.test(err.message) &&
      /--teams-entitlement "500"/.test(err.message),
  );
  assert.throws(() => parseSimulateOptions({ port: '8765', host: 'h', faultRoutes: '(' }), /--fault-routes/);
  const options = toSimulatorOptions(
    parseSimulateOptions({
      port: '0',
      host: '127.0.0.1',
      seed: '9',
      flags: '4',
      token: 'api-t',
      rateLimit: '50',
      faultRate: '0.25',
      faultRoutes: '/flags/',
      teamsEntitlement: '404',
    }),
  );
  assert.equal(options.port, 0);
  assert.equal(options.seed, 9);
  assert.equal(options.flags, 4);
  assert.equal(options.readerToken, 'api-t');
  assert.deepEqual(options.rateLimit, { globalPerWindow: 50 });
  assert.equal(options.faults?.errorRate, 0.25);
  assert.ok(options.faults?.routes?.test('/api/v2/flags/p'));
  assert.equal(options.teamsEntitlement, 404);
  assert.equal(options.projects, undefined);
});

void test('ldsync simulate prints its URL and token, serves requests, and stops on SIGINT', async () => {
  const bin = path.join(__dirname, '..', 'bin', 'ldsync.js');
  const child = spawn(
    process.execPath,
    [bin, 'simulate', '--port', '0', '--projects', '2', '--token', 'api-cli-test'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const baseUrl = await new Promise<string>((resolve, reject) => {
      const onData = (): void => {
        // The banner ends with the Ctrl-C hint: wait for all of it.
        const found = /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Ctrl-C stops it/.exec(output);
        if (found?.[1]) resolve(found[1]);
      };
      child.stdout.on('data', onData);
      void exited.then(() => reject(new Error(`simulate exited early:\n${output}`)));
    });
    assert.match(output, /reader token: +api-cli-test/);
    const response = await fetch(`${baseUrl}/api/v2/projects`, { headers: { Authorization: 'api-cli-test' } });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { totalCount: number }).totalCount, 2);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(output, /simulator stopped/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
