// `ldsync temporal <args>`: the `temporal` CLI the project uses (src/temporal/cli-binary.ts finds or
// installs it), run with these arguments as they are, pointed at the same Temporal as every other
// `ldsync` command (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, else a running `ldsync dev`'s server).
// Its output, input and exit code are the CLI's own, so the README's `temporal ...` commands work
// as written with `ldsync` in front, and without installing anything else.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { type Command } from 'commander';
import { findTemporalCli } from '../temporal/cli-binary';
import { CliError } from './cli-error';
import { resolveTemporalEnv } from './context';

export function registerTemporalCommand(program: Command): void {
  program
    .command('temporal')
    .description(
      "run the project's `temporal` CLI with these arguments, against ldsync's Temporal " +
        '(e.g. `ldsync temporal workflow list`); exits with its exit code',
    )
    .argument('[args...]', 'arguments for `temporal`, passed through unchanged')
    .helpOption(false) // `ldsync temporal workflow --help` is temporal's help
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (args: string[]) => {
      process.exitCode = await runTemporalCli(args);
    });
}

/** Runs the CLI with `args` and resolves with its exit code (128 + n when a signal n ended it). */
export async function runTemporalCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const cli = await findTemporalCli({
    env,
    allowDownload: false,
    onInstall: (message) => process.stderr.write(`${message}\n`),
  });
  if (cli.kind === 'sdk-download') {
    throw new CliError(`no temporal CLI: ${cli.why}`);
  }
  const childEnv = resolveTemporalEnv(env);
  if (args.length === 0) {
    process.stderr.write(
      `ldsync temporal runs ${cli.path} with TEMPORAL_ADDRESS=${childEnv.TEMPORAL_ADDRESS ?? 'localhost:7233'} ` +
        `TEMPORAL_NAMESPACE=${childEnv.TEMPORAL_NAMESPACE ?? 'default'}\n\n`,
    );
  }
  const child = spawn(cli.path, args, { env: childEnv, stdio: 'inherit' });
  // A Ctrl-C reaches the CLI too (same process group); this process waits for it to end. A SIGTERM or
  // SIGHUP sent to this process alone (kill <pid>, a process manager) is passed on, or the CLI (a dev
  // server, say) would outlive it.
  const ignore = (): void => undefined;
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', ignore);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new CliError(`could not run ${cli.path}: ${err.message}`)));
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + constants.signals[signal] : 1)));
    });
  } finally {
    process.off('SIGINT', ignore);
    for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.off(signal, forward);
  }
}
