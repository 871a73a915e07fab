// Entry point of the `ldsync` CLI (commander: the most used Node CLI parser, typed, with
// subcommands and generated help). Each command group registers itself from its own module.
import { Command } from 'commander';
import { registerDbCommands } from './db-commands';
import { registerDevCommands } from './dev-commands';
import { CliError } from './cli-error';
import { registerOperatorCommands } from './operator-commands';
import { registerSimulateCommand } from './simulate';
import { registerSyncCommands } from './sync-commands';

export function buildProgram(): Command {
  const program = new Command('ldsync')
    .description("Copies a LaunchDarkly account's metadata into PostgreSQL with durable Temporal workflows.")
    .showHelpAfterError()
    .enablePositionalOptions();
  registerDbCommands(program);
  registerDevCommands(program);
  registerSimulateCommand(program);
  registerSyncCommands(program);
  registerOperatorCommands(program);
  return program;
}

/** Runs the CLI; exits non-zero with a one-line message on any error. */
export function main(argv: string[]): void {
  buildProgram()
    .parseAsync(argv)
    .catch((err: unknown) => {
      console.error(`ldsync: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(err instanceof CliError ? err.exitCode : 1);
    });
}
