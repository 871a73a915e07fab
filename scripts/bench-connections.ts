// N connections synced at once by 1 and by 2 `ldsync worker` processes (issue 12, item 6). Each
// connection is its own LaunchDarkly account (one simulator each, rate-limited per account); all N
// syncs start together and the table shows, per (N, workers): wall time until the last one ends,
// requests and 429s the simulators answered, failed runs, and the workers' memory: VmHWM (the
// process's peak RSS, worker start-up with its webpack bundling included) and the peak VmRSS sampled
// while the syncs ran. Needs DATABASE_URL (a database that may CREATE DATABASE); starts its own
// Temporal dev server on a fixed port.
//   DATABASE_URL=postgres://… npx tsx scripts/bench-connections.ts [--sizes 1,5,10] [--workers 1,2]
//     [--projects 1] [--environments 2] [--flags 30] [--teams 2] [--rate 20] [--window-ms 1000]
//     [--max-concurrent-activities N] [--rate-limit-per-second R]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { generateEncryptionKey, parseEncryptionKey, TokenCipher } from '../src/crypto/token-cipher';
import { addConnection, createPool } from '../src/db';
import { startSimulator, type Simulator } from '../src/simulator';
import { SYNC_WORKFLOW_TYPE, syncWorkflowId, type SyncResult } from '../src/shared';
import { connectClient } from '../src/temporal/connection';
import { startDevServer } from '../src/temporal/dev-server';
import { createIsolatedDatabase } from '../test/support/test-database';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../test/support/worker-process';

/** Fixed ports outside the ephemeral range: Temporal, then one simulator per connection from SIM_BASE_PORT. */
const TEMPORAL_PORT = 17690;
const SIM_BASE_PORT = 17700;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1,5,10' },
    workers: { type: 'string', default: '1,2' },
    projects: { type: 'string', default: '1' },
    environments: { type: 'string', default: '2' },
    flags: { type: 'string', default: '30' },
    teams: { type: 'string', default: '2' },
    rate: { type: 'string', default: '20' },
    'window-ms': { type: 'string', default: '1000' },
    'max-concurrent-activities': { type: 'string' },
    'rate-limit-per-second': { type: 'string' },
  },
});
const list = (s: string) => s.split(',').map((v) => Number(v.trim()));
const sizes = list(values.sizes);
const workerCounts = list(values.workers);

/** kB of a /proc/<pid>/status field (VmHWM, VmRSS); 0 once the process is gone. */
function procStatusKb(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number {
  if (pid === undefined) return 0;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
  const maxN = Math.max(...sizes);
  if (maxN > 50) throw new Error('at most 50 connections (one simulator port each from 17700)');
  const cleanups: Array<() => Promise<unknown>> = [];
  const workers: WorkerProcess[] = [];
  try {
    const server = await startDevServer({ port: TEMPORAL_PORT, uiPort: 'headless', logLevel: 'error' });
    cleanups.unshift(() => server.stop());
    const database = await createIsolatedDatabase(adminUrl, 'bench-connections');
    cleanups.unshift(() => database.drop());
    const pool = createPool(database.url);
    cleanups.unshift(() => pool.end());
    const temporal = await connectClient({
      connectionOptions: { address: server.address },
      namespace: server.namespace,
    });
    cleanups.unshift(() => temporal.close());
    const encryptionKey = generateEncryptionKey();
    const cipher = new TokenCipher(parseEncryptionKey(encryptionKey));

    const sims: Simulator[] = [];
    for (let i = 0; i < maxN; i++) {
      const sim = await startSimulator({
        seed: 100 + i,
        projects: Number(values.projects),
        environments: Number(values.environments),
        flags: Number(values.flags),
        teams: Number(values.teams),
        port: SIM_BASE_PORT + i,
        rateLimit: { globalPerWindow: Number(values.rate), windowMs: Number(values['window-ms']) },
      });
      sims.push(sim);
      cleanups.unshift(() => sim.close());
    }

    const rows: string[][] = [];
    for (const w of workerCounts) {
      for (const n of sizes) {
        const taskQueue = `bench-connections-w${w}-n${n}-${Date.now().toString(36)}`;
        const env: NodeJS.ProcessEnv = {
          TEMPORAL_ADDRESS: server.address,
          TEMPORAL_NAMESPACE: server.namespace,
          LDSYNC_TASK_QUEUE: taskQueue,
          DATABASE_URL: database.url,
          LDSYNC_ENCRYPTION_KEY: encryptionKey,
          ...(values['max-concurrent-activities']
            ? { LDSYNC_MAX_CONCURRENT_ACTIVITIES: values['max-concurrent-activities'] }
            : {}),
          ...(values['rate-limit-per-second'] ? { LDSYNC_RATE_LIMIT_PER_SECOND: values['rate-limit-per-second'] } : {}),
        };
        const started = Array.from({ length: w }, () => startWorkerProcess(env));
        workers.push(...started);
        await Promise.all(started.map((p) => p.ready));
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const id = `bench-w${w}-n${n}-${i}`;
          await addConnection(pool, cipher, {
            id,
            name: id,
            baseUrl: sims[i]!.baseUrl,
            apiVersion: '20240415',
            token: sims[i]!.readerToken,
          });
          ids.push(id);
        }
        for (const sim of sims) sim.resetStats();

        const peakRss = new Map<number, number>();
        const sample = setInterval(() => {
          for (const p of started) {
            const pid = p.child.pid ?? 0;
            peakRss.set(pid, Math.max(peakRss.get(pid) ?? 0, procStatusKb(pid, 'VmRSS')));
          }
        }, 200);
        const t0 = Date.now();
        const results = await Promise.allSettled(
          ids.map(
            (connectionId) =>
              temporal.client.workflow.execute(SYNC_WORKFLOW_TYPE, {
                taskQueue,
                workflowId: syncWorkflowId(connectionId),
                args: [{ connectionId }],
              }) as Promise<SyncResult>,
          ),
        );
        const wallMs = Date.now() - t0;
        clearInterval(sample);
        const hwm = started.map((p) => procStatusKb(p.child.pid, 'VmHWM'));
        const failed = results.filter((r) => r.status === 'rejected' || r.value.status !== 'succeeded').length;
        let requests = 0;
        let refused = 0;
        for (const sim of sims.slice(0, n)) {
          requests += sim.stats().requests;
          refused += sim.stats().rateLimited;
        }
        const mb = (kb: number) => (kb / 1024).toFixed(0);
        rows.push([
          String(n),
          String(w),
          (wallMs / 1000).toFixed(1),
          String(requests),
          String(refused),
          String(failed),
          hwm.map(mb).join('/'),
          [...peakRss.values()].map(mb).join('/'),
        ]);
        console.error(`done: N=${n} workers=${w} in ${(wallMs / 1000).toFixed(1)} s`);
        await Promise.all(started.map((p) => stopWorkerProcess(p)));
      }
    }

    const header = ['N', 'workers', 'wall s', 'requests', '429s', 'failed', 'VmHWM MB', 'peak RSS in sync MB'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
    console.log(
      `\naccount per connection: ${values.projects} project(s) × ${values.environments} environments × ` +
        `${values.flags} flags, ${values.teams} teams; rate limit ${values.rate} requests per ` +
        `${values['window-ms']} ms per account`,
    );
    console.log(line(header));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
  } finally {
    await Promise.all(workers.map((w) => stopWorkerProcess(w)));
    for (const c of cleanups) await c().catch((err: unknown) => console.error(`cleanup: ${String(err)}`));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
