// `ldsync dev --simulate` as a newcomer runs it (the real command in a child process, its own
// embedded Postgres, Temporal dev server and simulator on free ports): the Postgres URL it prints
// works as printed with psql, its terminal shows one readable line per log entry, other commands
// find its stack (`ldsync status` with row counts, `ldsync temporal …`), and Ctrl-C stops it.
// `ldsync worker` keeps JSON logs.
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { PROJECT_ROOT } from '../src/config';
import { freePort } from '../src/temporal/dev-server';
import { runCli } from './support/cli';
import { waitFor } from './support/wait';

let dataDir: string;
let dev: ChildProcess | undefined;
let output = '';
let exited: Promise<number | null>;

before(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ldsync-dev-test-'));
  const [port, uiPort, simulatorPort, postgresPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  dev = spawn(
    process.execPath,
    [
      path.join(PROJECT_ROOT, 'bin/ldsync.js'),
      'dev',
      '--simulate',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--simulator-port',
      String(simulatorPort),
      '--postgres-port',
      String(postgresPort),
    ],
    {
      // What a newcomer has: no DATABASE_URL, no TEMPORAL_* (the defaults), and logs asked for at info.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LDSYNC_DATA_DIR: dataDir, LDSYNC_LOG_LEVEL: 'info' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  exited = new Promise((resolve) => dev?.on('exit', (code) => resolve(code)));
  // The first sync of `demo` ends with its summary.
  await waitFor(async () => /run \S+ of connection "demo": \w+/.test(output) || dev?.exitCode !== null, 180_000);
  assert.match(output, /run \S+ of connection "demo": succeeded/, output);
});

after(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (dev.exitCode === null) dev.kill('SIGKILL');
  }
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { LDSYNC_DATA_DIR: dataDir });

test('the Postgres URL ldsync dev prints works as printed with psql', async () => {
  const url = /^\s+Postgres\s+(\S+)\s*$/m.exec(output)?.[1];
  assert.ok(url, `a Postgres line in:\n${output}`);
  assert.match(url, /^postgres:\/\//);
  const { stdout } = await promisify(execFile)(
    'psql',
    [url, '-At', '-c', "SELECT count(*) FROM launchdarkly.projects WHERE connection_id = 'demo'"],
    { env: { PATH: process.env.PATH }, timeout: 20_000 },
  );
  assert.equal(stdout.trim(), '3', 'the simulated account has 3 projects');
});

test('the dev terminal shows one readable line per log entry: time, level, message; no JSON, no task tokens', () => {
  const logLines = output
    .split('\n')
    .filter((l) => /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL)/.test(l));
  assert.ok(logLines.length >= 3, `log lines in:\n${output}`);
  assert.ok(
    logLines.some((l) => /INFO  temporal\/worker Worker state changed/.test(l)),
    'the worker log is among them',
  );
  for (const line of output.split('\n')) {
    assert.doesNotMatch(line, /^\{"level"/, 'no JSON log line');
    assert.doesNotMatch(line, /taskToken/i);
    assert.ok(line.length <= 400, `a short line (${line.length} chars): ${line.slice(0, 120)}…`);
  }
});

test('other commands find the dev stack: status shows the demo data per table, ldsync temporal reaches its server', async () => {
  const status = await cli(['status', 'demo']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^data of connection "demo" \(schema launchdarkly\):$/m);
  assert.match(status.stdout, /^projects\s+3\s+0$/m);
  assert.match(status.stdout, /^Temporal: workflow ldsync-demo \(run \S+\) is COMPLETED$/m);

  const listed = await cli(['temporal', 'workflow', 'list', '--query', "WorkflowId = 'ldsync-demo'", '-o', 'json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /"workflowId":\s*"ldsync-demo"/);
});

test('ldsync worker, pointed at the same stack, logs JSON lines by default', async () => {
  const state = JSON.parse(await fs.readFile(path.join(dataDir, 'dev-state.json'), 'utf8')) as {
    databaseUrl: string;
    temporalAddress: string;
    encryptionKeyFile: string;
  };
  const worker = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/ldsync.js'), 'worker'], {
    env: {
      PATH: process.env.PATH,
      LDSYNC_LOG_LEVEL: 'info',
      DATABASE_URL: state.databaseUrl,
      LDSYNC_ENCRYPTION_KEY: (await fs.readFile(state.encryptionKeyFile, 'utf8')).trim(),
      TEMPORAL_ADDRESS: state.temporalAddress,
      LDSYNC_TASK_QUEUE: 'operator-dev-json-logs',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  worker.stdout.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const stopped = new Promise((resolve) => worker.on('exit', resolve));
  try {
    await waitFor(async () => /"msg":"worker running"/.test(logs) || worker.exitCode !== null, 60_000);
  } finally {
    worker.kill('SIGTERM');
    await stopped;
  }
  const lines = logs.split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  for (const line of lines) {
    const entry = JSON.parse(line) as { level: number; msg: string };
    assert.equal(typeof entry.level, 'number', line);
  }
  assert.ok(
    lines.some((l) => (JSON.parse(l) as { msg: string }).msg === 'worker running'),
    logs,
  );
});

test('Ctrl-C stops ldsync dev cleanly', async () => {
  dev?.kill('SIGINT');
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000))]);
  assert.equal(code, 0, output.slice(-2000));
  assert.match(output, /stopped; data kept in /);
});
