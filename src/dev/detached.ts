// A terminal's Ctrl-C reaches every process in the foreground process group. If the stack's
// children were in it, embedded Postgres would shut itself down at once, while the worker still
// writes (and its pending calls then fail or hang). So `ldsync dev` runs the stack in a copy of
// itself in a process group of its own; the process in the terminal only relays signals to it and
// exits with its exit code.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { onStopSignal } from '../worker/signals';

const DETACHED_MARKER = 'LDSYNC_DEV_DETACHED';

/** True in the copy that runs the stack (and on Windows, where there are no process groups to escape). */
export function runsDetached(): boolean {
  return process.env[DETACHED_MARKER] === '1' || process.platform === 'win32';
}

/**
 * For bin/ldsync.js: when argv is `ldsync dev ...` in the terminal's process, starts the detached
 * copy, exits with its code, and returns true; returns false for every other command.
 */
export function relayDevCommand(argv: string[]): boolean {
  if (argv[2] !== 'dev' || runsDetached()) return false;
  void runDetachedCopy().then((code) => process.exit(code));
  return true;
}

/**
 * Runs this same command again, detached, and relays SIGINT/SIGTERM/SIGHUP to it. Resolves with the
 * copy's exit code. A second signal makes this process exit at once; the copy sees its stdin close
 * and stops too (see stopWhenParentExits).
 */
export function runDetachedCopy(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, [DETACHED_MARKER]: '1' },
  });
  const dispose = onStopSignal((signal) => child.kill(signal));
  return new Promise((resolve) => {
    child.once('error', (err) => {
      console.error(`could not start ldsync dev: ${err.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      dispose();
      resolve(code ?? (signal ? 128 + constants.signals[signal] : 1));
    });
  });
}

/**
 * In the detached copy: our stdin is a pipe from the process in the terminal, so it closes when that
 * process dies (even by SIGKILL); treat that as SIGTERM. Returns a function that stops watching.
 */
export function stopWhenParentExits(): () => void {
  if (process.env[DETACHED_MARKER] !== '1') return () => undefined;
  const onEnd = () => process.kill(process.pid, 'SIGTERM');
  process.stdin.once('end', onEnd);
  process.stdin.resume();
  return () => {
    process.stdin.off('end', onEnd);
    process.stdin.destroy();
  };
}
