// Machinery of the fault and bad-input suites (issue 9, items 5-7), on the real stack: a rig is one
// connection to a simulator over HTTP, its own database (on the shared Postgres or on a cluster the
// test may crash), a worker in this process or in child processes, and Temporal (the run's shared dev
// server, or one the test may SIGKILL). Every rig leaves what it produced (workflow histories, worker
// logs, CLI output, its database's text) in one ledger, so one test can look for secrets in all of it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import pino from 'pino';
import { createActivities, type ActivityDeps } from '../../activities';
import { PROJECT_ROOT } from '../../src/config';
import { generateEncryptionKey, parseEncryptionKey, TokenCipher } from '../../src/crypto/token-cipher';
import { addConnection, createPool } from '../../src/db';
import { createIsolatedDatabase } from './test-database';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator';
import { SYNC_WORKFLOW_TYPE, searchAttributes, syncWorkflowId, type SyncResult } from '../../src/shared';
import { findTemporalCli } from '../../src/temporal/cli-binary';
import { connectClient, connectNative } from '../../src/temporal/connection';
import { installTemporalRuntime } from '../../src/temporal/runtime';
import { bundleSyncWorkflows, createSyncWorker } from '../../src/temporal/worker';
import { runCli, type CliResult } from './cli';
import { testStack, type TestStack } from './stack';
import { TABLES, type TableName } from './sync-harness';

// ---------------------------------------------------------------------------------------------
// The ledger: everything the suites produced, for the secrets test.

export const ledger = {
  /** every secret an account of a rig holds: tokens, SDK keys, mobile keys, pubnub keys */
  secrets: new Set<string>(),
  /** workflow histories, read through the client, payloads decoded as UTF-8 */
  histories: [] as string[],
  /** the in-process runtime's log lines and child workers' output */
  logs: [] as string[],
  /** stdout and stderr of every CLI call */
  cli: [] as string[],
  /** each rig database's tables as text, except the encrypted token column */
  database: [] as string[],
  /** the workflows read (for the secrets test to prove it looked) */
  workflowsRead: 0,
  /** task queues used on the run's shared Temporal server */
  taskQueues: new Set<string>(),
};

/**
 * Installs the process's Temporal runtime with a logger that keeps every line (info and up) in the
 * ledger: activities and workers log through it. Call before anything creates a NativeConnection.
 */
export function captureRuntimeLogs(): void {
  installTemporalRuntime(
    pino(
      { level: 'info' },
      {
        write(chunk: string) {
          for (const line of chunk.split('\n')) if (line) ledger.logs.push(line);
        },
      },
    ),
  );
}

export function recordSecrets(sim: Simulator, ...extra: string[]): void {
  for (const s of [sim.readerToken, sim.noPermissionToken, sim.noTeamsPermissionToken, ...extra]) ledger.secrets.add(s);
  for (const p of sim.account.projects) {
    for (const e of p.environments) {
      for (const s of [e.apiKey, e.mobileKey, e.pubnub.cipherKey, e.pubnub.channel]) if (s) ledger.secrets.add(s);
    }
  }
}

/** Runs the CLI as an operator would and keeps what it printed. */
export async function cli(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<CliResult> {
  const result = await runCli(args, env, stdin);
  ledger.cli.push(`$ ldsync ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The scenario report: one row per scenario, printed (and written to a file) at the end.

export interface ScenarioRow {
  scenario: string;
  status: string;
  counts: string;
  requests: string;
  seconds: number;
  note?: string;
}
export const report: ScenarioRow[] = [];

export async function writeReport(file: string): Promise<void> {
  const lines = report.map(
    (r) =>
      `| ${r.scenario} | ${r.status} | ${r.counts} | ${r.requests} | ${r.seconds.toFixed(1)} s |${r.note ? ` ${r.note}` : ''}`,
  );
  console.log(
    ['| scenario | status | counts vs reference | requests (counted/received) | time | note', ...lines].join('\n'),
  );
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(report, null, 2));
}

// ---------------------------------------------------------------------------------------------
// Rigs.

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** One webpack bundle of the workflows for every in-process worker of the file. */
function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return (bundle ??= bundleSyncWorkflows());
}

export interface RigOptions {
  sim: SimulatorOptions;
  /** a Postgres the test owns (e.g. one it crashes); default: the run's shared one */
  adminUrl?: string;
  /** another Temporal server (address); default: the run's shared one */
  temporalAddress?: string;
  /** `in-process` (default), or `none` for child-process workers (startWorkerProcess) */
  worker?: 'in-process' | 'none';
  clientOptions?: ActivityDeps['clientOptions'];
  databaseRetry?: ActivityDeps['databaseRetry'];
  /** the token stored for the connection (default: the simulator's reader token) */
  token?: string;
  /** put this in front of the simulator (a proxy): the connection's base URL */
  baseUrl?: (simBaseUrl: string) => Promise<string> | string;
}

export interface Rig {
  label: string;
  stack: TestStack;
  client: Client;
  namespace: string;
  temporalAddress: string;
  databaseUrl: string;
  pool: Pool;
  cipher: TokenCipher;
  encryptionKey: string;
  sim: Simulator;
  connectionId: string;
  baseUrl: string;
  workflowId: string;
  /** starts the sync workflow; `input` replaces the whole argument */
  start(options?: Record<string, unknown>, input?: unknown): Promise<{ result(): Promise<SyncResult> }>;
  startWorker(deps?: Partial<ActivityDeps>): Promise<void>;
  stopWorker(): Promise<void>;
  /** `node bin/ldsync.js worker` against this rig; its output goes to the ledger */
  startWorkerProcess(env?: NodeJS.ProcessEnv): ChildProcess;
  /** the environment an operator's shell has for this rig's CLI */
  cliEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startRig(label: string, opts: RigOptions): Promise<Rig> {
  const stack = await testStack(label);
  const cleanups: Array<() => Promise<unknown>> = [() => stack.cleanup()];
  let client = stack.client;
  let namespace = stack.namespace;
  let temporalAddress = stack.temporalAddress;
  let nativeConnection: NativeConnection = stack.nativeConnection;
  if (opts.temporalAddress) {
    temporalAddress = opts.temporalAddress;
    const own = await connectClient({ connectionOptions: { address: temporalAddress }, namespace: 'default' });
    cleanups.unshift(() => own.close());
    client = own.client;
    namespace = own.namespace;
    const native = await connectNative({ connectionOptions: { address: temporalAddress }, namespace: 'default' });
    cleanups.unshift(() => native.close());
    nativeConnection = native.connection;
  }
  if (!opts.temporalAddress) ledger.taskQueues.add(stack.taskQueue);
  let databaseUrl = stack.databaseUrl;
  if (opts.adminUrl) {
    const db = await createIsolatedDatabase(opts.adminUrl, label);
    cleanups.unshift(() => db.drop());
    databaseUrl = db.url;
  }
  const pool = createPool(databaseUrl, { statementTimeoutMs: 30_000 });
  const encryptionKey = generateEncryptionKey();
  const cipher = new TokenCipher(parseEncryptionKey(encryptionKey));
  const sim = await startSimulator(opts.sim);
  recordSecrets(sim);
  if (opts.token) ledger.secrets.add(opts.token);
  const baseUrl = opts.baseUrl ? await opts.baseUrl(sim.baseUrl) : sim.baseUrl;
  const connectionId = `${label}-${stack.taskQueue.slice(-8)}`;
  await addConnection(pool, cipher, { id: connectionId, baseUrl, token: opts.token ?? sim.readerToken });

  let worker: Worker | null = null;
  let running: Promise<void> | null = null;
  const children: ChildProcess[] = [];
  const workflowId = syncWorkflowId(connectionId);

  const rig: Rig = {
    label,
    stack,
    client,
    namespace,
    temporalAddress,
    databaseUrl,
    pool,
    cipher,
    encryptionKey,
    sim,
    connectionId,
    baseUrl,
    workflowId,
    async start(options, input) {
      const handle = await client.workflow.start(SYNC_WORKFLOW_TYPE, {
        taskQueue: stack.taskQueue,
        workflowId,
        args: [input ?? { connectionId, ...(options ? { options } : {}) }],
      });
      return { result: () => handle.result() as Promise<SyncResult> };
    },
    async startWorker(deps = {}) {
      worker = await createSyncWorker({
        connection: nativeConnection,
        namespace,
        taskQueue: stack.taskQueue,
        workflowBundle: await workflowBundle(),
        activities: createActivities({
          pool,
          cipher,
          clientOptions: opts.clientOptions,
          ...(opts.databaseRetry ? { databaseRetry: opts.databaseRetry } : {}),
          ...deps,
        }),
      });
      running = worker.run();
    },
    async stopWorker() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      worker = null;
      running = null;
    },
    startWorkerProcess(env = {}) {
      const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'ldsync.js'), 'worker'], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: temporalAddress,
          TEMPORAL_NAMESPACE: namespace,
          LDSYNC_TASK_QUEUE: stack.taskQueue,
          DATABASE_URL: databaseUrl,
          LDSYNC_ENCRYPTION_KEY: encryptionKey,
          LDSYNC_LOG_LEVEL: 'info',
          LDSYNC_LOG_FORMAT: 'json',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
      child.once('exit', () => ledger.logs.push(out));
      children.push(child);
      return child;
    },
    cliEnv(extra = {}) {
      return {
        DATABASE_URL: databaseUrl,
        LDSYNC_ENCRYPTION_KEY: encryptionKey,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_NAMESPACE: namespace,
        LDSYNC_TASK_QUEUE: stack.taskQueue,
        // Never pick up a developer's running `ldsync dev` state.
        LDSYNC_DATA_DIR: path.join(os.tmpdir(), `ldsync-fault-cli-${label}`),
        ...extra,
      };
    },
    async close() {
      await rig.stopWorker().catch(() => undefined);
      for (const c of children) {
        if (c.exitCode === null && c.signalCode === null) {
          c.kill('SIGKILL');
          await new Promise((r) => c.once('exit', r));
        }
      }
      await collectArtifacts(rig).catch((err: unknown) =>
        ledger.logs.push(`collecting artifacts failed: ${String(err)}`),
      );
      await sim.close();
      await pool.end();
      for (const c of cleanups) await c().catch(() => undefined);
    },
  };
  if ((opts.worker ?? 'in-process') === 'in-process') await rig.startWorker();
  return rig;
}

/**
 * A history as text with every payload decoded: a payload's `data` comes back from fetchHistory as
 * base64 text (or as bytes, which JSON.stringify hands to the replacer as `{type: 'Buffer', data}`);
 * all of them become UTF-8 text, so a secret in any payload (inputs, results, heartbeats, failure
 * details, memos, search attributes) is found.
 */
export function historyText(history: unknown): string {
  return JSON.stringify(history, (key, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
      const data = (v as { data?: unknown }).data;
      if (Array.isArray(data)) return Buffer.from(data as number[]).toString('utf8');
    }
    if (key === 'data' && typeof v === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0) {
      return Buffer.from(v, 'base64').toString('utf8');
    }
    return v;
  });
}

/** Histories of every workflow of the rig's task queue, and its database as text, into the ledger. */
async function collectArtifacts(rig: Rig): Promise<void> {
  for await (const wf of rig.client.workflow.list({ query: `TaskQueue = "${rig.stack.taskQueue}"` })) {
    const history = await rig.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    ledger.histories.push(historyText(history));
    ledger.workflowsRead += 1;
  }
  const tables = [...TABLES.map((t) => `launchdarkly.${t}`), 'ldsync.sync_runs', 'ldsync.sync_run_streams'];
  for (const t of tables) {
    const { rows } = await rig.pool.query<{ row: string }>(`SELECT x::text AS row FROM ${t} x`);
    ledger.database.push(rows.map((r) => r.row).join('\n'));
  }
  const { rows } = await rig.pool.query<{ row: string }>(
    `SELECT (to_jsonb(c) - 'token_ciphertext')::text AS row FROM ldsync.connections c`,
  );
  ledger.database.push(rows.map((r) => r.row).join('\n'));
  const { rows: others } = await rig.pool.query<{ t: string }>(
    `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
     WHERE table_schema IN ('ldsync', 'launchdarkly', 'public') AND table_type = 'BASE TABLE'
       AND table_name NOT IN ('connections', 'sync_runs', 'sync_run_streams') AND table_name NOT LIKE 'pgmigrations%'`,
  );
  for (const { t } of others) {
    if (TABLES.some((x) => t === `launchdarkly.${x}`)) continue;
    const { rows: r } = await rig.pool.query<{ row: string }>(`SELECT x::text AS row FROM ${t} x`);
    ledger.database.push(r.map((x) => x.row).join('\n'));
  }
}

// ---------------------------------------------------------------------------------------------
// What a scenario ends with.

/** Rows of each data table, without the connection and the bookkeeping timestamps: comparable across rigs. */
export type Snapshot = Record<TableName, string[]>;

export async function snapshot(rig: Pick<Rig, 'pool' | 'connectionId'>): Promise<Snapshot> {
  const out = {} as Snapshot;
  for (const t of TABLES) {
    const { rows } = await rig.pool.query<{ row: string }>(
      `SELECT (to_jsonb(x) - 'connection_id' - 'first_seen_at' - 'updated_at' - 'deleted_at')::text AS row
       FROM launchdarkly.${t} x WHERE connection_id = $1 AND deleted_at IS NULL`,
      [rig.connectionId],
    );
    out[t] = rows.map((r) => r.row).sort();
  }
  return out;
}

export function countsOf(s: Snapshot): Record<TableName, number> {
  return Object.fromEntries(TABLES.map((t) => [t, s[t].length])) as Record<TableName, number>;
}

/** Tables whose rows differ, with how many rows are missing and extra (and a sample), or [] when equal. */
export function diffSnapshots(actual: Snapshot, expected: Snapshot): string[] {
  const out: string[] = [];
  for (const t of TABLES) {
    const a = new Set(actual[t]);
    const e = new Set(expected[t]);
    const missing = expected[t].filter((r) => !a.has(r));
    const extra = actual[t].filter((r) => !e.has(r));
    if (missing.length || extra.length) {
      out.push(
        `${t}: ${actual[t].length} rows vs ${expected[t].length}; ${missing.length} missing, ${extra.length} differ/extra` +
          (extra[0]
            ? ` e.g. ${extra[0].slice(0, 300)}`
            : missing[0]
              ? ` e.g. missing ${missing[0].slice(0, 300)}`
              : ''),
      );
    }
  }
  return out;
}

export interface RunRow {
  id: string;
  status: string;
  error_type: string | null;
  error_message: string | null;
  finished_at: Date | null;
  totals: Record<string, number> | null;
  deletions_unchecked: string[];
}

export async function runRows(rig: Pick<Rig, 'pool' | 'connectionId'>): Promise<RunRow[]> {
  const { rows } = await rig.pool.query<RunRow>(
    `SELECT id, status, error_type, error_message, finished_at, totals, deletions_unchecked
     FROM ldsync.sync_runs WHERE connection_id = $1 ORDER BY started_at`,
    [rig.connectionId],
  );
  return rows;
}

export interface StreamRow {
  stream: string;
  scope: string;
  status: string;
  requests: number;
  pages: number;
  rows_inserted: number;
  rows_updated: number;
  rows_unchanged: number;
  rows_deleted: number;
  error_type: string | null;
  error_message: string | null;
  table_counts: Record<string, { inserted: number; updated: number; unchanged: number; deleted: number }>;
  deletion_check: string | null;
}

export async function streamRows(rig: Pick<Rig, 'pool'>, runId: string): Promise<StreamRow[]> {
  const { rows } = await rig.pool.query<StreamRow>(
    `SELECT stream, scope, status, requests, pages, rows_inserted, rows_updated, rows_unchanged, rows_deleted,
            error_type, error_message, table_counts, deletion_check
     FROM ldsync.sync_run_streams WHERE run_id = $1 ORDER BY stream, scope`,
    [runId],
  );
  return rows;
}

/** Rows counted per table over the given streams (from table_counts). */
export function countedPerTable(
  streams: StreamRow[],
): Record<string, { inserted: number; updated: number; unchanged: number }> {
  const out: Record<string, { inserted: number; updated: number; unchanged: number }> = {};
  for (const s of streams) {
    for (const [table, c] of Object.entries(s.table_counts ?? {})) {
      const o = (out[table] ??= { inserted: 0, updated: 0, unchanged: 0 });
      o.inserted += c.inserted ?? 0;
      o.updated += c.updated ?? 0;
      o.unchanged += c.unchanged ?? 0;
    }
  }
  return out;
}

/**
 * Attempt numbers of every activity started in the histories of the rig's workflows (all runs, and
 * children), or only of those started since `since`.
 */
export async function activityAttempts(rig: Rig, since?: Date): Promise<Array<{ type: string; attempt: number }>> {
  const out: Array<{ type: string; attempt: number }> = [];
  const query = `TaskQueue = "${rig.stack.taskQueue}"` + (since ? ` AND StartTime >= "${since.toISOString()}"` : '');
  for await (const wf of rig.client.workflow.list({ query })) {
    const history = await rig.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    const scheduled = new Map<string, string>();
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '?');
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        out.push({
          type: scheduled.get(String(started.scheduledEventId)) ?? '?',
          attempt: started.attempt ?? 0,
        });
      }
    }
  }
  return out;
}

/** Requests the rig's streams counted over all its runs. */
export async function countedRequests(rig: Pick<Rig, 'pool' | 'connectionId'>): Promise<number> {
  const { rows } = await rig.pool.query<{ n: number }>(
    `SELECT coalesce(sum(s.requests), 0)::int AS n FROM ldsync.sync_run_streams s
     JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1`,
    [rig.connectionId],
  );
  return rows[0]?.n ?? 0;
}

export interface ExactOptions {
  status: 'succeeded' | 'partial' | 'failed';
  /** the workflow result, when it completed: its per-stream counts are checked against the table */
  result?: SyncResult;
  /** extra requests the counters may hold beyond what the simulator received (requests a kill cut off) */
  requestSlack?: number;
  /** a proxy answering some requests itself: the simulator saw fewer */
  requestsReceived?: number;
  /** sum(rows_inserted) = live rows and nothing updated/unchanged (a first sync into an empty database) */
  firstSync?: boolean;
  /** applied to the live rows before comparing (the reference is given already transformed) */
  strip?: (s: Snapshot) => Snapshot;
}

/**
 * The end of every scenario: live rows equal the reference, every live row counted inserted once, one
 * run row with the expected status and no stream left running, and counters that add up.
 */
export async function assertExact(
  rig: Rig,
  reference: Snapshot,
  opts: ExactOptions,
): Promise<{ counts: string; requests: string }> {
  const live = await snapshot(rig);
  const diff = diffSnapshots(opts.strip ? opts.strip(live) : live, reference);
  assert.deepEqual(diff, [], 'live rows equal the clean reference sync');

  const runs = await runRows(rig);
  assert.equal(runs.length, 1, `one sync_runs row (${JSON.stringify(runs.map((r) => r.status))})`);
  const [run] = runs as [RunRow];
  assert.equal(run.status, opts.status, `run status (${run.error_type}: ${run.error_message})`);
  assert.ok(run.finished_at, 'the run is finished');
  assert.deepEqual(run.deletions_unchecked ?? [], [], 'deletions checked everywhere');
  const streams = await streamRows(rig, run.id);
  assert.deepEqual(
    streams.filter((s) => s.status === 'running' || s.status === 'pending').map((s) => `${s.stream}/${s.scope}`),
    [],
    'no stream left running',
  );
  if (opts.status === 'succeeded') {
    assert.equal(run.error_type, null);
    assert.deepEqual(
      streams
        .filter((s) => s.deletion_check !== null && s.deletion_check !== 'done' && s.status === 'succeeded')
        .map((s) => `${s.stream}/${s.scope}: ${s.deletion_check}`),
      [],
      'every succeeded stream checked deletions',
    );
  }

  const counted = countedPerTable(streams);
  const liveCounts = countsOf(live);
  if (opts.firstSync ?? true) {
    for (const t of TABLES) {
      if (liveCounts[t] === 0 && !counted[t]) continue;
      assert.equal(counted[t]?.inserted ?? 0, liveCounts[t], `${t}: sum(rows_inserted) = live rows`);
      assert.equal(counted[t]?.updated ?? 0, 0, `${t}: nothing counted updated in a first sync`);
      assert.equal(counted[t]?.unchanged ?? 0, 0, `${t}: nothing counted unchanged in a first sync`);
    }
  }
  // The per-table counts add up to the stream's own counters, and the run's totals to the streams'.
  for (const s of streams) {
    const sum = Object.values(s.table_counts ?? {}).reduce((n, c) => n + (c.inserted ?? 0), 0);
    assert.equal(sum, s.rows_inserted, `${s.stream}/${s.scope}: table_counts add up to rows_inserted`);
    assert.ok(s.requests >= s.pages, `${s.stream}/${s.scope}: ${s.requests} requests for ${s.pages} pages`);
  }
  const requests = streams.reduce((n, s) => n + s.requests, 0);
  const inserted = streams.reduce((n, s) => n + s.rows_inserted, 0);
  if (run.totals) {
    assert.equal(run.totals.requests, requests, 'run totals: requests = sum over streams');
    assert.equal(run.totals.inserted, inserted, 'run totals: inserted = sum over streams');
  }
  if (opts.result) {
    for (const [stream, p] of Object.entries(opts.result.streams)) {
      const rows = streams.filter((s) => s.stream === stream);
      const ins = rows.reduce((n, s) => n + s.rows_inserted, 0);
      assert.equal(p.counts.inserted, ins, `${stream}: the workflow result's inserted = the table's`);
    }
  }
  const received = opts.requestsReceived ?? rig.sim.stats().requests;
  const slack = opts.requestSlack ?? 0;
  assert.ok(
    requests >= received && requests <= received + slack,
    `requests counted ${requests}, the simulator received ${received} (slack ${slack})`,
  );
  const ref = countsOf(reference);
  return {
    counts: TABLES.every((t) => liveCounts[t] === ref[t])
      ? `= reference (${TABLES.map((t) => liveCounts[t]).join('/')})`
      : TABLES.map((t) => `${t} ${liveCounts[t]}/${ref[t]}`).join(', '),
    requests: `${requests}/${received}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Temporal servers a test may kill: `temporal server start-dev` on a SQLite file and a fixed port.

export interface KillableTemporal {
  address: string;
  start(): Promise<void>;
  /** SIGKILL: no chance to close the SQLite file cleanly */
  kill(): Promise<void>;
  destroy(): Promise<void>;
}

export async function killableTemporal(port: number): Promise<KillableTemporal> {
  const cli = await findTemporalCli();
  if (cli.kind === 'sdk-download') throw new Error(`no Temporal CLI binary: ${cli.why}`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ldsync-fault-temporal-'));
  const dbFile = path.join(dir, 'temporal.sqlite');
  const address = `127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let output = '';
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--headless',
    '--namespace',
    'default',
    '--db-filename',
    dbFile,
    '--log-level',
    'error',
    ...Object.values(searchAttributes).flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
  ];
  const self: KillableTemporal = {
    address,
    async start() {
      child = spawn(cli.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-8000)));
      child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-8000)));
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`temporal exited (${child.exitCode}): ${output}`);
        try {
          const c = await connectClient({ connectionOptions: { address }, namespace: 'default' });
          try {
            await c.connection.workflowService.describeNamespace({ namespace: 'default' });
            return;
          } finally {
            await c.close();
          }
        } catch (err) {
          if (Date.now() > deadline)
            throw new Error(`temporal on ${address} did not answer: ${String(err)}\n${output}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
    async destroy() {
      await self.kill();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

export async function flagPages(rig: Pick<Rig, 'pool' | 'connectionId'>): Promise<number> {
  const { rows } = await rig.pool.query<{ pages: number }>(
    `SELECT coalesce(sum(pages), 0)::int AS pages FROM ldsync.sync_run_streams s
     JOIN ldsync.sync_runs r ON r.id = s.run_id WHERE r.connection_id = $1 AND s.stream = 'flags'`,
    [rig.connectionId],
  );
  return rows[0]?.pages ?? 0;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The first port from `from` on that nothing listens on: fixed ports outside the ephemeral range
 * (32768-60999) for servers a test restarts on the same port, tolerant of other test runs on the
 * machine holding one of them.
 */
export async function fixedFreePort(from: number): Promise<number> {
  for (let port = from; port < from + 100; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${from}-${from + 99}`);
}

/** Times a scenario and adds its report row (also when it fails: status `FAIL: …`). */
export async function scenario(
  name: string,
  body: () => Promise<{ status: string; counts: string; requests: string; note?: string }>,
): Promise<void> {
  const started = Date.now();
  try {
    const row = await body();
    report.push({ scenario: name, ...row, seconds: (Date.now() - started) / 1000 });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    report.push({
      scenario: name,
      status: `FAIL: ${message?.slice(0, 200)}`,
      counts: '-',
      requests: '-',
      seconds: (Date.now() - started) / 1000,
    });
    throw err;
  }
}

/**
 * A proxy in front of the simulator that rewrites every JSON body it returns (the API adding fields
 * this client has never heard of, say). Other answers pass through untouched.
 */
export async function startRewritingProxy(
  target: string,
  rewrite: (body: unknown) => unknown,
): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, host: to.host };
    delete headers['accept-encoding'];
    const upstream = http.request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          const type = String(answer.headers['content-type'] ?? '');
          if (type.includes('json') && (answer.statusCode ?? 0) < 300) {
            try {
              body = Buffer.from(JSON.stringify(rewrite(JSON.parse(body.toString('utf8')))));
            } catch {
              // not JSON after all: pass it on as it came
            }
          }
          const out = { ...answer.headers, 'content-length': String(body.length) };
          delete out['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, out);
          res.end(body);
        });
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
