// JSON logs (issue 12, item 5): `ldsync worker` writes one JSON object per line, every activity line
// names its connection, run, stream and scope (through the Temporal runtime's logger, by the activity
// interceptor of src/temporal/log-interceptor.ts), and no line carries a secret. Real stack: the CLI
// worker process syncs the simulator, with upstream faults so that retries and failed attempts log too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../src/config';
import { CATALOG } from '../src/streams';
import { pickLoggedFields } from '../src/temporal/log-interceptor';
import { startSyncHarness, type SyncHarness } from './support/sync-harness';

interface LogLine {
  level: number;
  msg: string;
  component?: string;
  sdkComponent?: string;
  activityType?: string;
  workflowId?: string;
  connectionId?: string;
  runId?: string;
  stream?: string;
  scope?: string;
  projectKey?: string;
  environmentKey?: string;
  teamKey?: string;
  [key: string]: unknown;
}

const STREAM_OF: Record<string, string> = Object.fromEntries(Object.values(CATALOG).map((d) => [d.activity, d.name]));

describe('JSON logs of `ldsync worker`', () => {
  let h: SyncHarness;
  const raw: string[] = [];
  let lines: LogLine[] = [];
  let secrets: string[] = [];

  before(async () => {
    h = await startSyncHarness(
      'logs',
      {
        seed: 41,
        projects: 2,
        environments: 2,
        flags: 30,
        teams: 2,
        // Tags answer 503 until an attempt has failed (the worker's client retries twice), and 429s
        // come too: so retried requests, failed attempts and their retries all write their lines.
        faults: { errorRate: 1, errorStatuses: [503], routes: /^\/api\/v2\/tags/ },
        rateLimit: { routePerWindow: 3, globalPerWindow: 6, windowMs: 1_000, send429Headers: 'both' },
      },
      { worker: false },
    );
    secrets = [h.sim.readerToken, h.encryptionKey];
    for (const p of h.sim.account.projects) {
      for (const e of p.environments) secrets.push(e.apiKey, e.mobileKey);
    }
    secrets = secrets.filter((s) => typeof s === 'string' && s.length >= 8);

    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/ldsync.js'), 'worker'], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: h.stack.databaseUrl,
        LDSYNC_ENCRYPTION_KEY: h.encryptionKey,
        TEMPORAL_ADDRESS: h.stack.temporalAddress,
        TEMPORAL_NAMESPACE: h.stack.namespace,
        LDSYNC_TASK_QUEUE: h.stack.taskQueue,
        // Everything down to debug: the SDK's activity lifecycle lines too.
        LDSYNC_LOG_LEVEL: 'debug',
        LDSYNC_LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (pending + chunk.toString()).split('\n');
      pending = parts.pop() ?? '';
      raw.push(...parts.filter(Boolean));
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      const sync = h.runSync();
      const deadline = Date.now() + 60_000;
      while (!raw.some((l) => l.includes('"Activity failed"')) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      h.sim.configure({ faults: { errorRate: 0 } });
      const result = await sync;
      assert.equal(result.status, 'succeeded', JSON.stringify(result));
    } finally {
      child.kill('SIGTERM');
      await exited;
      if (pending) raw.push(pending);
    }
    assert.equal(stderr.trim(), '', 'nothing on stderr');
    lines = raw.map((line) => JSON.parse(line) as LogLine);
    if (process.env.LDSYNC_TEST_PRINT_LOGS) console.error(raw.join('\n'));
  });
  after(async () => {
    await h?.close();
  });

  it('writes one JSON object per line', () => {
    assert.ok(raw.length > 20, `lines: ${raw.length}`);
    for (const line of lines) {
      assert.equal(typeof line.level, 'number');
      assert.equal(typeof line.msg, 'string');
    }
  });

  it('every activity line names its connection, run, stream and scope', () => {
    const activityLines = lines.filter((l) => typeof l.activityType === 'string');
    const kinds = new Set(activityLines.map((l) => l.msg.replace(/\(.*$/s, '').trim()));
    // The faults made the activities log their retries and failed attempts, and the SDK its lifecycle.
    for (const expected of ['LaunchDarkly request retried', 'Activity failed', 'Activity completed']) {
      assert.ok(
        activityLines.some((l) => l.msg.startsWith(expected)),
        `a "${expected}" line (saw: ${[...kinds].join(' | ')})`,
      );
    }
    let checked = 0;
    for (const l of activityLines) {
      // Written by the SDK before any interceptor has seen the input (see log-interceptor.ts).
      if (l.msg === 'Activity started') continue;
      const where = `${l.activityType}: "${l.msg}"`;
      assert.equal(l.connectionId, h.connectionId, `${where}: connectionId`);
      if (l.activityType === 'beginRun') continue; // the run does not exist yet
      assert.match(l.runId ?? '', /\S/, `${where}: runId`);
      const stream = STREAM_OF[l.activityType!];
      if (!stream) continue; // finishRun: no stream
      assert.equal(l.stream, stream, `${where}: stream`);
      const scope =
        stream === 'flag_statuses'
          ? `${l.projectKey}/${l.environmentKey}`
          : stream === 'team_maintainers'
            ? l.teamKey
            : ['environments', 'flags'].includes(stream)
              ? l.projectKey
              : '';
      assert.equal(l.scope, scope, `${where}: scope`);
      checked += 1;
    }
    assert.ok(checked >= 13, `stream activity lines checked: ${checked}`);
    const streams = new Set(activityLines.map((l) => l.stream).filter(Boolean));
    assert.deepEqual([...streams].sort(), Object.values(STREAM_OF).sort(), 'every stream logged');
    // The worker's own lines (not an activity's) name the task queue instead.
    assert.ok(lines.some((l) => l.msg === 'worker running' && l.taskQueue === h.stack.taskQueue));
  });

  it('no line carries a secret: neither the LaunchDarkly token nor the encryption key nor an SDK key', () => {
    assert.ok(secrets.length >= 2);
    const all = raw.join('\n');
    for (const secret of secrets) assert.ok(!all.includes(secret), `a secret (${secret.slice(0, 6)}…) in the logs`);
    assert.ok(!/authorization/i.test(all), 'no request headers');
  });
});

describe('pickLoggedFields', () => {
  it('copies only the named string fields of an activity input', () => {
    assert.deepEqual(
      pickLoggedFields({
        connectionId: 'c',
        runId: 'r',
        projectKey: 'p',
        environmentKey: 'e',
        teamKey: 't',
        token: 'api-secret',
        environmentKeys: ['a'],
        progressWorkflowId: 'w',
      }),
      { connectionId: 'c', runId: 'r', projectKey: 'p', environmentKey: 'e', teamKey: 't' },
    );
    assert.deepEqual(pickLoggedFields({ connectionId: 42 }), {});
    assert.deepEqual(pickLoggedFields(undefined), {});
    assert.deepEqual(pickLoggedFields('x'), {});
  });
});
