// Worker start-up time, process start to polling: spawns `ldsync worker` (the development entry
// through tsx, which bundles with webpack at start, or the compiled one with the prebuilt bundle)
// and times until the Temporal server lists that process (identity ldsync@<host>/<pid>) among the
// pollers of both the workflow and the activity task queue.
//   npm run build && DATABASE_URL=... TEMPORAL_ADDRESS=... LDSYNC_ENCRYPTION_KEY=... \
//     npx tsx scripts/worker-startup.ts [--runs 3]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from '../src/config';
import { DEFAULT_TASK_QUEUE } from '../src/shared';
import { connectClient } from '../src/temporal/connection';
import { probeWorkerPolling } from '../src/temporal/worker-probe';
import { workerIdentityPrefix } from '../src/temporal/worker';

const VARIANTS = [
  { name: 'development: node bin/ldsync.js worker (tsx, webpack at start)', entry: 'bin/ldsync.js' },
  { name: 'production:  node dist/src/main.js worker (compiled, prebuilt bundle)', entry: 'dist/src/main.js' },
];

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
  const taskQueue = process.env.LDSYNC_TASK_QUEUE || DEFAULT_TASK_QUEUE;
  const temporal = await connectClient();
  try {
    for (const variant of VARIANTS) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await timeOne(variant.entry, temporal, taskQueue));
      const sorted = [...times].sort((a, b) => a - b);
      const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      console.log(`${variant.name}\n  runs: ${times.map(fmt).join(', ')}  median ${fmt(sorted[sorted.length >> 1]!)}`);
    }
  } finally {
    await temporal.close();
  }
}

async function timeOne(
  entry: string,
  temporal: Awaited<ReturnType<typeof connectClient>>,
  taskQueue: string,
): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, entry), 'worker'], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, LDSYNC_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const identity = `${workerIdentityPrefix()}${child.pid}`;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${entry} worker exited with ${child.exitCode}`);
      const probe = await probeWorkerPolling({ ...temporal, taskQueue, identity, maxPollAgeMs: 60_000 });
      if (probe.polling) return performance.now() - started;
      if (performance.now() - started > 120_000) throw new Error(`${entry} worker not polling after 120 s`);
      await sleep(50);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
