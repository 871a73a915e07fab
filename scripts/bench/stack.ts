// The real stack the bench drives: a Temporal dev server, a dedicated database, a worker as a
// separate `node bin/ldsync.js worker` process (its RSS and CPU read from /proc), and the `ldsync` CLI.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PROJECT_ROOT } from '../../src/config';
import { migrate } from '../../src/db/migrate';
import { connectClient, type TemporalClient } from '../../src/temporal/connection';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { probeWorkerPolling } from '../../src/temporal/worker-probe';
import { workerIdentityPrefix } from '../../src/temporal/worker';
import { procCpuMs, procMemory, procName, RssSampler, track } from './processes';

export const BIN = path.join(PROJECT_ROOT, 'bin', 'ldsync.js');

export async function startTemporal(port: number): Promise<{ server: DevServer; temporal: TemporalClient }> {
  const server = await startDevServer({ port, uiPort: 'headless', logLevel: 'error' });
  try {
    const temporal = await connectClient({
      connectionOptions: { address: server.address },
      namespace: server.namespace,
    });
    return { server, temporal };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Drops and re-creates `name` on the server of `adminUrl`, migrated; returns its URL. */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export interface WorkerProcess {
  pid: number;
  startMs: number;
  sampler: RssSampler;
  memory(): { rssMb: number; hwmMb: number } | null;
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Spawns `node [--cpu-prof] bin/ldsync.js worker` and waits until the server lists it as a poller. */
export async function startWorker(
  env: NodeJS.ProcessEnv,
  temporal: TemporalClient,
  taskQueue: string,
  opts: { cpuProfDir?: string; nodeOptions?: string[]; entry?: string } = {},
): Promise<WorkerProcess> {
  const started = performance.now();
  const args = [
    ...(opts.nodeOptions ?? []),
    ...(opts.cpuProfDir
      ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir, '--cpu-prof-name', 'worker.cpuprofile']
      : []),
    opts.entry ? path.resolve(PROJECT_ROOT, opts.entry) : BIN,
    'worker',
  ];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...env, LDSYNC_LOG_LEVEL: env.LDSYNC_LOG_LEVEL ?? 'warn' },
  });
  track('worker', child);
  const pid = child.pid as number;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (procName(pid) !== 'node') throw new Error(`worker pid ${pid} is ${procName(pid)}, not node`);
  const identity = `${workerIdentityPrefix()}${pid}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode} before polling`);
    const probe = await probeWorkerPolling({
      client: temporal.client,
      namespace: temporal.namespace,
      taskQueue,
      identity,
      maxPollAgeMs: 60_000,
    });
    if (probe.polling) break;
    if (performance.now() - started > 180_000) throw new Error('the worker is not polling after 180 s');
    await sleep(100);
  }
  return {
    pid,
    startMs: performance.now() - started,
    sampler: new RssSampler(pid),
    memory: () => procMemory(pid),
    cpuMs: () => procCpuMs(pid),
    async stop() {
      if (child.exitCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node bin/ldsync.js <args>`; rejects unless it exits 0 (or `allowFailure`). */
export async function ldsync(env: NodeJS.ProcessEnv, args: string[], allowFailure = false): Promise<CliResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, LDSYNC_LOG_LEVEL: 'warn' },
  });
  track(`ldsync ${args[0]}`, child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const result = { code, stdout, stderr, ms: performance.now() - started };
  if (code !== 0 && !allowFailure) {
    throw new Error(`ldsync ${args.join(' ')} exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  }
  return result;
}
