// An error the CLI reports as one line, with the exit code scripts can branch on
// (1: the operation failed; 2: the command line was wrong).
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
