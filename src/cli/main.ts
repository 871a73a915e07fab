// Entry point of the `ldsync` CLI (commander: the most used Node CLI parser, typed, with
// subcommands and generated help). Each command group registers itself from its own module.
// Exit codes are the same for every command (src/cli/cli-error.ts): a usage error commander finds
// (unknown command or option, missing or extra argument) exits 2 like the commands' own checks.
import { Command, CommanderError } from 'commander';
import { registerDbCommands } from './db-commands';
import { registerDevCommands } from './dev-commands';
import { CliError, EXIT_CODES } from './cli-error';
import { registerOperatorCommands } from './operator-commands';
import { registerSimulateCommand } from './simulate';
import { registerSyncCommands } from './sync-commands';
import { registerTemporalCommand } from './temporal-command';

export function buildProgram(): Command {
  const program = new Command('ldsync')
    .description("Copies a LaunchDarkly account's metadata into PostgreSQL with durable Temporal workflows.")
    // Set before any subcommand exists: commander copies these settings to every subcommand.
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .enablePositionalOptions();
  registerDbCommands(program);
  registerDevCommands(program);
  registerSimulateCommand(program);
  registerSyncCommands(program);
  registerOperatorCommands(program);
  registerTemporalCommand(program);
  return program;
}

/** The exit code for an error a command threw (or commander raised). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version exit 0; everything else commander reports is a usage error.
    return err.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  }
  if (err instanceof CliError) return err.exitCode;
  return EXIT_CODES.failed;
}

/** Runs the CLI; exits non-zero with a one-line message on any error. */
export function main(argv: string[]): void {
  const fail = (err: unknown): void => {
    // Commander has already printed its own message (and the hint) to stderr.
    if (!(err instanceof CommanderError)) console.error(`ldsync: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(exitCodeOf(err));
  };
  try {
    buildProgram().parseAsync(argv).catch(fail);
  } catch (err) {
    fail(err);
  }
}
