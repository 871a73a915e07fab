// Ctrl-C, SIGTERM and SIGHUP (a closed terminal) start a graceful stop. A second one means "now":
// the process exits at once, and what it started is stopped by its own guards (the dev server's
// parent-death guard, embedded Postgres' exit hook).
import { constants } from 'node:os';

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Calls `onStop` on the first SIGINT/SIGTERM/SIGHUP. Returns a function that removes the handlers. */
export function onStopSignal(onStop: (signal: NodeJS.Signals) => void): () => void {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`\nsecond ${signal}: exiting without waiting\n`);
      process.exit(128 + constants.signals[signal]);
    }
    received = signal;
    onStop(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, handler);
  };
}
