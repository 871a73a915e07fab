// `ldsync connections validate` as an operator runs it (a child process) against simulated
// LaunchDarkly accounts over HTTP: the verdict line, the JSON, and the exit codes scripts branch on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { generateEncryptionKey, TokenCipher } from '../src/crypto/token-cipher';
import { addConnection } from '../src/db/connections';
import { createPool } from '../src/db/pool';
import { createIsolatedDatabase, type IsolatedDatabase } from './support/test-database';
import { startSimulator, type Simulator } from '../src/simulator';
import { adminDatabaseUrl } from './db-helpers';
import { runCli, type CliResult } from './operator-helpers';

const KEY = generateEncryptionKey();
let db: IsolatedDatabase;
let pool: pg.Pool;
let entitled: Simulator;
let withoutTeams: Simulator;
let teamsForbidden: Simulator;

before(async () => {
  db = await createIsolatedDatabase(adminDatabaseUrl(), 'operator-validate');
  pool = createPool(db.url);
  entitled = await startSimulator({ projects: 1, environments: 1, flags: 3, teams: 1 });
  // A plan without Teams answers 405 on the teams list; a 403 is about the token (invalid_permissions).
  withoutTeams = await startSimulator({ projects: 1, environments: 1, flags: 3, teamsEntitlement: 405 });
  teamsForbidden = await startSimulator({ projects: 1, environments: 1, flags: 3, teamsEntitlement: 403 });
  const cipher = TokenCipher.fromKeyText(KEY);
  const add = (id: string, sim: Simulator, token: string) =>
    addConnection(pool, cipher, { id, baseUrl: sim.baseUrl, apiVersion: '20240415', token });
  await add('good', entitled, entitled.readerToken);
  await add('revoked', entitled, 'api-00000000-revoked');
  await add('no-role', entitled, entitled.noPermissionToken);
  await add('no-teams', withoutTeams, withoutTeams.readerToken);
  await add('teams-forbidden', teamsForbidden, teamsForbidden.readerToken);
  // Nothing listens on port 1: every request fails the same way.
  await addConnection(pool, cipher, {
    id: 'unreachable',
    baseUrl: 'http://127.0.0.1:1',
    apiVersion: '20240415',
    token: 'api-unreachable',
  });
});

after(async () => {
  await pool?.end();
  await entitled?.close();
  await withoutTeams?.close();
  await teamsForbidden?.close();
  await db?.drop();
});

const validate = (...args: string[]): Promise<CliResult> =>
  runCli(['connections', 'validate', ...args], { DATABASE_URL: db.url, LDSYNC_ENCRYPTION_KEY: KEY });

interface ValidateJson {
  ok: boolean;
  result: string;
  endpoint: string | null;
  message: string | null;
  notes: string[];
  checks: Array<{ endpoint: string; ok: boolean; errorType?: string }>;
}

test('a good token is ok on all seven endpoints: exit 0, last line `ok`', async () => {
  const { code, stdout, stderr } = await validate('good');
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim().split('\n').at(-1), 'ok');
  const json = JSON.parse((await validate('good', '--json')).stdout) as ValidateJson;
  assert.equal(json.ok, true);
  assert.deepEqual(
    json.checks.map((c) => [c.endpoint, c.ok]),
    [
      ['/api/v2/projects', true],
      ['/api/v2/tags', true],
      ['/api/v2/teams', true],
      [json.checks[3]?.endpoint, true],
      [json.checks[4]?.endpoint, true],
      [json.checks[5]?.endpoint, true],
      [json.checks[6]?.endpoint, true],
    ],
  );
  assert.match(json.checks.map((c) => c.endpoint).join(' '), /maintainers.*environments.*flags\/.*flag-statuses/);
});

test('a revoked token is invalid_credentials: exit 3, the endpoint and what to do', async () => {
  const { code, stdout } = await validate('revoked');
  assert.equal(code, 3);
  const verdict = stdout.trim().split('\n').at(-1) ?? '';
  assert.match(verdict, /^invalid_credentials GET \/api\/v2\/projects: /);
  assert.match(verdict, /create a Reader access token/);
  // The hint names this connection, not a placeholder.
  assert.match(verdict, /`ldsync connections add revoked --token-env VAR`/);
  assert.doesNotMatch(stdout, /<id>/);
  assert.doesNotMatch(stdout, /api-00000000-revoked/, 'the token is never printed');
});

test('a token without the Reader role is invalid_permissions: exit 4', async () => {
  const { code, stdout } = await validate('no-role', '--json');
  assert.equal(code, 4);
  const json = JSON.parse(stdout) as ValidateJson;
  assert.equal(json.ok, false);
  assert.equal(json.result, 'invalid_permissions');
  assert.equal(json.endpoint, '/api/v2/projects');
  assert.match(json.message ?? '', /Reader role/);
});

test('an account without Teams is ok with a note (the sync skips the teams streams): exit 0', async () => {
  const { code, stdout, stderr } = await validate('no-teams');
  assert.equal(code, 0, stderr);
  assert.match(stdout, /not_entitled\s+GET \/api\/v2\/teams/);
  assert.match(stdout, /^note: Teams are not available/m);
  assert.equal(stdout.trim().split('\n').at(-1), 'ok');
});

test('a 403 on teams is invalid_permissions, not a plan without Teams: exit 4', async () => {
  const { code, stdout } = await validate('teams-forbidden');
  assert.equal(code, 4, stdout);
  assert.match(stdout.trim().split('\n').at(-1) ?? '', /^invalid_permissions GET \/api\/v2\/teams: /);
  assert.doesNotMatch(stdout, /^note: Teams are not available/m);
});

test('an unknown connection exits 1 with how to add it; a malformed id exits 2', async () => {
  const missing = await validate('nobody');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /connection_not_found: .*ldsync connections add nobody/);

  const malformed = await validate('Not Valid');
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /bad connection id/);

  const noArgument = await validate();
  assert.equal(noArgument.code, 2);
  assert.match(noArgument.stderr, /missing required argument/);
});

test('one line per endpoint: all seven listed once, a failure they share told once (exit 1)', async () => {
  const { code, stdout, stderr } = await validate('unreachable');
  assert.equal(code, 1, stderr);
  const lines = stdout.trim().split('\n');
  assert.equal(lines[0], 'connection "unreachable" (http://127.0.0.1:1, API 20240415):');
  const endpointLines = lines.slice(1, -1);
  assert.deepEqual(
    endpointLines.map((l) => /GET (\S+)/.exec(l)?.[1]),
    [
      '/api/v2/projects',
      '/api/v2/tags',
      '/api/v2/teams',
      '/api/v2/teams/{teamKey}/maintainers',
      '/api/v2/projects/{projectKey}/environments',
      '/api/v2/flags/{projectKey}',
      '/api/v2/flag-statuses/{projectKey}/{environmentKey}',
    ],
  );
  assert.match(endpointLines[0] ?? '', /^ {2}upstream_unavailable\s+GET \/api\/v2\/projects$/);
  assert.match(endpointLines[3] ?? '', /^ {2}not checked\s+GET \S+\s+needs a readable teams list$/);
  for (const line of endpointLines) assert.ok(line.length < 120, `a short line: ${line}`);
  const verdict = lines.at(-1) ?? '';
  assert.match(verdict, /^upstream_unavailable GET \/api\/v2\/projects: the connection failed \(connect ECONNREFUSED/);
  // The cause is told once, not once per endpoint.
  assert.equal(stdout.split('ECONNREFUSED 127.0.0.1:1').length - 1, 1, stdout);
});
