// `ldsync dev` (the embedded default: everything on one machine) and `ldsync worker` (the production
// worker, src/worker, against an existing Temporal service).
import { type Command, InvalidArgumentError } from 'commander';
import { dataDir, loadEnv } from '../config';
import { DEFAULT_EMBEDDED_PORT } from '../db/embedded';
import { DEFAULT_SIMULATOR_PORT, runSync } from '../dev/demo';
import { runDetachedCopy, runsDetached, stopWhenParentExits } from '../dev/detached';
import { describeDevStack, startDevStack } from '../dev/dev-stack';
import { runWorker } from '../worker/run-worker';
import { limitsFromEnv } from '../worker/sync-worker';
import { tracingFromEnv } from '../temporal/tracing-options';
import { onStopSignal } from '../worker/signals';
import { createLogger } from '../logger';
import { DEFAULT_TEMPORAL_PORT, DEFAULT_UI_PORT } from '../temporal/dev-server';
import { resolveDatabaseUrl, resolveTokenCipher } from './context';
import { ProgressView } from './progress-view';

export function registerDevCommands(program: Command): void {
  program
    .command('dev')
    .description(
      'Run everything locally: a Temporal dev server with its Web UI, Postgres (embedded unless DATABASE_URL is set), ' +
        'migrations and a worker. Data persists in .data/. Ctrl-C stops it all.',
    )
    .option('--simulate', 'also start the LaunchDarkly simulator, register a `demo` connection and sync it', false)
    .option('--port <port>', 'Temporal frontend port', parsePort, DEFAULT_TEMPORAL_PORT)
    .option('--ui-port <port>', 'Temporal Web UI port', parsePort, DEFAULT_UI_PORT)
    .option(
      '--simulator-port <port>',
      'LaunchDarkly simulator port (with --simulate)',
      parsePort,
      DEFAULT_SIMULATOR_PORT,
    )
    .option('--postgres-port <port>', 'embedded Postgres port (without DATABASE_URL)', parsePort, DEFAULT_EMBEDDED_PORT)
    .action(runDev);

  program
    .command('worker')
    .description(
      'Run a sync worker against TEMPORAL_ADDRESS on LDSYNC_TASK_QUEUE until SIGINT/SIGTERM ' +
        '(limits: LDSYNC_MAX_CONCURRENT_ACTIVITIES, LDSYNC_MAX_CONCURRENT_WORKFLOW_TASKS, ' +
        'LDSYNC_RATE_LIMIT_PER_SECOND, LDSYNC_TASK_QUEUE_ACTIVITIES_PER_SECOND).',
    )
    .action(async () => {
      const env = loadEnv();
      await runWorker({
        env,
        databaseUrl: resolveDatabaseUrl(env),
        cipher: resolveTokenCipher(env),
        limits: limitsFromEnv(env),
        tracing: tracingFromEnv(env),
      });
    });
}

interface DevCommandOptions {
  simulate: boolean;
  port: number;
  uiPort: number;
  simulatorPort: number;
  postgresPort: number;
}

async function runDev(opts: DevCommandOptions): Promise<void> {
  if (!runsDetached()) {
    process.exitCode = await runDetachedCopy();
    return;
  }
  const env = loadEnv();
  // The terminal shows the lines below; logs are for problems unless asked for (LDSYNC_LOG_LEVEL),
  // one readable line each unless LDSYNC_LOG_FORMAT=json.
  const logger = createLogger(process.env.LDSYNC_LOG_LEVEL ?? 'warn', 'ldsync', env.LDSYNC_LOG_FORMAT ?? 'pretty');
  const say = (line: string) => console.log(line);

  let stopRequested = false;
  // Ends client calls still waiting (the first sync's result) before the stack closes the client.
  const stopWaiting = new AbortController();
  const stopSignal = new Promise<NodeJS.Signals>((resolve) =>
    onStopSignal((signal) => {
      stopRequested = true;
      stopWaiting.abort();
      resolve(signal);
    }),
  );
  const stopWatchingParent = stopWhenParentExits();
  const started = Date.now();
  const stack = await startDevStack({
    env,
    logger,
    port: opts.port,
    uiPort: opts.uiPort,
    simulatorPort: opts.simulate ? opts.simulatorPort : undefined,
    postgresPort: opts.postgresPort,
    say,
  });
  say(`\nldsync dev is running (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const line of describeDevStack(stack.state, dataDir(env))) say(`  ${line}`);
  say('Press Ctrl-C to stop.\n');

  if (stack.demoConnectionId && !stopRequested) {
    say(`starting a sync of ${stack.demoConnectionId} (follow it in the Web UI)`);
    const sync = runSync(stack.client, stack.demoConnectionId, stack.taskQueue, say, stopWaiting.signal).then(
      (result) => say(ProgressView.summary(result)),
      (err: unknown) => {
        // Once stopping, the wait ends because the client closes; the sync itself goes on next time.
        if (!stopRequested) say(`sync ${stack.demoConnectionId} did not succeed: ${errorMessage(err)}`);
      },
    );
    // A Ctrl-C during the first sync leaves it durable in Temporal; the next start resumes it.
    await Promise.race([sync, stopSignal]);
  }

  const workerDied = stack.workerStopped.then(
    () => 'the worker stopped',
    (err: unknown) => `the worker failed: ${errorMessage(err)}`,
  );
  const why = await Promise.race([stopSignal.then((signal) => `${signal} received`), workerDied]);
  say(`\n${why}: stopping`);
  stopWaiting.abort();
  await stack.stop();
  stopWatchingParent();
  say('stopped; data kept in ' + dataDir(env));
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a port number');
  return port;
}

function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // WorkflowFailedError → ActivityFailure → ApplicationFailure: the innermost message says what to do.
  const causes: string[] = [err.message];
  for (let cause = err.cause; cause instanceof Error; cause = cause.cause) causes.push(cause.message);
  return causes.join(': ');
}
