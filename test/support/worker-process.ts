// An `ldsync worker` child process (bin/ldsync.js, the TypeScript sources through tsx) with JSON
// info logs, for tests and benches that run real worker processes beside their own Temporal and
// Postgres: test/multi-worker.test.ts, scripts/bench-connections.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

export interface WorkerProcess {
  child: ChildProcess;
  /** The worker's identity, from its `worker running` line; rejects if the process exits before it. */
  identity: Promise<string>;
  /** Resolves once the worker logged `worker running`; rejects if the process exits before it. */
  ready: Promise<void>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/** Starts `ldsync worker` with `env` over this process's environment. */
export function startWorkerProcess(env: NodeJS.ProcessEnv): WorkerProcess {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'ldsync.js'), 'worker'], {
    env: { ...process.env, LDSYNC_LOG_LEVEL: 'info', LDSYNC_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const identity = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"worker running"')) continue;
        try {
          resolve(String((JSON.parse(line) as { identity?: string }).identity));
        } catch {
          // a partial line: wait for the rest
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code, signal) =>
      reject(new Error(`worker exited (${code ?? signal}) before running:\n${out.slice(-2000)}`)),
    );
  });
  const ready = identity.then(() => undefined);
  identity.catch(() => undefined);
  ready.catch(() => undefined);
  return { child, identity, ready, output: () => out };
}

/** SIGTERM (the worker's graceful stop), SIGKILL after 20 s; resolves once the process has exited. */
export async function stopWorkerProcess(p: WorkerProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((resolve) => p.child.once('exit', resolve));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
