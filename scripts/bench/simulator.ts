// Parent side of sim-child.ts: starts the simulator as a child process and talks to it over IPC.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { SimulatorCounts, SimulatorOptions, SimulatorStats } from '../../src/simulator';
import type { Endpoint } from './minimum';
import { procCpuMs, track } from './processes';

export interface SimProcess {
  baseUrl: string;
  readerToken: string;
  counts: SimulatorCounts;
  minimum: Record<Endpoint, number>;
  generateMs: number;
  heapMb: number;
  pid: number;
  stats(): Promise<SimulatorStats>;
  resetStats(): Promise<void>;
  configure(patch: Partial<SimulatorOptions>): Promise<void>;
  sample(n: number): Promise<Array<[string, string, string]>>;
  cpuMs(): number;
  close(): Promise<void>;
}

interface Ready {
  ready: true;
  baseUrl: string;
  readerToken: string;
  counts: SimulatorCounts;
  minimum: Record<Endpoint, number>;
  generateMs: number;
  heapMb: number;
}

export async function startSimProcess(
  options: SimulatorOptions,
  opts: { cpuProfDir?: string } = {},
): Promise<SimProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--max-old-space-size=12000',
      ...(opts.cpuProfDir
        ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir, '--cpu-prof-name', 'simulator.cpuprofile']
        : []),
      // tsx's CommonJS hook, not `--import tsx`: the ESM loader runs in a thread of its own, whose
      // profile would overwrite the simulator's under the same --cpu-prof-name.
      '--require',
      'tsx/cjs',
      path.join(__dirname, 'sim-child.ts'),
      JSON.stringify(options),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const untrack = track('simulator', child);
  let nextId = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const ready = new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code} before it was ready`)));
    child.on('message', (m: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
      if (m.ready) return resolve(m as Ready);
      const w = m.id === undefined ? undefined : waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id as number);
      if (m.error) w.reject(new Error(m.error));
      else w.resolve(m.result);
    });
  });
  child.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('simulator exited'));
    waiting.clear();
  });
  const call = <T>(message: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, ...message });
    });
  const r = await ready;
  const pid = child.pid as number;
  return {
    baseUrl: r.baseUrl,
    readerToken: r.readerToken,
    counts: r.counts,
    minimum: r.minimum,
    generateMs: r.generateMs,
    heapMb: r.heapMb,
    pid,
    stats: () => call<SimulatorStats>({ op: 'stats' }),
    resetStats: () => call<void>({ op: 'resetStats' }),
    configure: (patch) => call<void>({ op: 'configure', patch }),
    sample: (n) => call<Array<[string, string, string]>>({ op: 'sample', n }),
    cpuMs: () => procCpuMs(pid),
    async close() {
      if (child.exitCode !== null) return untrack();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call<void>({ op: 'close' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      untrack();
    },
  };
}
