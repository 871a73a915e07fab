// Prometheus metrics (issue 12, item 5): one endpoint per worker process serves the Temporal SDK's
// metrics and the sync's own. Real stack: a sync of the simulator under a 429 storm, then a GET of
// /metrics, whose counters must equal what ldsync.sync_run_streams recorded and the simulator saw.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SYNC_METRICS } from '../activities/sync-metrics';
import { isSocketAddress, loadEnv, PROJECT_ROOT } from '../src/config';
import { createLogger } from '../src/logger';
import { installTemporalRuntime } from '../src/temporal/runtime';
import { runCli } from './support/cli';
import { expectedCounts, startSyncHarness, type SyncHarness } from './support/sync-harness';

// Fixed ports outside the ephemeral range (32768-60999) that no other test uses.
const METRICS_ADDRESS = '127.0.0.1:19464';
const WORKER_METRICS_ADDRESS = '127.0.0.1:19467';

// Before anything creates a NativeConnection: this process's runtime serves metrics.
installTemporalRuntime(createLogger('warn'), { metricsAddress: METRICS_ADDRESS });

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, samples only. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include `where`. */
function total(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function scrape(address = METRICS_ADDRESS): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`http://${address}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, samples: parseMetrics(text) };
}

interface StreamTotals {
  stream: string;
  requests: number;
  pages: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

async function streamTotals(h: SyncHarness): Promise<StreamTotals[]> {
  const { rows } = await h.pool.query<StreamTotals>(
    `SELECT s.stream, sum(s.requests)::int AS requests, sum(s.pages)::int AS pages,
            sum(s.rows_inserted)::int AS inserted, sum(s.rows_updated)::int AS updated,
            sum(s.rows_unchanged)::int AS unchanged, sum(s.rows_deleted)::int AS deleted
     FROM ldsync.sync_run_streams s JOIN ldsync.sync_runs r ON r.id = s.run_id
     WHERE r.connection_id = $1 GROUP BY s.stream ORDER BY s.stream`,
    [h.connectionId],
  );
  return rows;
}

describe('Prometheus metrics', () => {
  let h: SyncHarness;
  before(async () => {
    h = await startSyncHarness('metrics', {
      seed: 23,
      projects: 2,
      environments: 3,
      flags: 45,
      teams: 2,
      // A 429 storm, so rate-limit counters and waits have something to count.
      rateLimit: { routePerWindow: 2, globalPerWindow: 4, windowMs: 1_000, send429Headers: 'both' },
    });
  });
  after(async () => {
    await h?.close();
  });

  it('after a sync, /metrics serves the sync counters, equal to what was recorded, beside the SDK metrics', async () => {
    const result = await h.runSync();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.streams));
    assert.deepEqual(await h.liveCounts(), expectedCounts(h.sim));
    const { text, samples } = await scrape();
    const conn = { connection_id: h.connectionId };

    // The SDK's own metrics, default naming (what Temporal's Core SDK dashboard expects).
    for (const name of [
      'temporal_workflow_completed',
      'temporal_activity_execution_latency_bucket',
      'temporal_worker_task_slots_available',
      'temporal_request',
    ]) {
      assert.ok(
        samples.some((s) => s.name === name),
        `${name} is served`,
      );
    }

    // Rows, requests and pages per stream: exactly what ldsync.sync_run_streams holds.
    const db = await streamTotals(h);
    assert.ok(db.length >= 7, `every stream ran: ${db.map((s) => s.stream).join(', ')}`);
    for (const s of db) {
      const where = { ...conn, stream: s.stream };
      assert.equal(total(samples, SYNC_METRICS.requests, where), s.requests, `${s.stream}: requests`);
      assert.equal(total(samples, SYNC_METRICS.pages, where), s.pages, `${s.stream}: pages`);
      for (const result of ['inserted', 'updated', 'unchanged', 'deleted'] as const) {
        assert.equal(total(samples, SYNC_METRICS.rows, { ...where, result }), s[result], `${s.stream}: rows ${result}`);
      }
      assert.equal(
        total(samples, `${SYNC_METRICS.pageDuration}_count`, { stream: s.stream }),
        s.pages,
        `${s.stream}: one page duration per page`,
      );
    }
    // A first sync inserts the account: one row per project, flag, tag, team and maintainer.
    const sim = expectedCounts(h.sim);
    const inserted = (stream: string) => total(samples, SYNC_METRICS.rows, { ...conn, stream, result: 'inserted' });
    assert.equal(inserted('projects'), sim.projects);
    assert.equal(inserted('environments'), sim.environments);
    assert.equal(inserted('flags'), sim.flags + sim.flag_environments, 'flags and their per-environment rows');
    assert.equal(inserted('flag_statuses'), sim.flag_statuses);
    assert.equal(inserted('tags'), sim.tags);
    assert.equal(inserted('teams'), sim.teams);
    assert.equal(inserted('team_maintainers'), sim.team_maintainers);

    // Every request the simulator answered, every 429 it sent; each 429 retried or failing an attempt.
    const stats = h.sim.stats();
    // (A request resent on a stale keep-alive socket is counted but never reaches the simulator.)
    const requests = total(samples, SYNC_METRICS.requests, conn);
    assert.ok(requests >= stats.requests && requests <= stats.requests + 3, `requests ${requests} ~ ${stats.requests}`);
    assert.ok(stats.rateLimited > 0, 'the storm sent 429s');
    assert.equal(total(samples, SYNC_METRICS.rateLimited, conn), stats.rateLimited, '429s');
    assert.ok(
      total(samples, SYNC_METRICS.requestRetries, { ...conn, cause: 'rate_limited' }) <= stats.rateLimited,
      'retries of 429s',
    );
    assert.ok(total(samples, `${SYNC_METRICS.rateLimitWait}_count`) > 0, 'rate-limit waits measured');
    assert.match(text, /ldsync_rate_limit_wait_seconds_bucket\{[^}]*le="0\.5"/, 'seconds buckets, not the ms default');

    // One succeeded run, with its duration.
    assert.equal(total(samples, SYNC_METRICS.runs, { ...conn, status: 'succeeded' }), 1);
    assert.equal(total(samples, SYNC_METRICS.runs, conn), 1);
    assert.equal(total(samples, `${SYNC_METRICS.runDuration}_count`, { status: 'succeeded' }), 1);
    assert.ok(total(samples, `${SYNC_METRICS.runDuration}_sum`, { status: 'succeeded' }) > 0);
    const attempts = total(samples, SYNC_METRICS.streamAttempts, conn);
    assert.ok(attempts >= db.length, 'stream attempts counted');
    assert.equal(
      total(samples, SYNC_METRICS.streamAttempts, { ...conn, outcome: 'succeeded' }) +
        total(samples, SYNC_METRICS.streamAttempts, { ...conn, outcome: 'failed' }),
      attempts,
    );
    assert.equal(
      total(samples, SYNC_METRICS.streamRetries, conn),
      total(samples, SYNC_METRICS.streamAttempts, { ...conn, outcome: 'failed' }),
      'every failed attempt was retried (the run succeeded)',
    );
    // The SDK's labels come along (namespace, taskQueue, activityType).
    const rows = samples.find((s) => s.name === SYNC_METRICS.rows && s.labels.connection_id === h.connectionId);
    assert.equal(rows?.labels.taskQueue, h.stack.taskQueue);
    assert.equal(rows?.labels.namespace, h.stack.namespace);
  });

  it('the Grafana dashboard queries only metrics the endpoint serves', async () => {
    const dashboard = fs.readFileSync(path.join(PROJECT_ROOT, 'deploy/grafana/ldsync-dashboard.json'), 'utf8');
    JSON.parse(dashboard);
    const queried = new Set([...dashboard.matchAll(/\b((?:ldsync|temporal)_[a-z_]+)/g)].map((m) => m[1]!));
    const served = new Set((await scrape()).samples.map((s) => s.name));
    const known = new Set<string>(Object.values(SYNC_METRICS));
    for (const name of queried) {
      if (name.startsWith('ldsync_')) {
        assert.ok(known.has(name.replace(/_(bucket|sum|count)$/, '')), `${name} is one of SYNC_METRICS`);
      }
      // Counters the SDK registers on first use may be missing until something happened.
      const optional = /_failed$|_failure$|_canceled$|_forced_eviction$/.test(name) || name.startsWith('ldsync_');
      if (!optional) assert.ok(served.has(name), `${name} is served`);
    }
    for (const name of Object.values(SYNC_METRICS))
      assert.match(dashboard, new RegExp(`\\b${name}`), `${name} on the dashboard`);
  });

  it('a re-sync with no change counts every row unchanged, and a second succeeded run', async () => {
    const before = parseMetricsTotals((await scrape()).samples, h.connectionId);
    const result = await h.runSync();
    assert.equal(result.status, 'succeeded');
    const after = parseMetricsTotals((await scrape()).samples, h.connectionId);
    assert.equal(after.inserted, before.inserted, 'nothing inserted');
    assert.equal(after.updated, before.updated, 'nothing updated');
    assert.equal(after.unchanged - before.unchanged, before.inserted, 'every row seen again, unchanged');
    assert.equal(after.runs, 2);
  });

  it('`ldsync worker` refuses a bad address before connecting, naming the variable', async () => {
    const { code, stderr, stdout } = await runCli(['worker'], {
      DATABASE_URL: h.stack.databaseUrl,
      LDSYNC_ENCRYPTION_KEY: '0'.repeat(64),
      TEMPORAL_ADDRESS: h.stack.temporalAddress,
      LDSYNC_METRICS_ADDRESS: 'localhost:9464',
    });
    assert.notEqual(code, 0);
    assert.match(stderr + stdout, /LDSYNC_METRICS_ADDRESS/);
  });

  it('`ldsync worker` on an address already in use fails at once, naming the variable', async () => {
    const { code, stderr, stdout } = await runCli(['worker'], {
      DATABASE_URL: h.stack.databaseUrl,
      LDSYNC_ENCRYPTION_KEY: '0'.repeat(64),
      TEMPORAL_ADDRESS: h.stack.temporalAddress,
      LDSYNC_METRICS_ADDRESS: METRICS_ADDRESS, // this test process serves it
    });
    assert.notEqual(code, 0);
    assert.match(stderr + stdout, /LDSYNC_METRICS_ADDRESS=127\.0\.0\.1:19464: .*in use/i);
  });

  it('`ldsync worker` with LDSYNC_METRICS_ADDRESS serves the SDK metrics there', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/ldsync.js'), 'worker'], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: h.stack.databaseUrl,
        LDSYNC_ENCRYPTION_KEY: '0'.repeat(64),
        TEMPORAL_ADDRESS: h.stack.temporalAddress,
        TEMPORAL_NAMESPACE: h.stack.namespace,
        LDSYNC_TASK_QUEUE: `${h.stack.taskQueue}-cli`,
        LDSYNC_METRICS_ADDRESS: WORKER_METRICS_ADDRESS,
        LDSYNC_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const deadline = Date.now() + 90_000;
      let samples: Sample[] = [];
      while (Date.now() < deadline) {
        try {
          samples = (await scrape(WORKER_METRICS_ADDRESS)).samples;
          if (samples.some((s) => s.name === 'temporal_num_pollers')) break;
        } catch {
          // not listening yet
        }
        if (child.exitCode !== null) assert.fail(`the worker exited (${child.exitCode}): ${output}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(
        samples.some((s) => s.name === 'temporal_num_pollers' && s.labels.task_queue === `${h.stack.taskQueue}-cli`),
        `the worker's pollers are on its endpoint: ${output}`,
      );
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

function parseMetricsTotals(samples: Sample[], connectionId: string) {
  const conn = { connection_id: connectionId };
  return {
    inserted: total(samples, SYNC_METRICS.rows, { ...conn, result: 'inserted' }),
    updated: total(samples, SYNC_METRICS.rows, { ...conn, result: 'updated' }),
    unchanged: total(samples, SYNC_METRICS.rows, { ...conn, result: 'unchanged' }),
    runs: total(samples, SYNC_METRICS.runs, { ...conn, status: 'succeeded' }),
  };
}

describe('LDSYNC_METRICS_ADDRESS', () => {
  it('accepts IP:port only', () => {
    for (const ok of ['0.0.0.0:9464', '127.0.0.1:1', '[::]:9464', '[::1]:9464']) assert.ok(isSocketAddress(ok), ok);
    for (const bad of [
      'localhost:9464',
      '9464',
      '0.0.0.0',
      ':9464',
      '0.0.0.0:99999',
      '::1:9464',
      'http://0.0.0.0:9464',
    ]) {
      assert.ok(!isSocketAddress(bad), bad);
    }
    assert.equal(loadEnv({}).LDSYNC_METRICS_ADDRESS, undefined, 'unset: no endpoint');
    assert.equal(loadEnv({ LDSYNC_METRICS_ADDRESS: '' }).LDSYNC_METRICS_ADDRESS, undefined);
    assert.equal(loadEnv({ LDSYNC_METRICS_ADDRESS: '0.0.0.0:9464' }).LDSYNC_METRICS_ADDRESS, '0.0.0.0:9464');
    assert.throws(
      () => loadEnv({ LDSYNC_METRICS_ADDRESS: 'localhost:9464' }),
      /LDSYNC_METRICS_ADDRESS: expected IP:port/,
    );
  });
});
