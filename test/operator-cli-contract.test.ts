// The promises every `ldsync` command keeps, checked as an operator meets them (a child process on
// the real stack): one exit-code table (0 ok, 1 failed, 2 usage, 3 invalid_credentials,
// 4 invalid_permissions), one `connection_not_found` for an unknown id, summaries whose words and
// numbers are right after a failed run, no runtime warning on a long `sync --wait`, the data's row
// counts in `status`, and `ldsync temporal …` reaching the same Temporal as the other commands.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { type Simulator } from '../src/simulator';
import { findTemporalCli } from '../src/temporal/cli-binary';
import { operatorStack, uniqueId, type CliResult, type OperatorStack } from './operator-helpers';
import { waitFor } from './support/wait';

let ops: OperatorStack;
let sim: Simulator;
let slow: Simulator;
const GOOD = uniqueId('good');
const SLOW = uniqueId('slow');
const REVOKED = uniqueId('revoked');
const NOBODY = uniqueId('nobody');
const CANCELLED = uniqueId('cancelled');

before(async () => {
  ops = await operatorStack('operator-cli-contract');
  sim = await ops.simulator({ projects: 2, environments: 2, flags: 6, teams: 2 });
  // Every response takes 2.5 s, and a sync makes at least 4 requests one after the other (projects,
  // environments, flags, flag statuses): a `sync --wait` of it polls its progress well over 10 times.
  slow = await ops.simulator({ projects: 2, environments: 2, flags: 6, teams: 2, latencyMs: 2500 });
  await ops.connect(GOOD, sim);
  await ops.connect(SLOW, slow);
  await ops.connect(REVOKED, sim, 'api-00000000-revoked');
  await ops.connect(CANCELLED, slow);
});

after(async () => {
  await ops?.cleanup();
});

/** Runs `run` for every item, three at a time (each `ldsync` is a Node process of its own). */
async function inBatches<T>(items: T[], run: (item: T) => Promise<CliResult>): Promise<Array<[T, CliResult]>> {
  const out: Array<[T, CliResult]> = [];
  for (let i = 0; i < items.length; i += 3) {
    const batch = items.slice(i, i + 3);
    const results = await Promise.all(batch.map(run));
    batch.forEach((item, j) => out.push([item, results[j] as CliResult]));
  }
  return out;
}

function assertCode(result: CliResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what}: exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
}

test('an unknown connection: the same connection_not_found line and exit 1 from every command', async () => {
  const commands = [
    ['status', NOBODY],
    ['status', NOBODY, '--json'],
    ['cancel', NOBODY],
    ['sync', NOBODY],
    ['sync', NOBODY, '--wait'],
    ['connections', 'validate', NOBODY],
    ['connections', 'remove', NOBODY],
    ['schedule', 'set', NOBODY, '--every', '1h'],
  ];
  const expected =
    `ldsync: connection_not_found: no connection "${NOBODY}" is registered; register it with ` +
    `\`ldsync connections add ${NOBODY} --token-env VAR\` (\`ldsync connections list\` shows the registered ones)`;
  const results = await inBatches(commands, (args) => ops.ldsync(args));
  for (const [args, result] of results) {
    assertCode(result, 1, args.join(' '));
    assert.equal(result.stderr.trim(), expected, args.join(' '));
    assert.equal(result.stdout, '', `${args.join(' ')} prints nothing else`);
  }
});

test('usage errors exit 2 with one clear line, on every command', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['bogus'], /error: unknown command 'bogus'/],
    [['status', GOOD, '--bogus'], /error: unknown option '--bogus'/],
    [['status', GOOD, 'extra'], /error: too many arguments for 'status'/],
    [['status'], /error: missing required argument 'id'/],
    [['status', GOOD, '--limit', 'x'], /--limit takes a whole number/],
    [['sync', GOOD, '--bogus'], /error: unknown option '--bogus'/],
    [['cancel'], /error: missing required argument 'id'/],
    [['connections', 'list', '--bogus'], /error: unknown option '--bogus'/],
    [['connections', 'validate'], /error: missing required argument 'id'/],
    [['connections', 'remove', 'Not Valid'], /connection id: /],
    [['connections', 'add', 'x'], /give exactly one of --token-env VAR or --token-stdin/],
    [['schedule', 'set', GOOD, '--every', 'soon'], /--every/],
    [['schedule', 'pause'], /error: missing required argument 'id'/],
    [['migrate', 'now'], /error: too many arguments for 'migrate'/],
    [['simulate', '--port', 'x'], /--port "x": expected an integer/],
    [['dev', '--port', 'x'], /expected a port number/],
    [['worker', '--bogus'], /error: unknown option '--bogus'/],
  ];
  const results = await inBatches(cases, ([args]) => ops.ldsync(args));
  for (const [[args, message], result] of results) {
    assertCode(result, 2, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
    assert.ok(result.stderr.trim().split('\n').length <= 2, `${args.join(' ')}: a short message, not the help page`);
  }
  const help = await ops.ldsync(['status', '--help']);
  assertCode(help, 0, 'status --help');
  assert.match(help.stdout, /Usage: ldsync status/);
});

test('sync --wait of a revoked token: exit 3, streams that never ran say `not run`, the run is not retried', async () => {
  const result = await ops.ldsync(['sync', REVOKED, '--wait']);
  assertCode(result, 3, 'sync --wait with a revoked token');
  const lines = result.stdout.split('\n');
  assert.match(lines[0] ?? '', new RegExp(`^run \\S+ of connection "${REVOKED}": failed$`));
  const row = (stream: string) => lines.find((l) => l.startsWith(`${stream} `)) ?? '';
  for (const stream of ['team_maintainers', 'environments', 'flags', 'flag_statuses']) {
    assert.match(row(stream), new RegExp(`^${stream}\\s+not run\\s+-\\s+0\\s+0\\s`), `${stream}: ${row(stream)}`);
  }
  assert.match(row('projects'), /^projects\s+failed\s+0\/1\s/);
  assert.doesNotMatch(result.stdout, /succeeded\s+0\/0/);
  // No count has more done than total.
  for (const [, done, total] of result.stdout.matchAll(/\s(\d+)\/(\d+)\s/g)) {
    assert.ok(Number(done) <= Number(total), `${done}/${total}`);
  }
  assert.match(result.stdout, /the run is over and nothing retries it/);
  assert.match(result.stdout, new RegExp(`\`ldsync sync ${REVOKED}\``));
  // The connection is named once, in the header, and no error names its stream twice.
  assert.doesNotMatch(result.stdout, /\b(\w+): \1 \(GET/);
  assert.doesNotMatch(result.stdout, /connections add <id>/);
  assert.match(result.stderr, /^ldsync: invalid_credentials: /m);

  // `status` tells the same from the database.
  const status = await ops.ldsync(['status', REVOKED]);
  assertCode(status, 0, 'status');
  assert.match(status.stdout, /^environments\s+not run\s+-\s/m);
  assert.doesNotMatch(status.stdout, /succeeded\s+0\/0/);
  const json = JSON.parse((await ops.ldsync(['status', REVOKED, '--json'])).stdout) as {
    summary: Array<{ stream: string; state: string; scopesOk: number; scopesTotal: number }>;
  };
  assert.deepEqual(
    json.summary.map((s) => [s.stream, s.state]),
    [
      ['projects', 'failed'],
      ['tags', 'failed'],
      ['teams', 'failed'],
      ['team_maintainers', 'not run'],
      ['environments', 'not run'],
      ['flags', 'not run'],
      ['flag_statuses', 'not run'],
    ],
  );
  assert.ok(json.summary.every((s) => s.scopesOk <= s.scopesTotal));
});

test('sync --wait of a run cancelled early: `cancelled`, exit 1, streams it never started say `not run`', async () => {
  const waiting = ops.ldsync(['sync', CANCELLED, '--wait']);
  // Cancel once the run is recorded, while its first requests (2.5 s each) are still out.
  await waitFor(async () => {
    const { rows } = await ops.pool.query(`SELECT 1 FROM ldsync.sync_runs WHERE connection_id = $1`, [CANCELLED]);
    return rows.length > 0;
  }, 60_000);
  const cancel = await ops.ldsync(['cancel', CANCELLED, '--wait']);
  assertCode(cancel, 0, 'cancel --wait');
  const result = await waiting;
  assertCode(result, 1, 'sync --wait of a cancelled run');
  assert.match(result.stdout.split('\n')[0] ?? '', new RegExp(`^run \\S+ of connection "${CANCELLED}": cancelled$`));
  // Flag statuses come last (after projects, environments and flags: 7.5 s of responses at least).
  assert.match(result.stdout, /^flag_statuses\s+not run\s+-\s/m, result.stdout);
  // A stream the cancel kept from starting is `not run`, never `nothing to read` or `succeeded 0/0`.
  assert.doesNotMatch(result.stdout, /nothing to read/);
  assert.doesNotMatch(result.stdout, /succeeded\s+0\/0/);
  for (const [, done, total] of result.stdout.matchAll(/\s(\d+)\/(\d+)\s/g)) {
    assert.ok(Number(done) <= Number(total), `${done}/${total}`);
  }
  assert.match(result.stdout, /the run was cancelled/);
  assert.match(result.stderr, /^ldsync: cancelled: /m);
});

test('validate exits 3 for a revoked token, like sync', async () => {
  const result = await ops.ldsync(['connections', 'validate', REVOKED]);
  assertCode(result, 3, 'validate');
});

test('a long sync --wait prints no runtime warning (MaxListenersExceededWarning), and succeeds', async () => {
  const started = Date.now();
  const result = await ops.ldsync(['sync', SLOW, '--wait'], { NODE_OPTIONS: '--trace-warnings' });
  const seconds = (Date.now() - started) / 1000;
  assertCode(result, 0, 'sync --wait');
  assert.ok(seconds > 8, `the sync lasted ${seconds} s: long enough for more than 10 progress polls`);
  assert.doesNotMatch(result.stderr, /Warning/);
  assert.match(result.stdout, /": succeeded\n/);
  assert.doesNotMatch(result.stdout, /not run/);
});

test('status shows the synced rows per table for the connection (live and deleted), in text and JSON', async () => {
  const sync = await ops.ldsync(['sync', GOOD, '--wait']);
  assertCode(sync, 0, 'sync');
  const counts = sim.counts();
  const json = JSON.parse((await ops.ldsync(['status', GOOD, '--json'])).stdout) as {
    data: Array<{ table: string; live: number; deleted: number }>;
  };
  const expected = new Map<string, { live: number; deleted: number }>();
  for (const table of [
    'projects',
    'environments',
    'flags',
    'flag_environments',
    'flag_statuses',
    'tags',
    'teams',
    'team_maintainers',
  ]) {
    const { rows } = await ops.pool.query<{ live: number; deleted: number }>(
      `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS live,
              count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted
       FROM launchdarkly.${table} WHERE connection_id = $1`,
      [GOOD],
    );
    expected.set(table, rows[0] ?? { live: -1, deleted: -1 });
  }
  assert.deepEqual(
    json.data.map((d) => [d.table, d.live, d.deleted]),
    [...expected].map(([table, c]) => [table, c.live, c.deleted]),
  );
  assert.equal(json.data.find((d) => d.table === 'projects')?.live, counts.projects);
  assert.equal(json.data.find((d) => d.table === 'flags')?.live, counts.flags);
  assert.equal(json.data.find((d) => d.table === 'teams')?.live, counts.teams);
  // A row marked deleted (as a complete pass that no longer sees it does) counts as deleted, only for its connection.
  await ops.pool.query(
    `UPDATE launchdarkly.tags SET deleted_at = now() WHERE connection_id = $1 AND tag = (
      SELECT min(tag) FROM launchdarkly.tags WHERE connection_id = $1)`,
    [GOOD],
  );
  const text = await ops.ldsync(['status', GOOD]);
  assertCode(text, 0, 'status');
  assert.match(text.stdout, new RegExp(`^data of connection "${GOOD}" \\(schema launchdarkly\\):$`, 'm'));
  assert.match(text.stdout, new RegExp(`^tags\\s+${counts.tags - 1}\\s+1$`, 'm'));
  assert.match(text.stdout, new RegExp(`^flags\\s+${counts.flags}\\s+0$`, 'm'));
  const other = JSON.parse((await ops.ldsync(['status', SLOW, '--json'])).stdout) as {
    data: Array<{ table: string; deleted: number }>;
  };
  assert.equal(other.data.find((d) => d.table === 'tags')?.deleted, 0);
});

test('ldsync temporal passes its arguments, output and exit code through to the installed CLI', async () => {
  const listed = await ops.ldsync([
    'temporal',
    'workflow',
    'describe',
    '--workflow-id',
    `ldsync-${GOOD}`,
    '-o',
    'json',
  ]);
  assertCode(listed, 0, 'temporal workflow describe');
  const described = JSON.parse(listed.stdout) as { workflowExecutionInfo?: { execution?: { workflowId?: string } } };
  assert.equal(described.workflowExecutionInfo?.execution?.workflowId, `ldsync-${GOOD}`);

  // The CLI's own failure and exit code, unchanged.
  const missing = await ops.ldsync(['temporal', 'workflow', 'describe', '--workflow-id', 'ldsync-no-such-workflow']);
  const cli = await findTemporalCli({ allowDownload: false });
  assert.ok(cli.kind !== 'sdk-download');
  const direct = await promisify(execFile)(
    cli.path,
    [
      'workflow',
      'describe',
      '--workflow-id',
      'ldsync-no-such-workflow',
      '--address',
      ops.stack.temporalAddress,
      '--namespace',
      ops.stack.namespace,
    ],
    { env: { PATH: process.env.PATH } },
  ).then(
    () => 0,
    (err: { code?: number }) => err.code ?? -1,
  );
  assert.notEqual(direct, 0);
  assert.equal(missing.code, direct);
  assert.match(missing.stderr, /not found/i);

  // Without TEMPORAL_ADDRESS, a running `ldsync dev`'s server (its state file) is the one used.
  const devDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ldsync-temporal-'));
  try {
    await fs.writeFile(
      path.join(devDir, 'dev-state.json'),
      JSON.stringify({
        pid: process.pid,
        databaseUrl: ops.stack.databaseUrl,
        temporalAddress: ops.stack.temporalAddress,
        namespace: ops.stack.namespace,
        uiUrl: '',
      }),
    );
    const viaDev = await ops.ldsync(
      ['temporal', 'workflow', 'describe', '--workflow-id', `ldsync-${GOOD}`, '-o', 'json'],
      { TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '', LDSYNC_DATA_DIR: devDir },
    );
    assertCode(viaDev, 0, 'temporal via dev-state');
    const status = await ops.ldsync(['status', GOOD], {
      TEMPORAL_ADDRESS: '',
      TEMPORAL_NAMESPACE: '',
      LDSYNC_DATA_DIR: devDir,
    });
    assertCode(status, 0, 'status via dev-state');
    assert.match(status.stdout, new RegExp(`^Temporal: workflow ldsync-${GOOD} \\(run \\S+\\) is COMPLETED$`, 'm'));
  } finally {
    await fs.rm(devDir, { recursive: true, force: true });
  }
});
